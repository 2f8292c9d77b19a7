// Sends the rows of a COPY FROM STDIN in set-based chunks (copy-chunk-sql.ts), all in one
// transaction so the COPY succeeds or fails whole. A COPY that fits in one chunk outside a
// transaction is one ExecuteStatement, atomic on its own. Before every chunk that follows other
// work of the same transaction a savepoint is taken (and released after it), so that a failing
// chunk can be rolled back alone and its bad row found (copy-failure.ts) with the earlier rows
// still in place; the first chunk of the COPY's own transaction needs none: on failure the
// transaction is begun again.
//
// Parsing and the server's work overlap: a chunk is sent as soon as it is full and the client's
// rows go on being parsed into the next one meanwhile. The first chunk is small so that the
// server starts early, each next one twice as large up to the request limit (few chunks: each
// after the first costs a SAVEPOINT and a RELEASE). At most one chunk is in flight: the next
// full one waits for it, and so does the client (add() returns a promise to wait for). A chunk's
// failure stops the COPY at the next row, or at the latest at CopyDone. The COPY's transaction is
// begun half way through the first chunk, so that the chunk need not wait for it (a COPY of a
// half to one first chunk is then BEGIN, INSERT, COMMIT rather than one lone INSERT).
import type { CopyRow } from '../copy/index.js';
import type { RunnerContext } from './outcome.js';
import { beginWithSettings } from './generic-statement.js';
import { CHUNK_PARAMETER_BYTES, ChunkStatements } from './copy-chunk-sql.js';
import { CopyFailureLocator, isDatabaseError } from './copy-failure.js';
import type { CopyTarget } from './copy-target.js';
import type { CopyRowSink } from './copy-row-sink.js';
import type { CopyInputSettings } from './copy-input-settings.js';
import { WireRowEncoder, WireRowsChunk } from './wire-rows.js';

const CHUNK_SAVEPOINT = 'apgp_copy_chunk';

/** The first chunk's size (its parameter on the wire); each next one doubles, up to CHUNK_PARAMETER_BYTES. */
export const FIRST_CHUNK_BYTES = 256 * 1024;

/** Room for the row that takes a chunk past its target. */
const CHUNK_SLACK = 16 * 1024;

export class SetBasedCopyLoader implements CopyRowSink {
  private readonly statements: ChunkStatements;
  private readonly encoder: WireRowEncoder;
  private readonly insertSql: string;
  private readonly ownTransaction: boolean;
  private chunk = new WireRowsChunk(FIRST_CHUNK_BYTES + CHUNK_SLACK);
  /** Size at which the chunk being filled is sent. */
  private chunkTarget = FIRST_CHUNK_BYTES;
  /** The chunk being sent, until someone waits for it. */
  private inFlight: Promise<void> | null = null;
  /** A sent chunk's failure, once known. */
  private failure: { error: unknown } | null = null;
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
    this.encoder = new WireRowEncoder(target.columns.length);
    this.insertSql = this.statements.insert();
    this.ownTransaction = !ctx.tx.open;
  }

  /** A chunk (or the early BEGIN) was started and not yet waited for. */
  get callInFlight(): boolean {
    return this.inFlight !== null;
  }

  /** Queues a row; when a chunk is full there is a call to wait for (the previous chunk's end). */
  add(values: CopyRow, line: number, lineBytes: Uint8Array | null): Promise<void> | undefined {
    if (this.failure) return this.failed();
    const rowWire = this.encoder.encode(values);
    if (this.chunk.tryAdd(rowWire, line, lineBytes, CHUNK_PARAMETER_BYTES)) {
      if (this.chunk.wireBytes < this.chunkTarget) {
        this.beginEarly();
        return undefined;
      }
      return this.dispatch(this.takeChunk(), false);
    }
    // Not under the request limit with the others: they go, the row starts the next chunk.
    const full = this.takeChunk();
    this.chunk.tryAdd(rowWire, line, lineBytes, CHUNK_PARAMETER_BYTES);
    return this.dispatch(full, false);
  }

  /** Sends what is left and commits the COPY's own transaction; returns the rows inserted. */
  async finish(): Promise<number> {
    if (this.failure) await this.failed();
    if (this.chunk.rowCount > 0) await this.dispatch(this.takeChunk(), true);
    await this.settleInFlight();
    if (this.ownTransaction && this.ctx.tx.open) await this.ctx.tx.commit();
    else if (this.inputSettings && this.previousSettings) {
      await this.ctx.tx.execute({ sql: this.inputSettings.restore(this.previousSettings) }, this.ctx.onResuming);
    }
    return this.inserted;
  }

  /**
   * After an error (the client's CopyFail or disconnect included): once the chunk in flight has
   * ended, the COPY's own transaction is rolled back (the caller's is left failed).
   */
  async abort(): Promise<void> {
    const inFlight = this.inFlight;
    this.inFlight = null;
    if (inFlight) await inFlight.catch(() => undefined);
    if (this.ownTransaction && this.ctx.tx.open) await this.ctx.tx.rollback().catch(() => undefined);
  }

  /**
   * Half way through the first chunk, a COPY that will not be a lone statement begins its
   * transaction while the chunk fills, so that the chunk does not wait for BeginTransaction.
   */
  private beginEarly(): void {
    if (this.sentChunks > 0 || this.inFlight !== null || !this.ownTransaction || this.ctx.tx.open) return;
    if (this.chunk.wireBytes < FIRST_CHUNK_BYTES / 2) return;
    this.track(this.begin());
  }

  private takeChunk(): WireRowsChunk {
    const full = this.chunk;
    this.chunkTarget = Math.min(this.chunkTarget * 2, CHUNK_PARAMETER_BYTES);
    this.chunk = new WireRowsChunk(this.chunkTarget + CHUNK_SLACK);
    return full;
  }

  /** Waits for the chunk in flight (throwing its failure), then starts sending `chunk`. */
  private async dispatch(chunk: WireRowsChunk, last: boolean): Promise<void> {
    await this.settleInFlight();
    this.track(this.sendChunk(chunk, last));
  }

  /** A call under way, until someone waits for it. */
  private track(call: Promise<void>): void {
    // Seen here at once (no unhandled rejection), thrown to whoever waits for it next.
    call.catch((error: unknown) => {
      this.failure ??= { error };
    });
    this.inFlight = call;
  }

  private async settleInFlight(): Promise<void> {
    const inFlight = this.inFlight;
    this.inFlight = null;
    if (inFlight) await inFlight;
  }

  private async failed(): Promise<never> {
    await this.settleInFlight();
    throw this.failure!.error;
  }

  private async sendChunk(chunk: WireRowsChunk, last: boolean): Promise<void> {
    const { tx } = this.ctx;
    const alone = last && this.sentChunks === 0 && this.ownTransaction && !this.needsTransactionForSettings && !this.inputSettings;
    if (!alone && !tx.open) await this.begin();
    if (this.inputSettings && !this.previousSettings) await this.applyInputSettings();
    const firstOfOwn = this.ownTransaction && this.sentChunks === 0;
    const guarded = tx.open && !firstOfOwn;
    if (guarded) await tx.execute({ sql: `SAVEPOINT ${CHUNK_SAVEPOINT}` }, this.ctx.onResuming);
    let inserted: number;
    try {
      const out = await tx.execute({ sql: this.insertSql, parameters: chunk.parameter() }, this.ctx.onResuming);
      // What the INSERT wrote, as COPY counts: rows a WHERE or a BEFORE trigger skipped are not.
      inserted = Number(out.numberOfRecordsUpdated ?? chunk.rowCount);
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
      const rows = chunk.pendingRows(this.target.columns.length);
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
