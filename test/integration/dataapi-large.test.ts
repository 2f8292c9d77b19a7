// A result far over the Data API's 1 MiB response cap (about 20 MiB), through the real
// `aurora-pg-proxy data-api` process and the emulator: it must come back whole, paged through
// a server-side cursor, while the proxy's memory stays bounded; also with a client that reads
// slowly or not at all for a while (backpressure), and with psql's \copy to stdout.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect as connectTcp, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { useDataApiStack } from './dataapi-fixture.js';
import { clientEnv } from '../harness/clients.js';

// pg-cursor ships no type declarations; this is the part of it the test uses.
interface PgCursor extends pg.Submittable {
  read(rows: number, callback: (err: Error | undefined, rows: Record<string, unknown>[]) => void): void;
  close(callback: (err?: Error) => void): void;
}
const Cursor = createRequire(import.meta.url)('pg-cursor') as new (text: string, values?: unknown[]) => PgCursor;

const stack = useDataApiStack();

const ROWS = 21_000;
const PAD = 1000;
const BIG_QUERY = `select g, repeat('x', ${PAD}) as pad from generate_series(1, ${ROWS}) g`;
/** The rows' text in DataRows: the digits of g plus the padding. */
const BIG_TEXT_BYTES = Array.from({ length: ROWS }, (_, i) => String(i + 1).length + PAD).reduce((a, b) => a + b, 0);

/** The most the proxy process may hold at any time, whatever the result's size. */
const RSS_BOUND_BYTES = 250 * 1024 * 1024;

const openClients: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(openClients.splice(0).map((c) => c.end().catch(() => {})));
});

async function viaProxy(): Promise<pg.Client> {
  const client = new pg.Client(stack().pgConfig());
  client.on('error', () => {});
  openClients.push(client);
  await client.connect();
  return client;
}

