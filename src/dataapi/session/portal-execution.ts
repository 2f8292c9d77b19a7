// Execute of a portal: its statement runs once (at the first Execute, or at a Describe that
// needed its columns), then its rows go out up to each Execute's row limit, with
// PortalSuspended when rows remain. The statements of one pipeline (up to Sync) share a Data
// API transaction, as PostgreSQL's implicit transaction; rounds of one single-row INSERT travel
// as BatchExecuteStatement calls.
import { encodeCommandComplete, encodePortalSuspended } from '../../protocol/backend-encoder.js';
import type { FormatCode } from '../../protocol/messages.js';
import { SqlState } from '../../protocol/sqlstate.js';
import type { Portal } from '../protocol/statement-registry.js';
import { PAGE_ROWS, sendSideEffects } from './answers.js';
import { executeRounds } from './batch-execution.js';
import { failIfCancelledInTransaction, throwIfCancelled } from './cancel.js';
import { deallocateLocally } from './local-deallocate.js';
import { expandFormats } from './render.js';
import { ResultShape, textStyleOf } from './results.js';
import type { SessionContext } from './session-context.js';
import { beginWithSettings, runStatement, StatementError } from './statement-runner.js';

export async function executePortal(sc: SessionContext, portal: Portal, maxRows: number): Promise<void> {
  const started = performance.now();
  const { out, tx } = sc;
  if (!portal.outcome) sc.session.counters.queries++;
  if (!portal.outcome && (await executeAsBatch(sc, portal))) {
    sc.observer.queryFinished?.((performance.now() - started) / 1000);
    return;
  }
  await startPortal(sc, portal, maxRows, false);
  const outcome = portal.outcome!;
  if (portal.done) {
    // PostgreSQL answers a finished portal with its tag and no rows.
    out.send(encodeCommandComplete(outcome.tag(0)));
    return;
  }
  const formats = portal.shape ? expandFormats(portal.resultFormats, portal.shape.width, 'result') : [];
  const suspended = await streamRows(sc, portal, formats, maxRows);
  if (suspended) {
    out.send(encodePortalSuspended());
  } else {
    portal.done = true;
    out.send(encodeCommandComplete(outcome.tag(outcome.rows ? portal.rowsSent : outcome.affected)));
    if (tx.implicit && !(await sc.input.executeFollows())) await tx.commit();
  }
  sc.observer.queryFinished?.((performance.now() - started) / 1000);
}

/**
 * Runs the portal's statement. `maxRows` is the row limit of its Execute (0: none), and
 * `ownExecuteQueued` says that Execute is still among the queued frames (a Describe came first).
 * `inPages` reads the rows through a cursor, a page at a time, as a row limit does.
 */
export async function startPortal(sc: SessionContext, portal: Portal, maxRows: number, ownExecuteQueued: boolean, inPages = maxRows > 0): Promise<void> {
  if (portal.outcome) return;
  sc.cancelRequested = false;
  await beginPipelineTransaction(sc, ownExecuteQueued);
  const st = portal.statement.statement;
  sc.lastExtendedText = st.text;
  if (st.classified.kind === 'copy') {
    throw new StatementError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY is supported through the simple query protocol only in Data API mode');
  }
  const outcome = deallocateLocally(sc, st.classified) ?? (await runStatement(sc.runner, st, portal.bound, { paged: inPages }));
  await failIfCancelledInTransaction(sc, outcome);
  portal.outcome = outcome;
  portal.shape = outcome.columns ? new ResultShape(outcome.columns, textStyleOf(sc.settings)) : null;
  sendSideEffects(sc, outcome);
}

/**
 * Runs this Execute and the rounds of the same INSERT queued behind it as BatchExecuteStatement
 * calls (batch-execution.ts). False when there is nothing to batch.
 */
async function executeAsBatch(sc: SessionContext, portal: Portal): Promise<boolean> {
  const st = portal.statement;
  if (!st.batchable || st.paramCount === 0) return false;
  const more = await executeRounds(sc.runner, sc.input, sc.out, st, portal.name, portal.bound, (name) => sc.registry.statements.get(name));
  if (more === null) return false;
  portal.done = true;
  sc.session.counters.queries += more;
  return true;
}

/** Sends up to maxRows (0: all) rows; true when rows remain. */
async function streamRows(sc: SessionContext, portal: Portal, formats: FormatCode[], maxRows: number): Promise<boolean> {
  const rows = portal.outcome!.rows;
  const shape = portal.shape;
  if (!rows || !shape) return false;
  let sentNow = 0;
  for (;;) {
    throwIfCancelled(sc);
    const want = maxRows > 0 ? Math.min(PAGE_ROWS, maxRows - sentNow) : PAGE_ROWS;
    if (want === 0) return !rows.exhausted;
    const batch = await rows.next(want);
    if (batch.length === 0) return false;
    const encoded = shape.dataRows(batch, formats);
    for (const chunk of encoded.chunks) {
      const p = sc.out.send(chunk);
      if (p) await p;
    }
    if (encoded.error !== undefined) throw encoded.error;
    sentNow += batch.length;
    portal.rowsSent += batch.length;
    if (rows.exhausted && maxRows === 0) return false;
    if (maxRows > 0 && sentNow >= maxRows) return !rows.exhausted;
  }
}

/**
 * PostgreSQL runs the statements of one pipeline (up to Sync) in one implicit transaction.
 * When another Execute follows before the Sync, open a Data API transaction so that they commit
 * or fail together; a lone statement runs in autocommit (one call).
 */
async function beginPipelineTransaction(sc: SessionContext, ownExecuteQueued: boolean): Promise<void> {
  if (sc.tx.open) return;
  // Called for a Describe, the statement's own Execute is still queued: it is not another one.
  if (await sc.input.executeFollows(ownExecuteQueued ? 1 : 0)) await beginWithSettings(sc.runner, true);
}
