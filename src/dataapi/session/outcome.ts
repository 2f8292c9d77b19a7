// What running one statement yields, the context it runs in, and the errors it may raise:
// shared by the statement runner, generic statements, COPY and the session.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import type { NoticeFields } from '../../protocol/messages.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import { positionToOffset, type ClassifiedStatement } from '../sql/index.js';
import type { RowSource } from './row-source.js';
import type { SessionSettings } from './settings.js';
import type { Transaction } from './transaction.js';
import type { CursorColumns } from './cursor-casts.js';
import type { SessionObjects } from './session-objects.js';
import type { DescribedStatement } from './describe.js';
import type { ParsedStatement } from '../sql/index.js';
import type { BatchRoutes } from './batch-route.js';

export interface StatementOutcome {
  /** The result set's columns; null when the statement sends no rows. */
  columns: ColumnMetadata[] | null;
  rows: RowSource | null;
  /** The command tag once `rowCount` rows were sent (or affected). */
  tag(rowCount: number): string;
  /** Rows affected, for statements without a result set. */
  affected: number;
  notices: NoticeFields[];
  parameterStatus: [string, string][];
}

export interface RunnerContext {
  tx: Transaction;
  settings: SessionSettings;
  onResuming: () => void;
  /** Cursors declared again with text casts (see cursor-casts.ts). */
  cursorColumns: CursorColumns;
  /** Read every SELECT of a client's transaction through a cursor (--page-in-transactions). */
  pageInTransactions: boolean;
  /** Temp objects, WITH HOLD cursors and table OIDs of the session (issue 9; session-objects.ts). */
  sessionObjects?: SessionObjects;
  /** Describes a statement without running it (describe.ts), answered from the session's cache. */
  describe?: (statement: ParsedStatement, paramTypes: number[]) => Promise<DescribedStatement>;
  /** How pipelined INSERT batches run, per statement (batch-route.ts), kept for the session. */
  batchRoutes?: BatchRoutes;
}

/** An error located in the client's statement text (an offset, not yet a Position). */
export class StatementError extends ClientFacingError {
  constructor(
    code: string,
    message: string,
    readonly statementOffset?: number,
    extra: ConstructorParameters<typeof ClientFacingError>[2] = {},
  ) {
    super(code, message, extra, 'ERROR');
  }
}

/**
 * Re-anchors the Position of a database error, which counts characters of the SQL that was
 * sent, to the client's own statement text.
 */
export function locateError(err: unknown, sentSql: string, toOriginal: (offset: number) => number): unknown {
  if (!(err instanceof ClientFacingError) || err.extra.position === undefined) return err;
  const offset = toOriginal(positionToOffset(sentSql, err.extra.position));
  const { position: _dropped, ...rest } = err.extra;
  return new StatementError(err.sqlstate, err.message, offset, rest);
}

const ABORTED = 'current transaction is aborted, commands ignored until end of transaction block';

export function abortedTransactionError(): ClientFacingError {
  return new ClientFacingError(SqlState.IN_FAILED_SQL_TRANSACTION, ABORTED, {}, 'ERROR');
}

/** Statements PostgreSQL still accepts in a failed transaction. */
export function allowedInFailedTransaction(s: ClassifiedStatement): boolean {
  return s.kind === 'rollback' || s.kind === 'commit' || s.kind === 'rollback-to-savepoint' || s.kind === 'empty' || (s.kind === 'two-phase' && s.action === 'prepare');
}

export const SELECT_LIKE = new Set(['SELECT', 'VALUES', 'TABLE']);

export function simple(tag: string, extra: Partial<StatementOutcome> = {}): StatementOutcome {
  return { columns: null, rows: null, tag: () => tag, affected: 0, notices: [], parameterStatus: [], ...extra };
}

export function warning(message: string, code = '25001'): NoticeFields {
  return { severity: 'WARNING', code, message };
}

export interface RunOptions {
  /** The client reads the rows with a row limit (Execute maxRows), i.e. in pages. */
  paged?: boolean;
}

