// A client's transaction as the Data API knows it: BeginTransaction gives an id that every call
// of the transaction carries. The Data API drops a transaction after 3 minutes without a call,
// so an idle open transaction is kept alive with a cheap statement; it allows one call at a time
// per transaction, so every call of the transaction (the keep-alive included) goes through one
// queue. PostgreSQL's transaction status ('I', 'T', 'E') is kept here for ReadyForQuery.
import type { TransactionStatus } from '../../protocol/messages.js';
import type { DataApiClient, ExecuteRequest } from '../client/data-api-client.js';
import { DataApiError } from '../client/service-errors.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import { SqlState } from '../../protocol/sqlstate.js';
import type { ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';

export interface TransactionEvents {
  transactionOpened?(): void;
  transactionClosed?(): void;
  /** The transaction ended: committed, or rolled back (settings made in it are then undone). */
  transactionEnded?(committed: boolean): void;
  /** An error aborted the transaction (or its innermost savepoint): its settings are undone already. */
  transactionFailed?(): void;
}

/** Keep-alive interval: well inside the Data API's 3-minute idle limit. */
export const DEFAULT_KEEPALIVE_MS = 120_000;

export class Transaction {
  private id: string | null = null;
  private failed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private keepAlive: NodeJS.Timeout | null = null;
  /** Set when the proxy opened the transaction for its own needs (implicit block, cursor paging). */
  implicit = false;
  /** Statements run since BEGIN, and how many of them were the proxy's own set-up. */
  private calls = 0;
  private setupCalls = 0;
  private leading: string[] = [];

  constructor(
    private readonly client: DataApiClient,
    private readonly events: TransactionEvents = {},
    private readonly keepAliveMs = DEFAULT_KEEPALIVE_MS,
    /**
     * The database serves one session at a time (the demo's embedded PostgreSQL): while this
     * transaction is open, a call outside it would wait for it to end, which never comes.
     */
    readonly oneSessionDatabase = false,
  ) {}

  get status(): TransactionStatus {
    if (this.id === null) return 'I';
    return this.failed ? 'E' : 'T';
  }

  get open(): boolean {
    return this.id !== null;
  }

  get transactionId(): string | undefined {
    return this.id ?? undefined;
  }

  markFailed(): void {
    if (this.id === null || this.failed) return;
    this.failed = true;
    this.events.transactionFailed?.();
  }

  markRecovered(): void {
    this.failed = false;
  }

  async begin(onResuming?: () => void, implicit = false): Promise<void> {
    if (this.id !== null) throw new Error('transaction already open');
    this.id = await this.client.begin(onResuming);
    this.failed = false;
    this.implicit = implicit;
    this.calls = 0;
    this.setupCalls = 0;
    this.leading = [];
    this.events.transactionOpened?.();
    this.armKeepAlive();
  }

  /**
   * Marks the statements run so far as the transaction's set-up: the client's `leading` SET
   * TRANSACTION statements (which must precede any query), then the proxy's settings.
   */
  markSetupDone(leading: string[] = []): void {
    this.setupCalls = this.calls;
    this.leading = leading;
  }

  /** The client's SET TRANSACTION statements that began this transaction. */
  get leadingStatements(): readonly string[] {
    return this.leading;
  }

  /** Whether the proxy ran statements of its own (applying settings) in the set-up. */
  get setupRan(): boolean {
    return this.setupCalls > this.leading.length;
  }

  /** Whether nothing but the proxy's set-up ran in this transaction, so it may be begun again. */
  get untouched(): boolean {
    return this.calls === this.setupCalls;
  }

  /** Runs a statement in this transaction (or autocommit when none is open). */
  execute(req: Omit<ExecuteRequest, 'transactionId'>, onResuming?: () => void): Promise<ExecuteStatementCommandOutput> {
    const transactionId = this.id ?? undefined;
    if (transactionId) this.calls++;
    return this.serialized(() => this.client.execute({ ...req, transactionId }, onResuming));
  }

  /** Which database the calls go to: catalogue answers are cached under it. */
  get catalogueKey(): string {
    return `${this.client.target.resourceArn}\u0000${this.client.target.database ?? ''}`;
  }

  /**
   * Runs a statement on its own, outside this transaction (autocommit), e.g. to ask the database
   * something. On a one-session database with this transaction open, refuses at once instead.
   */
  executeAlone(req: Omit<ExecuteRequest, 'transactionId'>, onResuming?: () => void): Promise<ExecuteStatementCommandOutput> {
    if (this.oneSessionDatabase && this.id !== null) {
      return Promise.reject(
        new ClientFacingError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, 'the database serves one session at a time, and this session holds it in a transaction', {
          hint: 'The demo\'s embedded PostgreSQL has a single session; end the transaction first.',
        }, 'ERROR'),
      );
    }
    return this.client.execute(req, onResuming);
  }

  batchExecute(sql: string, sets: Parameters<DataApiClient['batchExecute']>[1], onResuming?: () => void): Promise<number> {
    const transactionId = this.id ?? undefined;
    if (transactionId) this.calls++;
    return this.serialized(() => this.client.batchExecute(sql, sets, transactionId, onResuming));
  }

  async commit(): Promise<void> {
    const id = this.take();
    if (!id) return;
    try {
      await this.serialized(() => this.client.commit(id));
    } catch (err) {
      this.events.transactionEnded?.(false);
      throw err;
    }
    this.events.transactionEnded?.(true);
  }

  async rollback(): Promise<void> {
    const id = this.take();
    if (!id) return;
    this.events.transactionEnded?.(false);
    try {
      await this.serialized(() => this.client.rollback(id));
    } catch (err) {
      // The Data API already ended it (after an error that terminates a transaction, such as a
      // result over 1 MiB): nothing of it was committed, which is all a rollback promises.
      if (err instanceof DataApiError && err.outcome === 'transaction_not_found') return;
      throw err;
    }
  }

  /** The client left: roll back whatever is open, and never let that fail loudly. */
  async abandon(): Promise<void> {
    try {
      await this.rollback();
    } catch {
      // The Data API ends it anyway after 3 minutes without a call.
    }
  }

  private take(): string | null {
    const id = this.id;
    this.id = null;
    this.failed = false;
    this.implicit = false;
    if (this.keepAlive) clearTimeout(this.keepAlive);
    this.keepAlive = null;
    if (id) this.events.transactionClosed?.();
    return id;
  }

  private serialized<T>(call: () => Promise<T>): Promise<T> {
    const run = this.queue.then(call, call);
    this.queue = run.catch(() => undefined);
    this.armKeepAlive();
    return run;
  }

  private armKeepAlive(): void {
    if (this.keepAlive) clearTimeout(this.keepAlive);
    this.keepAlive = null;
    if (this.id === null) return;
    this.keepAlive = setTimeout(() => {
      const id = this.id;
      if (!id) return;
      // In an aborted transaction PostgreSQL refuses the statement, but the call still counts
      // as activity for the Data API; either way the answer does not matter.
      void this.serialized(() => this.client.execute({ sql: 'SELECT 1', transactionId: id })).catch(() => undefined);
    }, this.keepAliveMs);
    this.keepAlive.unref();
  }
}
