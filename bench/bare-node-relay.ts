// The floor of a relay written in Node, for the relay benchmark (relay-compare.ts): the same
// sockets as the proxy (plain TCP from the client; PostgreSQL's SSLRequest, then TLS with
// verification and SNI, to the server) and the same lent read buffers, but nothing else: no
// protocol awareness, no metrics, no login of its own (the client's startup message goes
// straight through; the benchmark's PostgreSQL trusts loopback logins). What the proxy spends
// beyond this path is its own work; what this path spends beyond pgbouncer is Node's.
//
// Usage: tsx bench/bare-node-relay.ts <listen port> <server port> <CA file> <server name>
import { readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { lentWriter, readLent } from '../src/iam-relay/lent-reads.js';

const [listenPort, serverPort, caPath, serverName] = process.argv.slice(2);
const ca = readFileSync(caPath, 'utf8');
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

function openUpstream(done: (upstream: TLSSocket) => void, fail: () => void): void {
  const tcp = connect({ host: '127.0.0.1', port: Number(serverPort), noDelay: true });
  tcp.once('error', fail);
  tcp.once('connect', () => tcp.write(SSL_REQUEST));
  tcp.once('data', (answer: Buffer) => {
    tcp.pause();
    if (answer[0] !== 0x53) return fail();
    const upstream = tlsConnect({ socket: tcp, ca, servername: serverName, host: serverName }, () => done(upstream));
    upstream.once('error', fail);
  });
}

/** One direction: what `from` reads goes to `to`, and `from` waits while `to` is full. */
function forward(from: Socket, to: Socket): void {
  const write = lentWriter(to);
  let waiting = false;
  const onChunk = (chunk: Buffer) => {
    if (!write(chunk, reader) && !waiting) {
      waiting = true;
      from.pause();
      to.once('drain', () => {
        waiting = false;
        from.resume();
      });
    }
  };
  const reader = readLent(from, onChunk);
  if (reader === null) from.on('data', onChunk);
  from.resume();
}

const server = createServer({ pauseOnConnect: true, noDelay: true }, (client) => {
  const closeBoth = () => {
    client.destroy();
    upstreamSocket?.destroy();
  };
  let upstreamSocket: TLSSocket | null = null;
  client.on('error', closeBoth);
  client.on('close', closeBoth);
  openUpstream((upstream) => {
    upstreamSocket = upstream;
    upstream.on('error', closeBoth);
    upstream.on('close', closeBoth);
    upstream.pause();
    forward(client, upstream);
    forward(upstream, client);
  }, closeBoth);
});
server.listen(Number(listenPort), '127.0.0.1', () => console.log(`bare relay listening on ${listenPort}`));
