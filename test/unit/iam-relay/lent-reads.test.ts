// The relay's lent read buffers (lent-reads.ts) with real sockets: a client, the relay, and a TLS
// server as the upstream. Every byte must arrive intact and in order both ways while the ends
// stall, in the two situations where a socket keeps a written chunk by reference and the lent
// buffer must not be reused under it:
//   - a plain client socket whose kernel buffer is full (a Unix socket, whose buffers are small
//     enough to fill here) takes part of a chunk and queues the rest;
//   - a TLS client socket with a write still in flight queues the next chunk behind it.
// One case runs with DSQL's OCC retrier, which keeps the client's batch and holds the server's
// answer beyond the read.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, connect as netConnect, Socket, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFastRelay } from '../../../src/iam-relay/fast-relay.js';
import { readLent } from '../../../src/iam-relay/lent-reads.js';
import { OccRetrier } from '../../../src/dsql/occ-retry.js';
import type { AnswerRetrier } from '../../../src/iam-relay/answer-retrier.js';
import { createTestPki, type TestPki } from '../../harness/pki.js';

function frame(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** Sent by the test relay once it relays: the client starts only then (see startRelay). */
const RELAYING = frame('R', Buffer.alloc(0));

/** Messages of random sizes, some far larger than one read, totalling about `bytes`. */
function randomMessages(type: string, bytes: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < bytes) {
    const size = Math.random() < 0.1 ? 20_000 + Math.floor(Math.random() * 150_000) : 1 + Math.floor(Math.random() * 2_000);
    const msg = frame(type, randomBytes(size));
    parts.push(msg);
    total += msg.length;
  }
  return Buffer.concat(parts);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Collects `until` bytes from a socket, reading slowly: nothing for the first 150 ms (so that the
 * kernel's buffers fill and the relay's writes queue), then with a stall after every megabyte.
 */
function slowCollect(socket: Duplex, until: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let size = 0;
    let sincePause = 0;
    socket.on('data', (chunk: Buffer) => {
      got.push(Buffer.from(chunk));
      size += chunk.length;
      sincePause += chunk.length;
      if (size >= until) resolve(Buffer.concat(got));
      else if (sincePause > 1_000_000) {
        sincePause = 0;
        socket.pause();
        setTimeout(() => socket.resume(), 60);
      }
    });
    socket.on('error', reject);
    socket.pause();
    setTimeout(() => socket.resume(), 150);
  });
}

/** Writes in uneven pieces, so that the relay reads chunks that split messages anywhere. */
function writeInPieces(socket: Duplex, data: Buffer): void {
  let at = 0;
  while (at < data.length) {
    const n = 1 + Math.floor(Math.random() * 90_000);
    socket.write(data.subarray(at, at + n));
    at += n;
  }
}

let pki: TestPki;
let socketDir: string;

beforeAll(async () => {
  pki = await createTestPki(['127.0.0.1']);
  socketDir = mkdtempSync(join(tmpdir(), 'apgp-lent-'));
});
afterAll(() => {
  pki?.cleanup();
  if (socketDir) rmSync(socketDir, { recursive: true, force: true });
});

