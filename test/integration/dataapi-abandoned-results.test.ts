// A client that goes away in the middle of a large result must leave nothing behind: the proxy
// reads such a result through a server-side cursor inside a Data API transaction it opened for
// the purpose, and that transaction (holding a database connection on the service side, up to
// its 3-minute idle limit) must end with the session, as must the session itself. This is what
// keeps the proxy's memory and the service's transactions flat under repeated load
// (bench/data-api-memory.ts); here it is checked one client at a time, by counts, not timing.
import { connect as connectTcp, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { useDataApiStack } from './dataapi-fixture.js';

// pg-cursor ships no type declarations; this is the part of it the test uses.
interface PgCursor extends pg.Submittable {
  read(rows: number, callback: (err: Error | undefined, rows: Record<string, unknown>[]) => void): void;
}
const Cursor = createRequire(import.meta.url)('pg-cursor') as new (text: string, values?: unknown[]) => PgCursor;

const stack = useDataApiStack();

/** About 8 MiB of rows: many pages over the Data API's 1 MiB response cap. */
const BIG_QUERY = `select g, repeat('x', 1000) as pad from generate_series(1, 8000) g`;

/** Polls (bounded) until `done` holds; returns whether it did. */
async function eventually(done: () => boolean, attempts = 200): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return done();
}

function closedSessions(): number {
  return stack().proxy.logRecords().filter((l) => l.msg === 'connection closed').length;
}

/** A bare connection that has finished startup; its socket can be paused and destroyed. */
async function bareSession(): Promise<Socket> {
  const { host, port } = stack().proxy;
  const socket = connectTcp({ host, port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(serialize.startup({ user: 'postgres', database: 'postgres' }));
  // Startup ends with ReadyForQuery: 'Z', length 5, status 'I'.
  let seen = Buffer.alloc(0);
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      if (seen.includes(Buffer.from([0x5a, 0, 0, 0, 5, 0x49]))) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  return socket;
}

describe('a client that leaves in the middle of a large result', () => {
  it('ends the cursor transaction and the session when it drops while the proxy waits for it to read', async () => {
    const s = stack();
    expect(s.emulator.stats().openTransactions).toBe(0);
    const closedBefore = closedSessions();
    const socket = await bareSession();
    // The client reads nothing: the proxy's writes block, with the cursor's transaction open.
    socket.pause();
    socket.write(serialize.query(BIG_QUERY));
    expect(await eventually(() => s.emulator.stats().openTransactions === 1)).toBe(true);
    socket.destroy();

    expect(await eventually(() => s.emulator.stats().openTransactions === 0)).toBe(true);
    expect(await eventually(() => closedSessions() > closedBefore)).toBe(true);
    // The proxy serves the next client as before.
    const next = new pg.Client(s.pgConfig());
    await next.connect();
    try {
      expect((await next.query(BIG_QUERY)).rowCount).toBe(8000);
    } finally {
      await next.end();
    }
    expect(s.emulator.stats().openTransactions).toBe(0);
  });

  it('ends the transaction of a suspended portal read in pages (pg-cursor) when the client drops', async () => {
    const s = stack();
    expect(s.emulator.stats().openTransactions).toBe(0);
    const closedBefore = closedSessions();
    const client = new pg.Client(s.pgConfig());
    client.on('error', () => undefined);
    await client.connect();
    const cursor = client.query(new Cursor(BIG_QUERY));
    const firstRows = await new Promise<Record<string, unknown>[]>((resolve, reject) => cursor.read(100, (err, rows) => (err ? reject(err) : resolve(rows))));
    expect(firstRows).toHaveLength(100);
    // The portal is suspended in a cursor inside a transaction the proxy opened for it.
    expect(s.emulator.stats().openTransactions).toBe(1);
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

    expect(await eventually(() => s.emulator.stats().openTransactions === 0)).toBe(true);
    expect(await eventually(() => closedSessions() > closedBefore)).toBe(true);
  });
});
