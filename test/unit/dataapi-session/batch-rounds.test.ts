// Pipelined rounds of one single-row INSERT against a scripted Data API: set-based (one INSERT ...
// SELECT over a JSON parameter), the first failing round found and answered as PostgreSQL
// answers it, and one statement per round when the table's triggers may skip rows.
import { describe, expect, it } from 'vitest';
import type { ExecuteRequest } from '../../../src/dataapi/client/data-api-client.js';
import { DataApiError } from '../../../src/dataapi/client/service-errors.js';
import { affected, batchRoute, isBatchRouteRead } from './fake-data-api.js';
import { serialize, summary, useSessionDrivers, type SessionDriver } from './session-driver.js';

const INT4 = 23;
const TEXT = 25;
const INSERT = 'INSERT INTO t (n, note) VALUES ($1, lower($2))';
const SET_BASED =
  'INSERT INTO t (n, note) SELECT apgp_batch_rows."1", lower(apgp_batch_rows."2") FROM ROWS FROM (pg_catalog.json_to_recordset(CAST(:rows AS pg_catalog.json)) ' +
  'AS ("1" integer, "2" text)) WITH ORDINALITY AS apgp_batch_rows("1", "2", apgp_batch_ordinality) ORDER BY apgp_batch_rows.apgp_batch_ordinality';
const ONE_ROW = 'INSERT INTO t (n, note) VALUES (CAST(:p1 AS int4), lower(CAST(:p2 AS text)))';

const start = useSessionDrivers();

function dbError(code: string, message: string): DataApiError {
  const e = new DataApiError(code, message, {}, 'ERROR');
  e.outcome = 'database_error';
  return e;
}

const rowsOf = (req: ExecuteRequest) => JSON.parse(req.parameters?.[0]?.value?.stringValue ?? '[]') as Record<string, string | null>[];
const stringParameter = (req: ExecuteRequest, name: string) => req.parameters?.find((p) => p.name === name)?.value?.stringValue;

/** `count` rounds of INSERT binding (i, note(i)), ended by Sync. */
function pipeline(count: number, note: (i: number) => string | null) {
  const rounds = Array.from({ length: count }, (_, i) => [serialize.bind({ statement: 'ins', values: [String(i), note(i)] }), serialize.execute()]).flat();
  return [serialize.parse({ name: 'ins', text: INSERT, types: [INT4, TEXT] }), ...rounds, serialize.sync()];
}

const DONE = ['bindComplete', 'commandComplete INSERT 0 1'];

