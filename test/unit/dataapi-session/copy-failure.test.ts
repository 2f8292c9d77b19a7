// CopyFailureLocator against a small simulated database (no PostgreSQL): a row fails when its
// first value is not an integer (a conversion error of column 1), when its second value is "dup"
// of an earlier kept row's (a unique violation), or when its second value is "bad" (a conversion
// error of column 2). The search must name PostgreSQL's row and column, in few calls, and leave
// the transaction aborted.
import { describe, expect, it } from 'vitest';
import type { ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';
import { CopyFailureLocator } from '../../../src/dataapi/session/copy-failure.js';
import { ChunkStatements, type PendingRow } from '../../../src/dataapi/session/copy-chunk-sql.js';
import { DataApiError } from '../../../src/dataapi/client/service-errors.js';
import type { RunnerContext } from '../../../src/dataapi/session/outcome.js';
import type { CopyRow } from '../../../src/dataapi/copy/index.js';

const target = {
  table: 't',
  relationName: 't',
  columns: [
    { name: 'a', type: 'integer', jsonLike: false },
    { name: 'b', type: 'text', jsonLike: false },
  ],
};

function dbError(code: string, message: string): DataApiError {
  const e = new DataApiError(code, message, {}, 'ERROR');
  e.outcome = 'database_error';
  return e;
}

/** Just enough of a transaction: savepoints, the rows kept, aborted after an error. */
class SimulatedTransaction {
  kept: string[][] = [];
  savepoints: string[][][] = [];
  aborted = false;
  calls: string[] = [];

  async execute(req: { sql: string; parameters?: { value?: { stringValue?: string } }[] }): Promise<ExecuteStatementCommandOutput> {
    const sql = req.sql;
    this.calls.push(sql.split(' ')[0]);
    if (sql.startsWith('ROLLBACK TO SAVEPOINT')) {
      this.kept = [...this.savepoints.at(-1)!];
      this.aborted = false;
      return { $metadata: {} };
    }
    if (this.aborted) throw dbError('25P02', 'current transaction is aborted, commands ignored until end of transaction block');
    if (sql.startsWith('SAVEPOINT')) {
      this.savepoints.push([...this.kept]);
      return { $metadata: {} };
    }
    if (sql.includes('pg_trigger')) return { records: [[{ booleanValue: false }, { booleanValue: false }]], $metadata: {} };
    const rows = (JSON.parse(req.parameters![0].value!.stringValue!) as Record<string, string | null>[]).map((r) => [r['1'] ?? '', r['2'] ?? '']);
    const columns = sql.startsWith('SELECT') ? (sql.match(/"\d+" /g) ?? []).length : 2;
    // Conversions of every row first (a set-based statement), then the inserts in order.
    for (const r of rows) {
      if (!/^\d+$/.test(r[0])) return this.fail('22P02', `invalid input syntax for type integer: "${r[0]}"`);
      if (columns > 1 && r[1] === 'bad') return this.fail('22P02', 'bad text');
    }
    if (sql.startsWith('SELECT')) return { records: [[{ longValue: rows.length }]], $metadata: {} };
    const batch: string[][] = [];
    for (const r of rows) {
      if ([...this.kept, ...batch].some((k) => k[1] === r[1])) return this.fail('23505', 'duplicate key value violates unique constraint "t_b_key"');
      batch.push(r);
    }
    this.kept.push(...batch);
    return { numberOfRecordsUpdated: rows.length, $metadata: {} };
  }

  private fail(code: string, message: string): never {
    this.aborted = true;
    throw dbError(code, message);
  }
}

async function locate(values: CopyRow[]) {
  const tx = new SimulatedTransaction();
  const ctx = { tx, onResuming: () => undefined } as unknown as RunnerContext;
  const statements = new ChunkStatements(target);
  const rows: PendingRow[] = values.map((v, i) => ({ json: statements.rowJson(v).json, values: v, line: i + 2, text: v.join('\t') }));
  const error = await new CopyFailureLocator(ctx, target, statements).locate(rows, dbError('XX000', 'the chunk failed'));
  return { error: { code: error.sqlstate, message: error.message, where: error.extra.where }, tx };
}

const many = (n: number, bad: Map<number, CopyRow>) => Array.from({ length: n }, (_, i) => bad.get(i) ?? [String(i), `v${i}`]);

describe('finding the failing COPY row of a chunk', () => {
  it('names the first failing row even when a later row fails to convert', async () => {
    // Row 600 duplicates row 10; row 900 does not convert. COPY stops at row 600 (line 602).
    const rows = many(1000, new Map([[600, ['600', 'v10']], [900, ['x', 'y']]]));
    const { error, tx } = await locate(rows);
    expect(error).toEqual({ code: '23505', message: 'duplicate key value violates unique constraint "t_b_key"', where: 'COPY t, line 602' });
    expect(tx.aborted).toBe(true);
    // log2(1000) ≈ 10 probes of two calls each, plus a few.
    expect(tx.calls.length).toBeLessThanOrEqual(2 * 10 + 8);
  });

  it('names the column and value of a conversion error', async () => {
    const { error, tx } = await locate(many(50, new Map([[31, ['31', 'bad']]])));
    expect(error).toEqual({ code: '22P02', message: 'bad text', where: 'COPY t, line 33, column b: "bad"' });
    expect(tx.aborted).toBe(true);
  });

  it('names the first column when the first value fails', async () => {
    const { error } = await locate([['1', 'a'], ['zz', 'bad']]);
    expect(error).toEqual({ code: '22P02', message: 'invalid input syntax for type integer: "zz"', where: 'COPY t, line 3, column a: "zz"' });
  });

  it('gives back the chunk error when no row fails on its own (a transient failure)', async () => {
    const { error } = await locate(many(20, new Map()));
    expect(error).toEqual({ code: 'XX000', message: 'the chunk failed', where: undefined });
  });
});
