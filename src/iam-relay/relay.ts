// What the relay between a client and its upstream connection (DSQL, RDS) reports, and how a
// backend steers a running relay. The relay itself is fast-relay.ts.
import type { NoticeFields } from '../protocol/messages.js';

export interface RelayObserver {
  queryFinished?(seconds: number): void;
  /** Many finished queries at once (the native relay's batches): the count moves once for all. */
  queriesFinished?(durations: ArrayLike<number>): void;
  bytes?(direction: 'client_to_upstream' | 'upstream_to_client', n: number): void;
  /** An ErrorResponse from the cluster, by SQLSTATE. */
  queryError?(sqlstate: string): void;
  /** ReadyForQuery moved from idle into a transaction, and back (or the session ended in one). */
  transactionOpened?(): void;
  transactionClosed?(): void;
}

export interface RelayHandle {
  /** Resolves when either side has closed and both are torn down. */
  done: Promise<void>;
  /**
   * Once done: the client ended cleanly and the upstream was left open (not destroyed, listeners
   * removed, paused), idle outside a transaction, for the backend to reset and keep
   * (--reuse-connections), or to keep as it was when the client never used it (see
   * upstreamUntouched). False whenever keeping was not asked for. The native relay hands the
   * connection on earlier, as soon as the Terminate is read (NativeRelayOptions.onUpstreamKept).
   */
  readonly upstreamKept: boolean;
  /**
   * With upstreamKept: nothing passed between client and server in this session (the client's
   * first message was its Terminate, as a health probe such as pg_isready sends, and the server
   * sent nothing), so the connection is exactly as its login left it and needs no reset.
   */
  readonly upstreamUntouched: boolean;
  /**
   * The prepared statements the client made (Parse with a name), or null when they could not all
   * be followed (see named-statements.ts); only followed with reuse on.
   */
  readonly preparedStatements: readonly string[] | null;
  /** Ends the session with a final error to the client, at a message boundary when possible. */
  terminate(fields: NoticeFields): void;
  /** Sends an asynchronous NoticeResponse to the client between two messages of the cluster. */
  notice(fields: NoticeFields, encode: (f: NoticeFields) => Buffer): void;
}
