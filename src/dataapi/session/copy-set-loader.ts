// Sends the rows of a COPY FROM STDIN in set-based chunks (copy-chunk-sql.ts), all in one
// transaction so the COPY succeeds or fails whole. A COPY that fits in one chunk outside a
// transaction is one ExecuteStatement, atomic on its own. Before every chunk that follows other
// work of the same transaction a savepoint is taken (and released after it), so that a failing
// chunk can be rolled back alone and its bad row found (copy-failure.ts) with the earlier rows
// still in place; the first chunk of the COPY's own transaction needs none: on failure the
// transaction is begun again.
import type { CopyRow } from '../copy/index.js';
import type { RunnerContext } from './outcome.js';
import { beginWithSettings } from './generic-statement.js';
import { CHUNK_PARAMETER_BYTES, ChunkStatements, type PendingRow } from './copy-chunk-sql.js';
import { CopyFailureLocator, isDatabaseError } from './copy-failure.js';
import type { CopyTarget } from './copy-target.js';
import type { CopyRowSink } from './copy-row-sink.js';
import type { CopyInputSettings } from './copy-input-settings.js';

const CHUNK_SAVEPOINT = 'apgp_copy_chunk';

export class SetBasedCopyLoader implements CopyRowSink {
  private readonly statements: ChunkStatements;
  private readonly insertSql: string;
  private readonly ownTransaction: boolean;
  private pending: PendingRow[] = [];
  private pendingBytes = 2;
  private sentChunks = 0;
  private inserted = 0;
  /** What the client's transaction had before the COPY set its TimeZone/DateStyle (to put back). */
  private previousSettings: (string | undefined)[] | null = null;

  constructor(
    private readonly ctx: RunnerContext,
    private readonly target: CopyTarget,
    /** Settings that must be applied in a transaction (SET LOCAL at BEGIN): no lone statement then. */
    private readonly needsTransactionForSettings: boolean,
    /** The client's TimeZone and DateStyle, when they are not the database's (copy-input-settings.ts). */
    private readonly inputSettings: CopyInputSettings | null,
    where: string | null,
  ) {
    this.statements = new ChunkStatements(target, where);
    this.insertSql = this.statements.insert();
    this.ownTransaction = !ctx.tx.open;
  }

  /** Queues a row; only when the chunk is full is there a call to wait for. */
  add(values: CopyRow, line: number, text: string): Promise<void> | undefined {
    const { json, wireBytes } = this.statements.rowJson(values);
    const row: PendingRow = { json, values, line, text };
    if (this.pending.length > 0 && this.pendingBytes + wireBytes > CHUNK_PARAMETER_BYTES) {
      return this.sendChunk(false).then(() => this.keep(row, wireBytes));
    }
    this.keep(row, wireBytes);
    return undefined;
  }

  private keep(row: PendingRow, wireBytes: number): void {
    this.pending.push(row);
    this.pendingBytes += wireBytes;
  }

  /** Sends what is left and commits the COPY's own transaction; returns the rows inserted. */
  async finish(): Promise<number> {
    await this.sendChunk(true);
    if (this.ownTransaction && this.ctx.tx.open) await this.ctx.tx.commit();
    else if (this.inputSettings && this.previousSettings) {
      await this.ctx.tx.execute({ sql: this.inputSettings.restore(this.previousSettings) }, this.ctx.onResuming);
    }
    return this.inserted;
  }

  /** After an error: the COPY's own transaction is rolled back (the caller's is left failed). */
  async abort(): Promise<void> {
    if (this.ownTransaction && this.ctx.tx.open) await this.ctx.tx.rollback().catch(() => undefined);
  }

  private async sendChunk(last: boolean): Promise<void> {
    const rows = this.pending;
    if (rows.length === 0) return;
    this.pending = [];
    this.pendingBytes = 2;
    const { tx } = this.ctx;
    const alone = last && this.sentChunks === 0 && this.ownTransaction && !this.needsTransactionForSettings && !this.inputSettings;
    if (!alone && !tx.open) await this.begin();
    if (this.inputSettings && !this.previousSettings) await this.applyInputSettings();
    const firstOfOwn = this.ownTransaction && this.sentChunks === 0;
    const guarded = tx.open && !firstOfOwn;
    if (guarded) await tx.execute({ sql: `SAVEPOINT ${CHUNK_SAVEPOINT}` }, this.ctx.onResuming);
    let inserted: number;
    try {
      const out = await tx.execute({ sql: this.insertSql, parameters: this.statements.parameter(rows) }, this.ctx.onResuming);
      // What the INSERT wrote, as COPY counts: rows a WHERE or a BEFORE trigger skipped are not.
      inserted = Number(out.numberOfRecordsUpdated ?? rows.length);
    } catch (err) {
      if (!isDatabaseError(err)) throw err;
      // Back to a healthy transaction holding exactly the rows before this chunk.
      if (guarded) {
        await tx.execute({ sql: `ROLLBACK TO SAVEPOINT ${CHUNK_SAVEPOINT}` }, this.ctx.onResuming);
      } else {
        if (tx.open) await tx.rollback();
        await this.begin();
        if (this.inputSettings) await this.applyInputSettings();
      }
      throw await new CopyFailureLocator(this.ctx, this.target, this.statements).locate(rows, err);
    }
    if (guarded) await tx.execute({ sql: `RELEASE SAVEPOINT ${CHUNK_SAVEPOINT}` }, this.ctx.onResuming);
    this.sentChunks++;
    this.inserted += inserted;
  }

  private async begin(): Promise<void> {
    await beginWithSettings(this.ctx, true);
  }

  private async applyInputSettings(): Promise<void> {
    const out = await this.ctx.tx.execute({ sql: this.inputSettings!.apply }, this.ctx.onResuming);
    this.previousSettings = (out.records?.[0] ?? []).map((f) => f.stringValue);
  }
}