async function listenTcp(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A TLS server standing in for the cluster; `onSocket` plays its part. */
async function startUpstream(onSocket: (s: TLSSocket) => void): Promise<{ server: Server; port: number }> {
  const server = createTlsServer({ key: pki.serverKeyPem, cert: pki.serverCertPem }, (s) => {
    s.on('error', () => {});
    onSocket(s);
  });
  return { server, port: await listenTcp(server) };
}

type ClientTransport = 'unix' | 'tls';

/**
 * A relay in front of the upstream, started as the IAM relay starts one after login (both
 * sockets paused), reached by the client over a Unix socket or over TLS. It tells the client
 * RELAYING before it resumes the client, so that nothing from the client is waiting in the
 * socket's Readable buffer when the relay takes it over.
 */
async function startRelay(upstreamPort: number, transport: ClientTransport, retrier: () => AnswerRetrier | null) {
  const relayed: Socket[] = [];
  const relay = (client: Socket) => {
    client.pause();
    const upstream = tlsConnect({ host: '127.0.0.1', port: upstreamPort, ca: pki.caCertPem }, () => {
      upstream.pause();
      startFastRelay(client, upstream, { bytesFromClient: 0, bytesToClient: 0, queries: 0 }, {}, { retrier: retrier() });
      relayed.push(client, upstream);
      client.write(RELAYING);
      client.resume();
    });
  };
  let server: Server;
  let connectClient: () => Duplex;
  if (transport === 'unix') {
    const path = join(socketDir, `relay-${Math.random().toString(36).slice(2)}.sock`);
    server = createNetServer({ pauseOnConnect: true }, relay);
    await new Promise<void>((r) => server.listen(path, r));
    connectClient = () => netConnect(path);
  } else {
    server = createTlsServer({ key: pki.serverKeyPem, cert: pki.serverCertPem }, relay);
    const port = await listenTcp(server);
    connectClient = () => tlsConnect({ host: '127.0.0.1', port, ca: pki.caCertPem });
  }
  /** A client connected through the relay, once the relay relays. */
  const connect = async (): Promise<Duplex> => {
    const client = connectClient();
    await new Promise<void>((resolve, reject) => {
      client.once('error', reject);
      client.once('readable', function waitForMarker() {
        const marker = client.read(RELAYING.length) as Buffer | null;
        if (marker === null) {
          client.once('readable', waitForMarker);
          return;
        }
        expect(marker.equals(RELAYING)).toBe(true);
        resolve();
      });
    });
    return client;
  };
  return { server, connect, relayed };
}

const lentBufferOf = (s: Socket) => {
  const k = Object.getOwnPropertySymbols(s).find((x) => x.description === 'kBuffer');
  return k === undefined ? undefined : (s as unknown as Record<symbol, unknown>)[k];
};

describe('lent read buffers', () => {
  it('are available on this Node for an accepted socket and for TLS started over a socket', async () => {
    const upstream = await startUpstream(() => {});
    const tcp = createNetServer({ pauseOnConnect: true });
    const tcpPort = await listenTcp(tcp);
    const accepted = new Promise<Socket>((r) => tcp.once('connection', r));
    const plain = netConnect(tcpPort, '127.0.0.1');
    const raw = netConnect(upstream.port, '127.0.0.1');
    await new Promise((r) => raw.once('connect', r));
    // As the proxy does after PostgreSQL's SSLRequest: TLS over a socket that already spoke.
    const secure = tlsConnect({ socket: raw, ca: pki.caCertPem, host: '127.0.0.1' });
    await new Promise((r) => secure.once('secureConnect', r));
    secure.pause();
    const a = await accepted;
    expect(readLent(a, () => {})).not.toBeNull();
    expect(readLent(secure, () => {})).not.toBeNull();
    for (const s of [a, plain, secure, raw]) s.destroy();
    upstream.server.close();
    tcp.close();
  });

  it('are not used for a stream that is not a socket, nor for a socket with bytes already buffered', async () => {
    const { PassThrough } = await import('node:stream');
    expect(readLent(new PassThrough(), () => {})).toBeNull();
    const tcp = createNetServer((s) => s.end('early bytes'));
    const port = await listenTcp(tcp);
    const socket = netConnect(port, '127.0.0.1');
    socket.pause();
    await new Promise((r) => socket.once('readable', r));
    expect(socket.readableLength).toBeGreaterThan(0);
    expect(readLent(socket, () => {})).toBeNull();
    socket.destroy();
    tcp.close();
  });

  for (const transport of ['unix', 'tls'] as const) {
    it(`carry megabytes both ways intact while both ends stall (client over ${transport})`, async () => {
      const toServer = randomMessages('d', 6_000_000);
      const toClient = randomMessages('D', 6_000_000);
      let serverCollected!: (b: Promise<Buffer>) => void;
      const serverGot = new Promise<Buffer>((r) => (serverCollected = r));
      const upstream = await startUpstream((s) => {
        serverCollected(slowCollect(s, toServer.length));
        // Only once the client spoke, so that nothing waits in the socket before the relay starts.
        s.once('data', () => writeInPieces(s, toClient));
      });
      const relay = await startRelay(upstream.port, transport, () => null);
      const client = await relay.connect();
      const clientGot = slowCollect(client, toClient.length);
      writeInPieces(client, toServer);
      const [atClient, atServer] = await Promise.all([clientGot, serverGot]);
      expect(relay.relayed.length).toBe(2);
      for (const s of relay.relayed) expect(Buffer.isBuffer(lentBufferOf(s))).toBe(true);
      expect(atClient.length).toBe(toClient.length);
      expect(sha(atClient)).toBe(sha(toClient));
      expect(atServer.length).toBe(toServer.length);
      expect(sha(atServer)).toBe(sha(toServer));
      client.destroy();
      relay.server.close();
      upstream.server.close();
    });
  }

  it('keep what the OCC retrier holds: every answer reaches the client as the server sent it', async () => {
    // The server answers each Query with rows, CommandComplete and ReadyForQuery (idle), so that
    // every batch is recorded and every answer held until its ReadyForQuery releases it.
    const rounds = 25;
    const answers = Array.from({ length: rounds }, () =>
      Buffer.concat([randomMessages('D', 150_000), frame('C', Buffer.from('SELECT 1\0')), frame('Z', Buffer.from('I'))]),
    );
    const upstream = await startUpstream((s) => {
      let pending = Buffer.alloc(0);
      let answered = 0;
      s.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 5 && pending.length >= 1 + pending.readUInt32BE(1)) {
          pending = pending.subarray(1 + pending.readUInt32BE(1));
          if (answered < rounds) writeInPieces(s, answers[answered++]);
        }
      });
    });
    const relay = await startRelay(upstream.port, 'tls', () => new OccRetrier(3));
    const client = await relay.connect();
    const expected = Buffer.concat(answers);
    // One query at a time, each sent once the previous answer is complete, as a client does.
    let received = 0;
    let asked = 0;
    let answerEnd = 0;
    const ask = () => {
      answerEnd += answers[asked].length;
      client.write(frame('Q', Buffer.from(`select ${asked++}\0`)));
    };
    const got = slowCollect(client, expected.length);
    client.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received === answerEnd && asked < rounds) ask();
    });
    ask();
    const atClient = await got;
    expect(sha(atClient)).toBe(sha(expected));
    client.destroy();
    relay.server.close();
    upstream.server.close();
  });
});
