// Clients that vanish over the Data API: a login abandoned at once (a killed psql, a connect
// timeout, a load balancer's probe), a TLS handshake cut short, a client reset in the middle of a
// long result. None may leave a session, a client slot or a Data API transaction behind, nor
// page on through the Data API for nobody, nor be logged as a failure of the proxy.
import { connect as connectTcp, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { encodeStartupMessage } from '../../src/protocol/index.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { ABANDONED_LOGINS, abandonLogin } from '../harness/abandoned-logins.js';
import { freePort } from '../harness/ports.js';
import { runVanishingCrowd } from '../harness/vanishing-clients.js';
import { metricValue, waitFor } from './warm-connections-helpers.js';
import { startDataApiStack, type DataApiStack } from './dataapi-fixture.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const STARTUP = encodeStartupMessage({ user: 'postgres', database: 'postgres' });
/** About 6 MB of rows: several Data API pages. */
const LONG_RESULT = "select g, repeat('x', 200) as filler from generate_series(1, 30000) g";

let stack: DataApiStack;
let proxy: ProxyProcess;

beforeAll(async () => {
  stack = await startDataApiStack();
  proxy = await stack.startProxy(['--max-connections', '2']);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function rawSocket(): Promise<Socket> {
  const socket = connectTcp({ host: proxy.host, port: proxy.port });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function closingLines(): Record<string, unknown>[] {
  return proxy.logRecords().filter((r) => r.msg === 'connection closed');
}

describe('Data API mode: clients that vanish', () => {
  it('logins abandoned right after the startup message or mid TLS handshake leave no session behind', async () => {
    for (let i = 0; i < 9; i++) {
      await abandonLogin(proxy.host, proxy.port, ABANDONED_LOGINS[i % 3], { user: 'postgres', database: 'postgres' });
      // One at a time: a slot is free again once the proxy has seen its connection close.
      await until(`abandoned connection ${i + 1} closed`, () => closingLines().length >= i + 1);
    }
    // Both slots of --max-connections 2 are free again.
    const clients = [new pg.Client(stack.pgConfig({ port: proxy.port })), new pg.Client(stack.pgConfig({ port: proxy.port }))];
    try {
      for (const c of clients) await c.connect();
      expect((await clients[0].query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect((await clients[1].query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    const outcomes = closingLines().map((r) => r.outcome);
    expect(outcomes.slice(0, 9).filter((o) => o !== 'ok' && o !== 'closed_before_startup' && o !== 'client_gone')).toEqual([]);
    expect(proxy.logRecords().filter((r) => Number(r.level) >= 50)).toEqual([]);
  });

  it('a client reset in the middle of a long result stops the paging at once, as the client gone, with nothing left open', async () => {
    // The whole result, read by a client that stays: how many Data API calls it takes.
    stack.emulator.resetStats();
    const reader = new pg.Client(stack.pgConfig({ port: proxy.port }));
    await reader.connect();
    expect((await reader.query(LONG_RESULT)).rowCount).toBe(30000);
    await reader.end();
    const wholeCalls = stack.emulator.stats().calls.ExecuteStatement;
    expect(wholeCalls).toBeGreaterThanOrEqual(5);

    stack.emulator.resetStats();
    const closedBefore = closingLines().length;
    const socket = await rawSocket();
    let received = 0;
    const enough = new Promise<void>((resolve) =>
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 64 * 1024) resolve();
      }),
    );
    socket.write(STARTUP);
    const query = Buffer.from(LONG_RESULT + '\0');
    const q = Buffer.alloc(5);
    q[0] = 0x51;
    q.writeUInt32BE(4 + query.length, 1);
    socket.write(Buffer.concat([q, query]));
    await enough;
    socket.resetAndDestroy();

    await until('the session closed', () => closingLines().length > closedBefore);
    const closed = closingLines().at(-1)!;
    expect(closed.outcome).toBe('client_gone');
    expect(closed.reason).toBe('ECONNRESET');
    await until('no Data API transaction left open', () => stack.emulator.stats().openTransactions === 0);
    // Paging stopped with the client: far fewer calls than the whole result took.
    expect(stack.emulator.stats().calls.ExecuteStatement).toBeLessThan(wholeCalls / 2);
    expect(Number(closed.bytesToClient)).toBeLessThan(3_000_000);
    expect(proxy.logRecords().filter((r) => Number(r.level) >= 40)).toEqual([]);
  });

  it('a crowd that vanishes in every way leaves no session and no Data API transaction, and nothing logged as a failure', async () => {
    const metrics = await freePort();
    const crowdProxy = await stack.startProxy(['--metrics-listen', `127.0.0.1:${metrics}`]);
    const crowd = await runVanishingCrowd(crowdProxy, { parameters: { user: 'postgres', database: 'postgres' }, longResult: LONG_RESULT, count: 36, concurrency: 4 });
    expect(crowd.failures).toEqual([]);
    await waitFor('every session over', async () => (await metricValue(metrics, 'client_connections_open')) === 0);
    await waitFor('no Data API transaction left open', () => stack.emulator.stats().openTransactions === 0);
    expect(crowdProxy.logRecords().filter((r) => Number(r.level) >= 40)).toEqual([]);
    const c = new pg.Client(stack.pgConfig({ port: crowdProxy.port }));
    await c.connect();
    try {
      expect((await c.query('select 42 as n')).rows).toEqual([{ n: 42 }]);
    } finally {
      await c.end();
    }
  });
});
