// The relay's side of --reuse-connections, with fake sockets: a client's Terminate after an
// answered batch, idle, is kept from the server and the upstream is left open; in a transaction,
// with answers outstanding, or without reuse, the Terminate goes on and the upstream is closed.
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
});
