// Cancel requests. The Data API cannot stop a call that is running, so a CancelRequest only
// sets a flag; the session acts on it where PostgreSQL would have stopped the statement.
import { SqlState } from '../../protocol/sqlstate.js';
import { StatementError, type StatementOutcome } from './outcome.js';
import type { SessionContext } from './session-context.js';

export function cancelledError(): StatementError {
  return new StatementError(SqlState.QUERY_CANCELED, 'canceling statement due to user request');
}

/** Throws the cancel error when a cancel request is pending (between pages of rows). */
export function throwIfCancelled(sc: SessionContext): void {
  if (!sc.cancelRequested) return;
  sc.cancelRequested = false;
  throw cancelledError();
}

/**
 * A cancel request that came while the statement's call ran. The Data API cannot stop a call,
 * but inside a transaction the statement can still fail as PostgreSQL's does: the transaction
 * is then aborted, and its rollback undoes what the statement did. Outside one the statement
 * has committed, and saying it was cancelled would be untrue (rows still are not sent).
 */
export async function failIfCancelledInTransaction(sc: SessionContext, outcome: StatementOutcome): Promise<void> {
  if (!sc.cancelRequested || !sc.tx.open) return;
  sc.cancelRequested = false;
  await outcome.rows?.close().catch(() => undefined);
  throw cancelledError();
}
