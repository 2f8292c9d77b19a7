// A client's transaction as the Data API knows it: BeginTransaction gives an id that every call
// of the transaction carries. The Data API drops a transaction after 3 minutes without a call,
// so an idle open transaction is kept alive with a cheap statement; it allows one call at a time
// per transaction, so every call of the transaction (the keep-alive included) goes through one
// queue. PostgreSQL's transaction status ('I', 'T', 'E') is kept here for ReadyForQuery.
import type { TransactionStatus } from '../../protocol/messages.js';
import type { DataApiClient, ExecuteRequest } from '../client/data-api-client.js';
import type { ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';

export interface TransactionEvents {
  transactionOpened?(): void;
  transactionClosed?(): void;
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

  constructor(
    private readonly client: DataApiClient,
    private readonly events: TransactionEvents = {},
    private readonly keepAliveMs = DEFAULT_KEEPALIVE_MS,
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
    if (this.id !== null) this.failed = true;
  }

  markRecovered(): void {
    this.failed = false;
  }

  async begin(onResuming?: () => void, implicit = false): Promise<void> {
    if (this.id !== null) throw new Error('transaction already open');
    this.id = await this.client.begin(onResuming);
    this.failed = false;
    this.implicit = implicit;
    this.events.transactionOpened?.();
    this.armKeepAlive();
  }

  /** Runs a statement in this transaction (or autocommit when none is open). */
  execute(req: Omit<ExecuteRequest, 'transactionId'>, onResuming?: () => void): Promise<ExecuteStatementCommandOutput> {
    const transactionId = this.id ?? undefined;
    return this.serialized(() => this.client.execute({ ...req, transactionId }, onResuming));
  }

  batchExecute(sql: string, sets: Parameters<DataApiClient['batchExecute']>[1], onResuming?: () => void): Promise<number> {
    const transactionId = this.id ?? undefined;
    return this.serialized(() => this.client.batchExecute(sql, sets, transactionId, onResuming));
  }

  async commit(): Promise<void> {
    const id = this.take();
    if (id) await this.serialized(() => this.client.commit(id));
  }

  async rollback(): Promise<void> {
    const id = this.take();
    if (id) await this.serialized(() => this.client.rollback(id));
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
