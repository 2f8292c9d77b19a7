// The relay's side of --reuse-connections, with fake sockets: a client's Terminate after an
// answered batch, idle, is kept from the server and the upstream is left open; in a transaction,
// with answers outstanding, or without reuse, the Terminate goes on and the upstream is closed.
// Without reuse, only an upstream the client never used (Terminate first) is kept; one the client
// used reads lent (lent-reads.ts) from the client's first message on.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startFastRelay } from '../../../src/iam-relay/fast-relay.js';

class FakeSocket extends Duplex {
  readonly written: Buffer[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.written.push(Buffer.from(chunk));
    cb();
  }
  get all(): Buffer {
    return Buffer.concat(this.written);
  }
}

function msg(type: string, body = ''): Buffer {
  const b = Buffer.from(body, 'latin1');
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(b.length + 4, 1);
  return Buffer.concat([head, b]);
}

const TERMINATE = msg('X');
const tick = () => new Promise((r) => setImmediate(r));

async function session(opts: { reuse: boolean; status: 'I' | 'T'; answer?: boolean; parse?: string }) {
  const client = new FakeSocket();
  const upstream = new FakeSocket();
  const relay = startFastRelay(client, upstream, { bytesFromClient: 0, bytesToClient: 0, queries: 0 }, {}, { keepUpstreamOnCleanEnd: opts.reuse });
  client.resume();
  if (opts.parse !== undefined) {
    client.push(Buffer.concat([msg('P', `${opts.parse}\0select 1\0\0\0`), msg('S')]));
    await tick();
    upstream.push(Buffer.concat([msg('1'), msg('Z', 'I')]));
    await tick();
  }
  client.push(msg('Q', 'select 1\0'));
  await tick();
  if (opts.answer !== false) upstream.push(Buffer.concat([msg('C', 'SELECT 1\0'), msg('Z', opts.status)]));
  await tick();
  client.push(TERMINATE);
  await tick();
  client.push(null); // the client closes after its Terminate
  await relay.done;
  return { relay, client, upstream, upstreamGotTerminate: upstream.all.includes(TERMINATE) };
}

