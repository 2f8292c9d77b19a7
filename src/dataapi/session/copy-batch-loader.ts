// The former COPY FROM STDIN path: one INSERT per row sent with BatchExecuteStatement (which the
// service runs one parameter set at a time). Kept reachable only for bench/copy-load.ts through
// the internal APGP_COPY_LOADER=batch-execute switch, to measure the set-based loader against it.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { quoteIdentifier } from '../sql/index.js';
import type { CopyRow } from '../copy/index.js';
import type { RunnerContext } from './outcome.js';
import { beginWithSettings } from './generic-statement.js';
import type { CopyTarget } from './copy-target.js';
import type { CopyRowSink } from './copy-row-sink.js';

const MAX_BATCH_BYTES = 3 * 1024 * 1024;
const MAX_BATCH_ROWS = 5000;
const PARAMETER_OVERHEAD_BYTES = 48;

export function batchLoaderRequested(): boolean {
  return process.env.APGP_COPY_LOADER === 'batch-execute';
}

export class BatchExecuteCopyLoader implements CopyRowSink {
  private readonly insert: string;
  private readonly ownTransaction: boolean;
  private batch: SqlParameter[][] = [];
  private batchBytes = 0;
  private inserted = 0;

  constructor(
    private readonly ctx: RunnerContext,
    private readonly target: CopyTarget,
  ) {
    const cols = target.columns;
    this.insert =
      `INSERT INTO ${target.table} (${cols.map((c) => quoteIdentifier(c.name)).join(', ')}) OVERRIDING SYSTEM VALUE VALUES (` +
      cols.map((c, i) => `CAST(:c${i + 1} AS ${c.type})`).join(', ') +
      ')';
    this.ownTransaction = !ctx.tx.open;
  }

  /** Its calls are made from add(), which the client waits for. */
  readonly callInFlight = false;

  async add(values: CopyRow): Promise<void> {
    // One parameter set per row, as before the set-based loader.
    const set = values.map((v, i) => ({ name: `c${i + 1}`, value: v === null ? { isNull: true } : { stringValue: v } }) as SqlParameter);
    const bytes = values.reduce((n, v) => n + PARAMETER_OVERHEAD_BYTES + (v === null ? 0 : Buffer.byteLength(v) * 1.2), 0);
    if (this.batch.length > 0 && (this.batchBytes + bytes > MAX_BATCH_BYTES || this.batch.length >= MAX_BATCH_ROWS)) await this.send();
    this.batch.push(set);
    this.batchBytes += bytes;
  }

  async finish(): Promise<number> {
    await this.send();
    if (this.ownTransaction && this.ctx.tx.open) await this.ctx.tx.commit();
    return this.inserted;
  }

  async abort(): Promise<void> {
    if (this.ownTransaction && this.ctx.tx.open) await this.ctx.tx.rollback().catch(() => undefined);
  }

  private async send(): Promise<void> {
    if (this.batch.length === 0) return;
    if (!this.ctx.tx.open) await beginWithSettings(this.ctx, true);
    if (this.target.columns.length === 0) {
      await this.ctx.tx.execute({ sql: `INSERT INTO ${this.target.table} SELECT FROM pg_catalog.generate_series(1, ${this.batch.length})` }, this.ctx.onResuming);
    } else {
      await this.ctx.tx.batchExecute(this.insert, this.batch, this.ctx.onResuming);
    }
    this.inserted += this.batch.length;
    this.batch = [];
    this.batchBytes = 0;
  }
}
