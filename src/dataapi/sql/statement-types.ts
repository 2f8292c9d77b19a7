// What classifyStatement() tells the Data API session about one statement.
// Names are PostgreSQL's after identifier folding ("My"x -> My"x, Foo -> foo); offsets are
// UTF-16 code-unit offsets into the string that was classified.

export type IsolationLevel = 'serializable' | 'repeatable read' | 'read committed' | 'read uncommitted';

/** BEGIN / START TRANSACTION / SET TRANSACTION modes; absent means "not specified". */
export interface TransactionModes {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
  deferrable?: boolean;
}

/** Whether the statement sends rows (RowDescription + DataRow); 'depends' for CALL and EXECUTE. */
export type RowsExpectation = boolean | 'depends';

interface Base {
  returnsRows: RowsExpectation;
}

export interface EmptyStatement extends Base {
  kind: 'empty';
}

export interface BeginStatement extends Base {
  kind: 'begin';
  /** Decides the command tag. */
  form: 'BEGIN' | 'START TRANSACTION';
  modes: TransactionModes;
}

export interface CommitStatement extends Base {
  kind: 'commit';
  form: 'COMMIT' | 'END';
  chain: boolean;
}

export interface RollbackStatement extends Base {
  kind: 'rollback';
  form: 'ROLLBACK' | 'ABORT';
  chain: boolean;
}

export interface SavepointStatement extends Base {
  kind: 'savepoint';
  name: string;
}

export interface ReleaseSavepointStatement extends Base {
  kind: 'release-savepoint';
  name: string;
}

export interface RollbackToSavepointStatement extends Base {
  kind: 'rollback-to-savepoint';
  name: string;
}

/** PREPARE TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED: two-phase commit, which the Data API cannot do. */
export interface TwoPhaseStatement extends Base {
  kind: 'two-phase';
  action: 'prepare' | 'commit-prepared' | 'rollback-prepared';
  gid: string;
}

export type SetValue =
  /** SET x TO DEFAULT, SET TIME ZONE LOCAL, SET NAMES (no value), SET SESSION AUTHORIZATION DEFAULT */
  | { type: 'default' }
  /** The value as PostgreSQL would store it: 'a b' -> a b, Foo -> foo, 007 -> 7, lists joined by ', '. */
  | { type: 'value'; value: string }
  | { type: 'from-current' }
  /**
   * SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE: the interval literal and its field
   * qualifier ('' | 'hour' | 'minute' | 'hour to minute'), or its precision for INTERVAL(p) '…'.
   */
  | { type: 'interval'; literal: string; qualifier: string; precision: number | null };

/** SET [SESSION|LOCAL] …, including SET TIME ZONE/NAMES/SCHEMA/ROLE/SESSION AUTHORIZATION/XML OPTION. */
export interface SetStatement extends Base {
  kind: 'set';
  local: boolean;
  /** Canonical parameter name: timezone, client_encoding, search_path, role, session_authorization… */
  name: string;
  value: SetValue;
  /** The value's source text (after TO/=, or after TIME ZONE etc.), for forwarding. */
  valueText: string;
}

/** SET TRANSACTION …, SET SESSION CHARACTERISTICS AS TRANSACTION …, SET TRANSACTION SNAPSHOT. */
export interface SetTransactionStatement extends Base {
  kind: 'set-transaction';
  /** 'session' for SET SESSION CHARACTERISTICS (the defaults for later transactions). */
  scope: 'transaction' | 'session';
  modes: TransactionModes;
  snapshot: string | null;
}

export interface ResetStatement extends Base {
  kind: 'reset';
  /** Canonical name, or null for RESET ALL. */
  name: string | null;
}

export interface ShowStatement extends Base {
  kind: 'show';
  /** Canonical name, or null for SHOW ALL. */
  name: string | null;
}

export type CopyFormat = 'text' | 'csv' | 'binary';

/** COPY options after PostgreSQL's defaults are applied (ProcessCopyOptions). */
export interface CopyOptions {
  format: CopyFormat;
  delimiter: string;
  null: string;
  header: boolean | 'match';
  /** CSV only; null otherwise. */
  quote: string | null;
  escape: string | null;
  forceQuote: string[] | 'all';
  forceNotNull: string[];
  forceNull: string[];
  /** Canonical encoding name (UTF8, LATIN1…), or null for the client encoding. */
  encoding: string | null;
  freeze: boolean;
}

