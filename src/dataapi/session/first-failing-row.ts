// A set-based statement inserted many rows at once and failed; PostgreSQL, inserting them one
// at a time (COPY's rows, or the rounds of a pipelined INSERT), would have stopped at the first
// row that fails. That row is found by bisection inside a savepoint, keeping each prefix that
// inserts cleanly, so that a row that fails only because of an earlier row of the same set (a
// duplicate key) is still found where PostgreSQL would find it. Shared by COPY
// (copy-failure.ts) and set-based INSERT batches (set-based-batch.ts).
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { DataApiError } from '../client/service-errors.js';
import type { RunnerContext } from './outcome.js';

/** A database error a statement raised (a transport or service failure is no answer about the rows). */
export function isDatabaseError(err: unknown): err is DataApiError {
  return err instanceof DataApiError && err.outcome === 'database_error';
}

export type Attempt = { ok: true; updated: number } | { ok: false; error: DataApiError };

/** Runs a statement, turning a database error into a failed attempt (anything else is thrown). */
export async function attemptStatement(ctx: RunnerContext, sql: string, parameters?: SqlParameter[]): Promise<Attempt> {
  try {
    const out = await ctx.tx.execute(parameters ? { sql, parameters } : { sql }, ctx.onResuming);
    return { ok: true, updated: Number(out.numberOfRecordsUpdated ?? 0) };
  } catch (err) {
    if (isDatabaseError(err)) return { ok: false, error: err };
    throw err;
  }
}

/**
 * In a healthy transaction, with rows [0, count) failing as a whole: returns the index of the
 * first row that fails after all rows before it, which are then inserted (under `savepoint`,
 * set again after each kept prefix). `insert(from, to)` inserts rows [from, to).
 * Calls: about 2 log2(count) + 1.
 */
export async function firstFailingRow(
  ctx: RunnerContext,
  count: number,
  insert: (from: number, to: number) => Promise<Attempt>,
  savepoint: string,
): Promise<number> {
  const sql = (text: string) => ctx.tx.execute({ sql: text }, ctx.onResuming);
  await sql(`SAVEPOINT ${savepoint}`);
  // Rows [0, kept) are inserted under the savepoint; the prefix [0, failing) fails.
  let kept = 0;
  let failing = count;
  while (failing - kept > 1) {
    const mid = kept + Math.ceil((failing - kept) / 2);
    const attempt = await insert(kept, mid);
    if (attempt.ok) {
      kept = mid;
      await sql(`SAVEPOINT ${savepoint}`);
    } else {
      failing = mid;
      await sql(`ROLLBACK TO SAVEPOINT ${savepoint}`);
    }
  }
  return kept;
}
