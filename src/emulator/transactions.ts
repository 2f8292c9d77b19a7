// Data API transactions: each pins one PostgreSQL connection, takes one call at a time, and is
// rolled back and forgotten after an idle period (the service: 3 minutes) or its maximum life.
// Ended ids are remembered for a while so that a later call learns why the id stopped working.

import { randomBytes } from 'node:crypto';
import type { ConnectionManager, Session } from './connections.js';
import { transactionBusy, transactionNotFound, type TransactionEndCause } from './errors.js';
import type { EmulatorLogger } from './options.js';

export interface Transaction {
  readonly id: string;
  readonly session: Session;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
  lifetimeTimer?: NodeJS.Timeout;
}

const REMEMBERED_ENDINGS = 10_000;

export class TransactionRegistry {
  private readonly open = new Map<string, Transaction>();
  private readonly ended = new Map<string, TransactionEndCause>();

  constructor(
    private readonly connections: ConnectionManager,
    private readonly idleTimeoutMs: number,
    private readonly maxLifetimeMs: number,
    private readonly logger?: EmulatorLogger,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Registers a session that has already run BEGIN. */
  begin(session: Session): Transaction {
    // The service's ids are long base64 strings (up to 192 characters).
    const tx: Transaction = { id: randomBytes(120).toString('base64'), session, busy: false };
    this.open.set(tx.id, tx);
    tx.lifetimeTimer = setTimeout(() => void this.expire(tx).catch(() => undefined), this.maxLifetimeMs);
    tx.lifetimeTimer.unref();
    this.armIdleTimer(tx);
    return tx;
  }

  /** Takes the transaction for one call; a second call while one runs is refused. */
  claim(id: string): Transaction {
    const tx = this.open.get(id);
    if (!tx) throw transactionNotFound(id, this.ended.get(id) ?? 'Transaction may be expired');
    if (tx.busy) throw transactionBusy();
    tx.busy = true;
    clearTimeout(tx.idleTimer);
    return tx;
  }

  /** The call is over; the idle clock starts again. */
  async release(tx: Transaction): Promise<void> {
    await tx.session.drained;
    if (tx.session.broken) {
      await this.end(tx, 'Transaction has been aborted due to an error from a previous call');
      return;
    }
    tx.busy = false;
    if (this.open.has(tx.id)) this.armIdleTimer(tx);
  }

  /** Forgets the transaction and returns its connection (rolling back whatever is left). */
  async end(tx: Transaction, cause: TransactionEndCause): Promise<void> {
    if (this.open.get(tx.id) !== tx) return;
    this.open.delete(tx.id);
    clearTimeout(tx.idleTimer);
    clearTimeout(tx.lifetimeTimer);
    this.ended.set(tx.id, cause);
    if (this.ended.size > REMEMBERED_ENDINGS) {
      const oldest = this.ended.keys().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
    await this.connections.release(tx.session);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.values()].map((tx) => this.end(tx, 'Transaction may be expired')));
  }

  private armIdleTimer(tx: Transaction): void {
    clearTimeout(tx.idleTimer);
    tx.idleTimer = setTimeout(() => void this.expire(tx).catch(() => undefined), this.idleTimeoutMs);
    tx.idleTimer.unref();
  }

  private async expire(tx: Transaction): Promise<void> {
    if (tx.busy) {
      // Still running a statement (continueAfterTimeout); expire once it is done.
      this.armIdleTimer(tx);
      return;
    }
    this.logger?.info({ transaction: tx.id.slice(0, 12) }, 'transaction expired and rolled back');
    await this.end(tx, 'Transaction may be expired');
  }
}