export interface QualifiedName {
  /** Name parts after folding: ["public", "t"]. */
  parts: string[];
  /** The name as written, for pasting back into SQL. */
  text: string;
}

export type CopySource =
  | { type: 'table'; table: QualifiedName; columns: string[] | null }
  | { type: 'query'; query: string; queryOffset: number };

export type CopyEndpoint =
  /** STDIN / STDOUT: the COPY sub-protocol with the client. */
  | { type: 'client' }
  /** A server-side file or program: not something a proxy can offer. */
  | { type: 'file'; path: string }
  | { type: 'program'; command: string };

export interface CopyStatement extends Base {
  kind: 'copy';
  direction: 'from' | 'to';
  source: CopySource;
  endpoint: CopyEndpoint;
  options: CopyOptions;
  /** COPY … FROM … WHERE condition, as written. */
  where: string | null;
}

export interface DeclareCursorStatement extends Base {
  kind: 'declare-cursor';
  name: string;
  binary: boolean;
  /** null when neither SCROLL nor NO SCROLL was written. */
  scroll: boolean | null;
  /** WITH HOLD */
  hold: boolean;
  query: string;
  queryOffset: number;
}

/** FETCH or MOVE, normalised: NEXT = forward 1, PRIOR = backward 1, FIRST = absolute 1, LAST = absolute -1. */
export interface FetchStatement extends Base {
  kind: 'fetch';
  move: boolean;
  direction: 'forward' | 'backward' | 'absolute' | 'relative';
  count: number | 'all';
  cursor: string;
}

export interface CloseCursorStatement extends Base {
  kind: 'close-cursor';
  /** null for CLOSE ALL. */
  name: string | null;
}

export interface PrepareStatement extends Base {
  kind: 'prepare';
  name: string;
  /** Type names as written. */
  parameterTypes: string[];
  statement: string;
  statementOffset: number;
}

export interface ExecuteStatement extends Base {
  kind: 'execute';
  name: string;
  /** Argument expressions as written. */
  arguments: string[];
}

export interface DeallocateStatement extends Base {
  kind: 'deallocate';
  /** null for DEALLOCATE ALL. */
  name: string | null;
}

export interface DiscardStatement extends Base {
  kind: 'discard';
  target: 'all' | 'plans' | 'sequences' | 'temp';
}

export interface ListenStatement extends Base {
  kind: 'listen';
  channel: string;
}

export interface UnlistenStatement extends Base {
  kind: 'unlisten';
  /** null for UNLISTEN *. */
  channel: string | null;
}

export interface NotifyStatement extends Base {
  kind: 'notify';
  channel: string;
  payload: string | null;
}

/** Every other statement: plain SQL to run as it is. */
export interface GenericStatement extends Base {
  kind: 'generic';
  /** What the statement is: SELECT, SELECT INTO, INSERT, CREATE TABLE AS, CREATE INDEX, EXPLAIN… */
  verb: string;
  /** The command tag's text; `tagHasRowCount` tags get " n" (INSERT gets " 0 n"). */
  tag: string;
  tagHasRowCount: boolean;
  /** False when the first word is not a statement PostgreSQL knows (the server will say why). */
  recognised: boolean;
}

/**
 * A statement PostgreSQL would reject before running anything, for statements the proxy answers
 * itself (transaction control, cursors, SET…) or text it cannot lex.
 */
export interface InvalidStatement extends Base {
  kind: 'invalid';
  sqlState: string;
  message: string;
  /** Where the error is (for the Position field), or null when PostgreSQL gives none. */
  offset: number | null;
}

export type ClassifiedStatement =
  | EmptyStatement
  | BeginStatement
  | CommitStatement
  | RollbackStatement
  | SavepointStatement
  | ReleaseSavepointStatement
  | RollbackToSavepointStatement
  | TwoPhaseStatement
  | SetStatement
  | SetTransactionStatement
  | ResetStatement
  | ShowStatement
  | CopyStatement
  | DeclareCursorStatement
  | FetchStatement
  | CloseCursorStatement
  | PrepareStatement
  | ExecuteStatement
  | DeallocateStatement
  | DiscardStatement
  | ListenStatement
  | UnlistenStatement
  | NotifyStatement
  | GenericStatement
  | InvalidStatement;

export type StatementKind = ClassifiedStatement['kind'];
