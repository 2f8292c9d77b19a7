// node-postgres through the real proxy process and the DSQL stand-in: simple and extended
// protocol, cursors, errors, query cancellation through the proxy's own cancel key, TLS from
// the client, and many clients at once.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect as connectTcp } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { encodeCancelRequest } from '../../src/protocol/index.js';
import { useDsqlStack } from './dsql-fixture.js';

// pg-cursor ships no type declarations; this is the part of it the test uses.
interface PgCursor extends pg.Submittable {
  read(rows: number, callback: (err: Error | undefined, rows: Record<string, unknown>[]) => void): void;
  close(callback: (err?: Error) => void): void;
}
const Cursor = createRequire(import.meta.url)('pg-cursor') as new (text: string, values?: unknown[]) => PgCursor;

const stack = useDsqlStack();
const openClients: pg.Client[] = [];

async function connectClient(extra: pg.ClientConfig = {}): Promise<pg.Client> {
  const client = new pg.Client(stack().pgConfig(undefined, extra));
  client.on('error', () => {}); // a dropped connection fails the test through its query instead
  openClients.push(client);
  await client.connect();
  return client;
}

afterEach(async () => {
  await Promise.all(openClients.splice(0).map((c) => c.end().catch(() => {})));
});

/** The BackendKeyData node-postgres received (it keeps it on these undocumented fields). */
function backendKey(client: pg.Client): { processID: number; secretKey: number } {
  const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
  if (typeof processID !== 'number' || typeof secretKey !== 'number') throw new Error('client has no BackendKeyData');
  return { processID, secretKey };
}

/** Sends a CancelRequest on a fresh connection to the proxy and waits until the proxy closes it. */
function sendCancel(port: number, key: { processID: number; secretKey: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the proxy did not close the cancel connection within 5 s'));
    }, 5000);
    socket.on('connect', () => socket.write(encodeCancelRequest(key.processID, key.secretKey)));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.resume();
  });
}

function readCursor(cursor: PgCursor, rows: number): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => cursor.read(rows, (err, result) => (err ? reject(err) : resolve(result))));
}

