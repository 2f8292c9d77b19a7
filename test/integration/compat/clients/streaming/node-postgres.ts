// node-postgres with its default options, reading through pg-cursor (Execute with a row limit,
// 500 rows a read) and pg-query-stream (pg-cursor underneath, its default batch size), each in
// full outside a transaction and abandoned half-way inside one that then commits; and a cancel
// request (as pg's Client#cancel sends it) while a cursor sits between two reads in a
// transaction, which PostgreSQL ignores: no statement is running then.
import { createRequire } from 'node:module';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { Target } from '../../targets.js';
import { step, type WorkloadResult } from '../../workload.js';
import { HALF, MARKS_DDL, QUERY, Summary } from './rows.js';

const READ = 500;

// pg-cursor ships no type declarations; this is the part used here (its promise forms).
interface PgCursor extends pg.Submittable {
  read(rows: number): Promise<{ g: number; h: string }[]>;
  close(): Promise<void>;
}
const Cursor = createRequire(import.meta.url)('pg-cursor') as new (text: string, values?: unknown[]) => PgCursor;

/**
 * Sends a CancelRequest for `client`'s session as pg's Client#cancel does (a connection of its
 * own carrying the session's key; that method itself reads the deprecated Client#activeQuery),
 * then waits until it has surely arrived, so that it lands while the cursor is idle: PostgreSQL
 * closes the connection once it has taken the request; the dsql proxy closes it before passing
 * the request on (the psycopg 3 step statement_after_cancel shows that), hence the extra wait.
 */
async function cancelBetweenReads(target: Target, client: pg.Client): Promise<void> {
  // The session's key and these Connection methods are not in @types/pg.
  const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
  const con = new pg.Connection() as pg.Connection & { connect(port: number, host: string): void; cancel(pid: number, key: number): void };
  const closed = new Promise<void>((resolve) => {
    con.once('end', resolve);
    con.once('error', () => resolve());
  });
  con.once('connect', () => con.cancel(processID, secretKey));
  con.connect(target.port, target.host);
  await closed;
  await new Promise((resolve) => setTimeout(resolve, 300));
}

export async function runNodePostgresStreaming(target: Target): Promise<WorkloadResult> {
  const result: WorkloadResult = {};
  const client = new pg.Client({ host: target.host, port: target.port, user: target.user, database: target.database });
  await client.connect();
  const scalar = async (sql: string, params: unknown[] = []) => Object.values((await client.query(sql, params)).rows[0])[0];
  const abandonedIn = async (habit: string, readHalf: () => Promise<Summary>) => {
    await client.query('begin');
    let s: Summary, after: unknown;
    try {
      await client.query('insert into streaming_marks values ($1)', [habit]);
      s = await readHalf();
      after = await scalar('select 1');
      await client.query('commit');
    } catch (err) {
      // The next step starts outside this transaction, whatever state it was left in.
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
    return { ...s.partial(), after, committed: Number(await scalar('select count(*) from streaming_marks where habit = $1', [habit])) };
  };
  try {
    await step(result, 'setup', () => client.query(MARKS_DDL).then(() => null));
    await step(result, 'cursor', async () => {
      const s = new Summary();
      const cursor = client.query(new Cursor(QUERY));
      for (let rows = await cursor.read(READ); rows.length > 0; rows = await cursor.read(READ)) for (const r of rows) s.add(r.g, r.h);
      await cursor.close();
      return { ...s.value(), after: await scalar('select 1') };
    });
    await step(result, 'cursor_abandoned', () =>
      abandonedIn('pg-cursor', async () => {
        const s = new Summary();
        const cursor = client.query(new Cursor(QUERY));
        while (s.count < HALF) for (const r of await cursor.read(READ)) s.add(r.g, r.h);
        await cursor.close();
        return s;
      }),
    );
    await step(result, 'cursor_cancelled_between_reads', async () => {
      await client.query('begin');
      try {
        const s = new Summary();
        const cursor = client.query(new Cursor(QUERY));
        for (const r of await cursor.read(READ)) s.add(r.g, r.h);
        await cancelBetweenReads(target, client);
        for (let rows = await cursor.read(READ); rows.length > 0; rows = await cursor.read(READ)) for (const r of rows) s.add(r.g, r.h);
        await cursor.close();
        const after = await scalar('select 1');
        return { ...s.value(), after, commit: (await client.query('commit')).command };
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    });
    await step(result, 'query_stream', async () => {
      const s = new Summary();
      for await (const r of client.query(new QueryStream(QUERY))) s.add(r.g, r.h);
      return { ...s.value(), after: await scalar('select 1') };
    });
    await step(result, 'query_stream_abandoned', () =>
      abandonedIn('pg-query-stream', async () => {
        const s = new Summary();
        // Leaving for-await destroys the stream, which closes its cursor.
        for await (const r of client.query(new QueryStream(QUERY))) {
          s.add(r.g, r.h);
          if (s.count === HALF) break;
        }
        return s;
      }),
    );
  } finally {
    await client.end();
  }
  return result;
}