describe('fast relay with --reuse-connections', () => {
  it('keeps the Terminate from an idle server and leaves the upstream open', async () => {
    const s = await session({ reuse: true, status: 'I' });
    expect(s.relay.upstreamKept).toBe(true);
    expect(s.upstreamGotTerminate).toBe(false);
    expect(s.upstream.destroyed).toBe(false);
    expect(s.upstream.listenerCount('data')).toBe(0);
    expect(s.client.destroyed).toBe(true);
    s.upstream.destroy();
  });

  it('passes the Terminate on and closes the upstream when the session ends in a transaction', async () => {
    const s = await session({ reuse: true, status: 'T' });
    expect(s.relay.upstreamKept).toBe(false);
    expect(s.upstreamGotTerminate).toBe(true);
    expect(s.upstream.destroyed).toBe(true);
  });

  it('passes the Terminate on when an answer is still outstanding', async () => {
    const s = await session({ reuse: true, status: 'I', answer: false });
    expect(s.relay.upstreamKept).toBe(false);
    expect(s.upstreamGotTerminate).toBe(true);
  });

  it('never keeps the upstream without reuse', async () => {
    const s = await session({ reuse: false, status: 'I' });
    expect(s.relay.upstreamKept).toBe(false);
    expect(s.upstreamGotTerminate).toBe(true);
    expect(s.upstream.destroyed).toBe(true);
  });

  it('tells which prepared statements the client left open', async () => {
    const unnamed = await session({ reuse: true, status: 'I', parse: '' });
    expect(unnamed.relay.upstreamKept).toBe(true);
    expect(unnamed.relay.preparedStatements).toEqual([]);
    unnamed.upstream.destroy();
    const named = await session({ reuse: true, status: 'I', parse: 'S_1' });
    expect(named.relay.upstreamKept).toBe(true);
    expect(named.relay.preparedStatements).toEqual(['S_1']);
    named.upstream.destroy();
  });

  it('without reuse, keeps an upstream the client never used: Terminate as its first message', async () => {
    const client = new FakeSocket();
    const upstream = new FakeSocket();
    const relay = startFastRelay(client, upstream, { bytesFromClient: 0, bytesToClient: 0, queries: 0 }, {}, { keepUntouchedUpstream: true });
    client.resume();
    client.push(TERMINATE);
    await tick();
    client.push(null);
    await relay.done;
    expect(relay.upstreamKept).toBe(true);
    expect(relay.upstreamUntouched).toBe(true);
    expect(upstream.all.length).toBe(0);
    expect(upstream.destroyed).toBe(false);
    upstream.destroy();
  });

  it('without reuse, passes the Terminate on once the client used the upstream, or the server spoke first', async () => {
    const used = await session({ reuse: false, status: 'I' });
    expect(used.relay.upstreamKept).toBe(false);
    expect(used.upstreamGotTerminate).toBe(true);

    const client = new FakeSocket();
    const upstream = new FakeSocket();
    const relay = startFastRelay(client, upstream, { bytesFromClient: 0, bytesToClient: 0, queries: 0 }, {}, { keepUntouchedUpstream: true });
    client.resume();
    upstream.push(msg('N', 'SNOTICE\0\0')); // a notice the client has seen
    await tick();
    client.push(TERMINATE);
    await tick();
    client.push(null);
    await relay.done;
    expect(relay.upstreamKept).toBe(false);
    expect(upstream.all.equals(TERMINATE)).toBe(true);
  });

  it('with reuse, says whether the kept upstream was used', async () => {
    const used = await session({ reuse: true, status: 'I' });
    expect(used.relay.upstreamKept).toBe(true);
    expect(used.relay.upstreamUntouched).toBe(false);
    used.upstream.destroy();
  });

  it('reads a used upstream lent, from the client\'s first message on, and relays as before', async () => {
    const listener = createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as AddressInfo).port;
    const accepted: Socket[] = [];
    listener.on('connection', (s) => accepted.push(s));
    const pair = async (): Promise<[Socket, Socket]> => {
      const near = connect(port, '127.0.0.1');
      await new Promise((r) => near.once('connect', r));
      while (accepted.length === 0) await tick();
      return [near, accepted.shift()!];
    };
    try {
      const [clientApp, clientSide] = await pair();
      const [upstreamSide, server] = await pair(); // server: the cluster's end
      clientSide.pause();
      upstreamSide.pause();
      /** The buffer the socket reads into when its reads are lent (lent-reads.ts), if any. */
      const lentBuffer = () => {
        const sym = Object.getOwnPropertySymbols(upstreamSide).find((x) => x.description === 'kBuffer');
        return sym ? (upstreamSide as unknown as Record<symbol, unknown>)[sym] : undefined;
      };
      const relay = startFastRelay(clientSide, upstreamSide, { bytesFromClient: 0, bytesToClient: 0, queries: 0 }, {}, { keepUntouchedUpstream: true });
      // Untouched so far, and so still kept to 'data' events (a lent reader cannot be taken back).
      expect(upstreamSide.listenerCount('data')).toBe(1);
      expect(lentBuffer()).toBeFalsy();
      const atServer = new Promise<Buffer>((r) => server.once('data', r));
      clientApp.write(msg('Q', 'select 1\0'));
      expect((await atServer).equals(msg('Q', 'select 1\0'))).toBe(true);
      // Used now: the relay reads the upstream into its own 64 KiB buffer, with no 'data' event.
      expect(upstreamSide.listenerCount('data')).toBe(0);
      expect(lentBuffer()).toBeInstanceOf(Buffer);
      expect((lentBuffer() as Buffer).length).toBe(64 * 1024);
      const answer = Buffer.concat([msg('C', 'SELECT 1\0'), msg('Z', 'I')]);
      const atClient = new Promise<Buffer>((r) => clientApp.once('data', r));
      server.write(answer);
      expect((await atClient).equals(answer)).toBe(true);
      clientApp.end(TERMINATE);
      await relay.done;
      expect(relay.upstreamKept).toBe(false);
      server.destroy();
      clientApp.destroy();
    } finally {
      listener.close();
    }
  });
});
