// What a Data API session sends back besides rows in pages: a statement's whole result (simple
// protocol), its notices and parameter changes, errors with their position, ReadyForQuery.
import {
  encodeCommandComplete,
  encodeEmptyQueryResponse,
  encodeErrorResponse,
  encodeNoticeResponse,
  encodeReadyForQuery,
} from '../../protocol/backend-encoder.js';
import type { FormatCode, NoticeFields } from '../../protocol/messages.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { errorFields } from '../../protocol/client-error.js';
import { StreamClosedError } from '../../server/message-channel.js';
import { completeErrorFields } from './error-fields.js';
import { offsetToPosition } from '../sql/index.js';
import { StatementError, type StatementOutcome } from './outcome.js';
import { ResultShape, textStyleOf } from './results.js';
import type { RowSource } from './row-source.js';
import type { SessionContext } from './session-context.js';
import { cancelledError } from './cancel.js';

/** Rows sent per read from a source when the client set no row limit. */
export const PAGE_ROWS = 1000;

/** A statement's whole answer: RowDescription when asked, every row, then its tag. */
export async function sendOutcome(sc: SessionContext, outcome: StatementOutcome, formats: FormatCode[], describe: boolean): Promise<void> {
  const { out } = sc;
  sendSideEffects(sc, outcome);
  if (outcome.columns && outcome.rows) {
    const shape = new ResultShape(outcome.columns, textStyleOf(sc.settings));
    if (describe) out.send(shape.rowDescription(formats));
    let sent = 0;
    const rows: RowSource = outcome.rows;
    for (;;) {
      if (sc.cancelRequested) {
        sc.cancelRequested = false;
        await rows.close().catch(() => undefined);
        throw cancelledError();
      }
      const batch = await rows.next(PAGE_ROWS);
      if (batch.length === 0) break;
      const encoded = shape.dataRows(batch, formats);
      for (const chunk of encoded.chunks) {
        const p = out.send(chunk);
        if (p) await p;
      }
      if (encoded.error !== undefined) throw encoded.error;
      sent += batch.length;
    }
    out.send(encodeCommandComplete(outcome.tag(sent)));
    return;
  }
  const tag = outcome.tag(outcome.affected);
  out.send(tag === '' ? encodeEmptyQueryResponse() : encodeCommandComplete(tag));
}

export function sendSideEffects(sc: SessionContext, outcome: StatementOutcome): void {
  for (const n of outcome.notices) sc.out.send(encodeNoticeResponse(n));
  for (const [k, v] of outcome.parameterStatus) sc.parameters.changed(k, v);
}

/**
 * Sends an ErrorResponse. `query` is the simple Query's text and `statementOffset` where the
 * failing statement starts in it; null for the extended protocol (the statement's own text).
 */
export async function reportError(sc: SessionContext, err: unknown, query: string | null, statementOffset: number): Promise<void> {
  // Nobody is left to tell: the session ends with the client's own failure (the listener counts
  // it as the client gone), not as an error of ours.
  const client = sc.session.stream;
  if (client.destroyed) throw client.errored ?? new StreamClosedError('the client closed the connection');
  const fields: NoticeFields = errorFields(err, 'ERROR');
  await completeErrorFields(sc.runner, fields, query ?? sc.lastExtendedText);
  if (err instanceof StatementError && err.statementOffset !== undefined && query !== null) {
    fields.position = offsetToPosition(query, statementOffset + err.statementOffset);
  } else if (err instanceof StatementError && err.statementOffset !== undefined && query === null) {
    const text = sc.lastExtendedText;
    if (text !== null) fields.position = offsetToPosition(text, err.statementOffset);
  }
  if (fields.code === SqlState.INTERNAL_ERROR && !(err instanceof StatementError)) {
    sc.session.log.error({ err: (err as Error)?.message, stack: (err as Error)?.stack }, 'Data API session error');
  }
  sc.observer.queryError?.(fields.code);
  sc.out.send(encodeErrorResponse(fields));
  // PostgreSQL sends an error at once rather than with the rest of the answer; clients that
  // act on it as it arrives (node-postgres rejects the query then) see the same order.
  await sc.out.flush();
}

export async function readyForQuery(sc: SessionContext, started: number | null): Promise<void> {
  for (const m of sc.parameters.beforeReadyForQuery()) sc.out.send(m);
  sc.out.send(encodeReadyForQuery(sc.tx.status));
  await sc.out.flush();
  if (started !== null) sc.observer.queryFinished?.((performance.now() - started) / 1000);
}

export function noticeResuming(sc: SessionContext): void {
  sc.out.send(
    encodeNoticeResponse({
      severity: 'NOTICE',
      code: '57P03',
      message: 'the Aurora cluster is resuming from a pause; aurora-pg-proxy waits for it (this takes up to about 30 seconds)',
    }),
  );
  void sc.out.flush().catch(() => undefined);
}