/** A memory figure of the proxy process from /proc (VmRSS: now, VmHWM: peak), in bytes. */
function proxyMemory(field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${stack().proxy.child.pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/<pid>/status`);
  return Number(match[1]) * 1024;
}

/** Samples the proxy's RSS every 20 ms while `work` runs; returns its result and the peak seen. */
async function withRssSampling<T>(work: () => Promise<T>): Promise<{ result: T; peakRss: number }> {
  let peakRss = proxyMemory('VmRSS');
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, proxyMemory('VmRSS'));
  }, 20);
  try {
    const result = await work();
    peakRss = Math.max(peakRss, proxyMemory('VmRSS'));
    return { result, peakRss };
  } finally {
    clearInterval(timer);
  }
}

const measured: Record<string, number> = {};
const MiB = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
afterAll(() => {
  // For the README: what the proxy's memory did during these tests.
  if (stack().proxy.child.exitCode === null) measured.peakOverall = proxyMemory('VmHWM');
  console.log(`dataapi-large: proxy memory (MiB) ${JSON.stringify(Object.fromEntries(Object.entries(measured).map(([k, v]) => [k, MiB(v)])))}`);
});

function readCursor(cursor: PgCursor, rows: number): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => cursor.read(rows, (err, result) => (err ? reject(err) : resolve(result))));
}

/** A minimal PostgreSQL client on a raw socket, so the test decides when bytes are read. */
class RawClient {
  private buffered: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = this.buffered.length === 0 ? d : Buffer.concat([this.buffered, d]);
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  static async connect(host: string, port: number): Promise<RawClient> {
    const socket = connectTcp({ host, port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawClient(socket);
    socket.write(serialize.startup({ user: 'postgres', database: 'postgres' }));
    for (let m = await client.next(); m.type !== 'Z'; m = await client.next()) {
      if (m.type === 'E') throw new Error(`startup failed: ${m.body.toString()}`);
    }
    return client;
  }

  async next(): Promise<{ type: string; body: Buffer }> {
    for (;;) {
      if (this.buffered.length >= 5) {
        const length = this.buffered.readInt32BE(1);
        if (this.buffered.length >= 1 + length) {
          const msg = { type: String.fromCharCode(this.buffered[0]), body: this.buffered.subarray(5, 1 + length) };
          this.buffered = this.buffered.subarray(1 + length);
          return msg;
        }
      }
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('a 20 MiB result through the Data API proxy', () => {
  it('comes back whole through node-postgres while the proxy memory stays bounded', async () => {
    const client = await viaProxy();
    await client.query('select 1');
    measured.idleRssBefore = proxyMemory('VmRSS');
    stack().emulator.resetStats();
    const { result, peakRss } = await withRssSampling(() => client.query(BIG_QUERY));
    expect(result.rowCount).toBe(ROWS);
    expect(result.rows).toHaveLength(ROWS);
    let bytes = 0;
    result.rows.forEach((row, i) => {
      expect(row.g).toBe(i + 1);
      bytes += String(row.g).length + (row.pad as string).length;
    });
    expect(bytes).toBe(BIG_TEXT_BYTES);
    expect(bytes).toBeGreaterThan(20 * 1024 * 1024);
    // It went through a cursor in pages, each within the 1 MiB cap.
    const { calls, openTransactions } = stack().emulator.stats();
    expect(calls.ExecuteStatement).toBeGreaterThan(20);
    expect(openTransactions).toBe(0);
    measured.nodePgPeakRss = peakRss;
    expect(peakRss).toBeLessThan(RSS_BOUND_BYTES);
    expect(proxyMemory('VmHWM')).toBeLessThan(RSS_BOUND_BYTES);
  });

  it('streams to a slow reader: pg-cursor reading 100 rows at a time, in and out of a transaction', async () => {
    const client = await viaProxy();
    for (const inTransaction of [false, true]) {
      if (inTransaction) await client.query('begin');
      const { result: total, peakRss } = await withRssSampling(async () => {
        const cursor = client.query(new Cursor(BIG_QUERY));
        let rows = 0;
        let bytes = 0;
        for (let i = 0; i < ROWS / 100 + 2; i++) {
          const page = await readCursor(cursor, 100);
          if (page.length === 0) break;
          expect(page.length).toBe(100);
          for (const row of page) {
            rows++;
            expect(row.g).toBe(rows);
            bytes += String(row.g).length + (row.pad as string).length;
          }
        }
        await new Promise<void>((resolve, reject) => cursor.close((err) => (err ? reject(err) : resolve())));
        return { rows, bytes };
      });
      if (inTransaction) await client.query('commit');
      expect(total).toEqual({ rows: ROWS, bytes: BIG_TEXT_BYTES });
      measured[inTransaction ? 'cursorInTransactionPeakRss' : 'cursorPeakRss'] = peakRss;
      expect(peakRss).toBeLessThan(RSS_BOUND_BYTES);
    }
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(stack().emulator.stats().openTransactions).toBe(0);
  });

  it('stops fetching pages while the client reads nothing, and resumes when it reads again', async () => {
    const raw = await RawClient.connect(stack().proxy.host, stack().proxy.port);
    try {
      stack().emulator.resetStats();
      raw.socket.pause();
      raw.socket.write(serialize.query(BIG_QUERY));
      // Wait (bounded) until the proxy stops calling the Data API: its writes to the client
      // are blocked by the full socket.
      let calls = -1;
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const now = stack().emulator.stats().calls.ExecuteStatement;
        if (now === calls) break;
        calls = now;
      }
      const pausedRss = proxyMemory('VmRSS');
      // A page holds about 384 KiB of rows: the whole result needs over 50 of them.
      expect(calls).toBeGreaterThan(0);
      expect(calls).toBeLessThan(45);
      measured.pausedClientRss = pausedRss;
      console.log(`dataapi-large: Data API calls made while the client read nothing: ${calls}`);
      expect(pausedRss).toBeLessThan(RSS_BOUND_BYTES);

      raw.socket.resume();
      let rows = 0;
      let bytes = 0;
      let tag = '';
      for (let m = await raw.next(); m.type !== 'Z'; m = await raw.next()) {
        if (m.type === 'E') throw new Error(`query failed: ${m.body.toString()}`);
        if (m.type === 'D') {
          rows++;
          const gLength = m.body.readInt32BE(2);
          const g = Number(m.body.subarray(6, 6 + gLength).toString());
          expect(g).toBe(rows);
          const padLength = m.body.readInt32BE(6 + gLength);
          bytes += gLength + padLength;
        }
        if (m.type === 'C') tag = m.body.subarray(0, m.body.length - 1).toString();
      }
      expect({ rows, bytes, tag }).toEqual({ rows: ROWS, bytes: BIG_TEXT_BYTES, tag: `SELECT ${ROWS}` });
      expect(stack().emulator.stats().calls.ExecuteStatement).toBeGreaterThan(calls);
    } finally {
      raw.close();
    }
  });

  it('comes out whole with psql \\copy (select ...) to stdout, piped to wc -c', async () => {
    const run = (port: number) =>
      new Promise<string>((resolve, reject) => {
        execFile(
          '/bin/sh',
          ['-c', `/usr/bin/psql -X -v ON_ERROR_STOP=1 -c "\\\\copy (${BIG_QUERY}) to stdout" | wc -c`],
          {
            env: clientEnv({
              PGHOST: '127.0.0.1',
              PGPORT: String(port),
              PGUSER: 'postgres',
              PGDATABASE: 'postgres',
            }),
            timeout: 60_000,
          },
          (err, stdout, stderr) => (err || stderr ? reject(err ?? new Error(stderr)) : resolve(stdout.trim())),
        );
      });
    const { result: viaProxy, peakRss } = await withRssSampling(() => run(stack().proxy.port));
    // One line per row: g, a tab, the padding and a newline.
    expect(Number(viaProxy)).toBe(BIG_TEXT_BYTES + 2 * ROWS);
    expect(viaProxy).toBe(await run(stack().db.port));
    measured.copyToStdoutPeakRss = peakRss;
    expect(peakRss).toBeLessThan(RSS_BOUND_BYTES);
  });

  it('runs a large SELECT after SET, outside a transaction, through a cursor', async () => {
    const client = await viaProxy();
    await client.query("set search_path to pg_catalog, public");
    await client.query("set statement_timeout = '30s'");
    // The proxy opens a transaction to apply the settings; the Data API ends that transaction
    // when the result proves too large, and the proxy must begin it again for the cursor.
    const r = await client.query(BIG_QUERY);
    expect(r.rowCount).toBe(ROWS);
    expect(r.rows[ROWS - 1].g).toBe(ROWS);
    const viaExtended = await client.query(`${BIG_QUERY} where g > $1`, [20_000]);
    expect(viaExtended.rows.map((row) => row.g)).toEqual(Array.from({ length: 1000 }, (_, i) => 20_001 + i));
    expect((await client.query('show statement_timeout')).rows).toEqual([{ statement_timeout: '30s' }]);
    expect(stack().emulator.stats().openTransactions).toBe(0);
  });

  it('inside an explicit transaction fails with a clear error, and ROLLBACK still works', async () => {
    // The Data API ends a transaction whose result exceeds 1 MiB: nothing can page it after the
    // fact. The client is told so (and how to page), and the transaction rolls back cleanly.
    const client = await viaProxy();
    await client.query('create table large_tx_rows (id int)');
    await client.query('begin');
    await client.query('insert into large_tx_rows values (1)');
    const err = await client.query(BIG_QUERY).then(
      () => null,
      (e: pg.DatabaseError) => e,
    );
    expect(err?.code).toBe('54000');
    expect(err?.message).toBe('result too large for the Data API: The result exceeds the size limit 1 MB');
    expect(err?.hint).toMatch(/DECLARE \.\.\. CURSOR and FETCH/);
    expect((await client.query('select 1').catch((e: pg.DatabaseError) => e)) as pg.DatabaseError).toMatchObject({ code: '25P02' });
    await client.query('rollback');
    expect((await client.query('select count(*)::int as n from large_tx_rows')).rows).toEqual([{ n: 0 }]);
    // Paging it explicitly works inside a transaction.
    await client.query('begin');
    await client.query(`declare big_cursor cursor for ${BIG_QUERY}`);
    let fetched = 0;
    for (let i = 0; i < 30; i++) {
      const page = await client.query('fetch 1000 from big_cursor');
      if (page.rowCount === 0) break;
      fetched += page.rowCount ?? 0;
    }
    await client.query('commit');
    expect(fetched).toBe(ROWS);
    expect(stack().emulator.stats().openTransactions).toBe(0);
  });
});