describe('node-postgres through the DSQL proxy', () => {
  it('runs a simple query and a parameterised query', async () => {
    const client = await connectClient();
    const simple = await client.query("select 1 as one, 'two' as two, current_user as who");
    expect(simple.rows).toEqual([{ one: 1, two: 'two', who: 'postgres' }]);

    const params = await client.query('select $1::int + $2::int as sum, $3::text as label, $4::timestamptz as at', [
      40,
      2,
      'answer',
      '2024-02-29T12:34:56Z',
    ]);
    expect(params.rows[0].sum).toBe(42);
    expect(params.rows[0].label).toBe('answer');
    expect((params.rows[0].at as Date).toISOString()).toBe('2024-02-29T12:34:56.000Z');
  });

  it('runs a named prepared statement twice', async () => {
    const client = await connectClient();
    const query = { name: 'square', text: 'select $1::int * $1::int as sq', values: [7] };
    expect((await client.query(query)).rows).toEqual([{ sq: 49 }]);
    expect((await client.query({ ...query, values: [12] })).rows).toEqual([{ sq: 144 }]);
    const prepared = await client.query("select count(*)::int as n from pg_prepared_statements where name = 'square'");
    expect(prepared.rows).toEqual([{ n: 1 }]);
  });

  it('reads 1000 rows through pg-cursor in pages of 100', async () => {
    const client = await connectClient();
    await client.query('begin');
    const cursor = client.query(new Cursor('select g as n, md5(g::text) as h from generate_series(1, 1000) g'));
    const pages: number[] = [];
    let total = 0;
    let last = 0;
    for (let i = 0; i < 12; i++) {
      const rows = await readCursor(cursor, 100);
      if (rows.length === 0) break;
      pages.push(rows.length);
      for (const row of rows) {
        expect(row.n).toBe(last + 1);
        last = row.n as number;
      }
      total += rows.length;
    }
    await new Promise<void>((resolve, reject) => cursor.close((err) => (err ? reject(err) : resolve())));
    await client.query('commit');
    expect(pages).toEqual(Array(10).fill(100));
    expect(total).toBe(1000);
  });

  it('reports an error with its SQLSTATE and position, and the session goes on', async () => {
    const client = await connectClient();
    const err = await client.query('select 1 from no_such_table_here').then(
      () => null,
      (e: pg.DatabaseError) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.code).toBe('42P01');
    expect(err!.message).toBe('relation "no_such_table_here" does not exist');
    expect(err!.position).toBe('15');
    expect(err!.severity).toBe('ERROR');
    expect((await client.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
  });

  it('cancels a running query with the proxy cancel key, and the client still works', async () => {
    const client = await connectClient();
    const key = backendKey(client);
    const backendPid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    // The proxy hands out its own key, never PostgreSQL's.
    expect(key.processID).not.toBe(backendPid);

    const sleeping = client.query('select pg_sleep(30)').then(
      () => null,
      (e: pg.DatabaseError) => e,
    );
    // Wait until PostgreSQL really runs the sleep, so the cancel hits the query and not the idle session.
    const observer = await connectClient();
    for (let i = 0; i < 100; i++) {
      const active = await observer.query(
        "select count(*)::int as n from pg_stat_activity where pid = $1 and state = 'active' and query like 'select pg_sleep%'",
        [backendPid],
      );
      if (active.rows[0].n === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const cancelsBefore = stack().standIn.stats.cancelsForwarded;
    await sendCancel(stack().proxy.port, key);

    const err = await Promise.race([
      sleeping,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
    ]);
    expect(err).not.toBe('timeout');
    expect(err).not.toBeNull();
    expect((err as pg.DatabaseError).code).toBe('57014');
    expect((err as pg.DatabaseError).message).toBe('canceling statement due to user request');
    expect(stack().standIn.stats.cancelsForwarded).toBe(cancelsBefore + 1);

    expect((await client.query('select 3 as three')).rows).toEqual([{ three: 3 }]);
  });

  it('closes a cancel connection only once the cancel reached the server: a cancel of an idle session fails no later statement', async () => {
    // libpq's PQcancel and pgJDBC wait for that close, then send their next statement (psycopg 3
    // does so when a stream is left half-read). PostgreSQL ignores a cancel while idle; one still
    // on its way when the close came would cancel the statement after it instead.
    const client = await connectClient();
    const cancelsBefore = stack().standIn.stats.cancelsForwarded;
    for (let i = 0; i < 3; i++) {
      await sendCancel(stack().proxy.port, backendKey(client));
      expect(stack().standIn.stats.cancelsForwarded).toBe(cancelsBefore + i + 1);
      expect((await client.query('select pg_sleep(0.3), 5 as five')).rows[0].five).toBe(5);
    }
  });

  it('ignores a CancelRequest with a wrong key', async () => {
    const client = await connectClient();
    const key = backendKey(client);
    const cancelsBefore = stack().standIn.stats.cancelsForwarded;
    await sendCancel(stack().proxy.port, { processID: key.processID, secretKey: key.secretKey ^ 1 });
    const result = await client.query('select pg_sleep(0.3), 4 as four');
    expect(result.rows[0].four).toBe(4);
    expect(stack().standIn.stats.cancelsForwarded).toBe(cancelsBefore);
  });

  it('connects with TLS to the proxy (sslmode=require: encrypted, not verified)', async () => {
    const client = await connectClient({ ssl: { rejectUnauthorized: false } });
    const socket = (client as unknown as { connection: { stream: { encrypted?: boolean; getProtocol?: () => string } } })
      .connection.stream;
    expect(socket.encrypted).toBe(true);
    expect(socket.getProtocol?.()).toMatch(/^TLSv1\.[23]$/);
    expect((await client.query('select current_user as who')).rows).toEqual([{ who: 'postgres' }]);
  });

  it('connects with direct TLS (sslnegotiation=direct, ALPN "postgresql") and relays a large result', async () => {
    const client = await connectClient({ ssl: { rejectUnauthorized: false }, sslnegotiation: 'direct' } as pg.ClientConfig);
    const socket = (client as unknown as { connection: { stream: { encrypted?: boolean; alpnProtocol?: string | false } } }).connection.stream;
    expect(socket.encrypted).toBe(true);
    expect(socket.alpnProtocol).toBe('postgresql');
    const { rows } = await client.query("select g as n, repeat(md5(g::text), 20) as h from generate_series(1, 20000) g");
    expect(rows).toHaveLength(20_000);
    expect(rows[19_999]).toEqual({ n: 20_000, h: createHash('md5').update('20000').digest('hex').repeat(20) });
    expect((await client.query('select $1::text as echo', ['after the large result'])).rows).toEqual([{ echo: 'after the large result' }]);
  });

  it('serves 200 clients connecting and querying at once', async () => {
    const acceptedBefore = stack().standIn.stats.accepted;
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const client = await connectClient();
        const r = await client.query('select $1::int as i, pg_backend_pid() as pid', [i]);
        await client.end();
        return r.rows[0] as { i: number; pid: number };
      }),
    );
    expect(results.map((r) => r.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(new Set(results.map((r) => r.pid)).size).toBe(200);
    expect(stack().standIn.stats.accepted - acceptedBefore).toBe(200);
  });
});