describe('pipelined rounds of a single-row INSERT', () => {
  it('inserts ten rounds with one set-based statement after a catalog read, and answers each', async () => {
    let rows: Record<string, string | null>[] = [];
    const d = await start((sql, req) => {
      if (isBatchRouteRead(sql)) return batchRoute(['integer', 'text']);
      if (sql === SET_BASED) {
        rows = rowsOf(req);
        return affected(rows.length);
      }
      return undefined;
    });
    const answer = await d.roundTrip(...pipeline(10, (i) => (i === 3 ? null : `Note ${i} "q" \\`)));
    expect(summary(answer)).toEqual(['parseComplete', ...Array.from({ length: 10 }, () => DONE).flat(), 'readyForQuery I']);
    // One statement outside a transaction: atomic on its own.
    expect(d.api.operations).toEqual(['execute', 'execute']);
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual({ 1: '0', 2: 'Note 0 "q" \\' });
    expect(rows[3]).toEqual({ 1: '3', 2: null });
  });

  it('finds the first failing round by bisection, answers those before it and fails it with its own error', async () => {
    const d = await start((sql, req) => {
      if (isBatchRouteRead(sql)) return batchRoute(['integer', 'text']);
      if (sql === SET_BASED) return rowsOf(req).some((r) => r['2'] === 'bad') ? dbError('22001', 'value too long (set)') : affected(rowsOf(req).length);
      if (/^(SAVEPOINT|ROLLBACK TO SAVEPOINT) apgp_batch_probe$/.test(sql)) return affected(0);
      if (sql === ONE_ROW) return stringParameter(req, 'p2') === 'bad' ? dbError('22001', 'value too long for type character varying(5)') : affected(1);
      return undefined;
    });
    const answer = await d.roundTrip(...pipeline(12, (i) => (i === 6 || i === 9 ? 'bad' : 'ok')));
    expect(summary(answer)).toEqual(['parseComplete', ...Array.from({ length: 6 }, () => DONE).flat(), 'bindComplete', 'error 22001', 'readyForQuery I']);
    const error = answer.find((m) => m.name === 'error') as unknown as { message: string };
    expect(error.message).toBe('value too long for type character varying(5)');
    // The implicit transaction of the pipeline is rolled back, nothing committed.
    expect(d.api.operations).toContain('begin');
    expect(d.api.operations.at(-1)).toBe('rollback');
    expect(d.api.operations).not.toContain('commit');
  });

  it('runs one statement per round when a BEFORE ROW trigger may skip rows, with each true count', async () => {
    const d = await start((sql, req) => {
      if (isBatchRouteRead(sql)) return batchRoute(['integer', 'text'], 2);
      if (sql === ONE_ROW) return affected(Number(req.parameters?.find((p) => p.name === 'p1')?.value?.longValue) % 2);
      return undefined;
    });
    const answer = await d.roundTrip(...pipeline(10, () => 'ok'));
    const counts = summary(answer).filter((m) => m.startsWith('commandComplete'));
    expect(counts).toEqual(Array.from({ length: 10 }, (_, i) => `commandComplete INSERT 0 ${i % 2}`));
    expect(d.api.operations.filter((o) => o === 'execute')).toHaveLength(11);
    expect(d.api.operations).not.toContain('batchExecute');
    expect(d.api.operations.at(-1)).toBe('commit');
  });

  it('keeps BatchExecuteStatement for a table with a statement-level trigger', async () => {
    const d = await start((sql) => (isBatchRouteRead(sql) ? batchRoute(['integer', 'text'], 3) : undefined));
    const answer = await d.roundTrip(...pipeline(10, () => 'ok'));
    expect(summary(answer)).toEqual(['parseComplete', ...Array.from({ length: 10 }, () => DONE).flat(), 'readyForQuery I']);
    expect(d.api.operations).toEqual(['execute', 'batchExecute']);
  });

  describe('inside the client\'s transaction', () => {
    const executed = (d: SessionDriver) => d.api.executed.map((sql) => (isBatchRouteRead(sql) ? 'catalog read' : sql));

    it('reads the route under a savepoint and releases it', async () => {
      const d = await start((sql) => {
        if (isBatchRouteRead(sql)) return batchRoute(['integer', 'text']);
        if (/^(SAVEPOINT|RELEASE SAVEPOINT) (aurora_pg_proxy_route|apgp_batch_chunk)$/.test(sql) || sql === SET_BASED) return affected(sql === SET_BASED ? 10 : 0);
        return undefined;
      });
      expect(summary(await d.roundTrip(serialize.query('BEGIN')))).toEqual(['commandComplete BEGIN', 'readyForQuery T']);
      const answer = await d.roundTrip(...pipeline(10, () => 'ok'));
      expect(summary(answer)).toEqual(['parseComplete', ...Array.from({ length: 10 }, () => DONE).flat(), 'readyForQuery T']);
      expect(executed(d)).toEqual([
        'SAVEPOINT aurora_pg_proxy_route',
        'catalog read',
        'RELEASE SAVEPOINT aurora_pg_proxy_route',
        'SAVEPOINT apgp_batch_chunk',
        SET_BASED,
        'RELEASE SAVEPOINT apgp_batch_chunk',
      ]);
    });

    it('leaves the transaction usable when the catalog read fails, and runs the rounds one at a time', async () => {
      const d = await start((sql) => {
        if (isBatchRouteRead(sql)) return dbError('57014', 'canceling statement due to statement timeout');
        if (/^(SAVEPOINT|ROLLBACK TO SAVEPOINT|RELEASE SAVEPOINT) aurora_pg_proxy_route$/.test(sql)) return affected(0);
        if (sql === ONE_ROW) return affected(1);
        return undefined;
      });
      await d.roundTrip(serialize.query('BEGIN'));
      const answer = await d.roundTrip(...pipeline(3, () => 'ok'));
      // The client's transaction is not aborted by a statement it never sent.
      expect(summary(answer)).toEqual(['parseComplete', ...Array.from({ length: 3 }, () => DONE).flat(), 'readyForQuery T']);
      expect(executed(d).slice(0, 4)).toEqual([
        'SAVEPOINT aurora_pg_proxy_route',
        'catalog read',
        'ROLLBACK TO SAVEPOINT aurora_pg_proxy_route',
        'RELEASE SAVEPOINT aurora_pg_proxy_route',
      ]);
      expect(d.api.operations).not.toContain('rollback');
    });
  });
});
