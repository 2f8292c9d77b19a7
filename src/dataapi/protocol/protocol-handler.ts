// What the protocol machine asks of a mode: the machine keeps PostgreSQL's own bookkeeping
// (statements, portals, skip until Sync, ReadyForQuery after a Query), and the handler runs
// statements, describes them and keeps the transaction.
import type { ParsedStatement } from '../sql/index.js';
import type { Portal, PreparedStatement } from './statement-registry.js';

export interface SimpleQuery {
  /** The Query message's text, for error positions. */
  sql: string;
  /** Its statements, parsed once; never empty (an empty query is answered by the machine). */
  statements: ParsedStatement[];
}

export interface ProtocolHandler {
  /** Runs every statement of a simple Query (COPY included) and reports its error, if any. */
  simpleQuery(query: SimpleQuery): Promise<void>;
  /** Whether Execute rounds of a statement may travel together (batching); asked once at Parse. */
  canBatch(statement: ParsedStatement): boolean;
  /**
   * ParameterDescription and RowDescription (or NoData) of a prepared statement. True when the
   * database analysed the statement to answer (so it would have been accepted at Parse).
   */
  describeStatement(statement: PreparedStatement): Promise<boolean>;
  /**
   * RowDescription or NoData of a portal; `portal` is undefined for a name Bind did not make (an
   * SQL cursor). True when the portal's statement was run to answer.
   */
  describePortal(portal: Portal | undefined, name: string): Promise<boolean>;
  /**
   * Has the database analyse a statement without running it, and throws the error PostgreSQL
   * would have answered its Parse with (held-parse.ts).
   */
  checkStatement(statement: PreparedStatement): Promise<void>;
  /** Runs (or continues) a portal of a non-empty statement: rows up to maxRows (0: all), then its tag or PortalSuspended. */
  executePortal(portal: Portal, maxRows: number): Promise<void>;
  /** Sync: ends the pipeline's implicit transaction. Says whether a transaction block is still open. */
  sync(): Promise<{ transactionOpen: boolean }>;
  /** A fast-path FunctionCall; ReadyForQuery follows. */
  functionCall(body: Buffer): Promise<void>;
  /** Reports an error of the extended protocol; the machine then skips messages until Sync. */
  extendedError(err: unknown): Promise<void>;
  /** ParameterStatus reports, ReadyForQuery with the transaction status, and a flush. */
  readyForQuery(started: number | null): Promise<void>;
}
