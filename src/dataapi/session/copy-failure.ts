// A chunk of COPY rows failed as a whole; PostgreSQL's COPY would have stopped at one row (the
// first whose conversion, defaults or constraints fail, in file order) and said so in its CONTEXT
// line. The set-based INSERT converts every row of the chunk before inserting any, so its error
// may be a later row's: the failing row is found again by bisection inside a savepoint, keeping
// each prefix that inserts cleanly (so a duplicate of an earlier row of the same chunk still
// fails), then its failing column by the same search over the row's values converted alone.
// The statement that gives the reported error runs last and is not rolled back: the transaction
// ends up aborted just as PostgreSQL's would. Calls: about 2 log2(rows) + 2 log2(columns) + 4.
import { ClientFacingError } from '../../protocol/client-error.js';
import { copyErrorContext } from '../copy/index.js';
import { DataApiError } from '../client/service-errors.js';
import type { RunnerContext } from './outcome.js';
import type { ChunkStatements, PendingRow } from './copy-chunk-sql.js';
import { insertsOneRowAtATime, type CopyTarget } from './copy-target.js';
import { attemptStatement, firstFailingRow, isDatabaseError, type Attempt } from './first-failing-row.js';

const PROBE_SAVEPOINT = 'apgp_copy_probe';
/** Foreign keys (checked after the COPY), privileges and a read-only transaction (before it). */
const STATEMENT_LEVEL_STATES = new Set(['23503', '42501', '25006']);

export { isDatabaseError };

export class CopyFailureLocator {
  constructor(
    private readonly ctx: RunnerContext,
    private readonly target: CopyTarget,
    private readonly statements: ChunkStatements,
  ) {}

  /**
   * In a healthy transaction holding every row before `rows` (and none of them): finds the
   * failing row and returns the error PostgreSQL's COPY would have raised, leaving the
   * transaction aborted. `chunkError` is the error of the whole chunk, returned as it is when
   * the rows no longer fail (a transient error such as a deadlock).
   */
  async locate(rows: readonly PendingRow[], chunkError: DataApiError): Promise<ClientFacingError> {
    const kept = await firstFailingRow(this.ctx, rows.length, (from, to) => this.attempt(this.statements.insert(), rows.slice(from, to)), PROBE_SAVEPOINT);
    const row = rows[kept];
    const column = await this.failingColumn(row);
    if (column) {
      // Run once more, not rolled back: the transaction is left aborted by the reported error.
      const again = await this.attempt(this.statements.convertOnly(column.index + 1), [row]);
      const error = again.ok ? column.error : again.error;
      return withCopyContext(
        error,
        copyErrorContext(this.target.relationName, row.line, { column: this.target.columns[column.index].name, value: row.values[column.index] }),
      );
    }
    // Asked now: once the row's INSERT has failed, the transaction answers nothing more.
    const oneAtATime = await this.askOneRowAtATime();
    const single = await this.attempt(this.statements.insert(), [row]);
    if (single.ok) return chunkError;
    return withCopyContext(single.error, this.lineContext(single.error, row, oneAtATime));
  }

  /** The first column whose value does not convert, found on prefixes of the row's columns. */
  private async failingColumn(row: PendingRow): Promise<{ index: number; error: DataApiError } | null> {
    const count = this.target.columns.length;
    if (count === 0) return null;
    const whole = await this.attempt(this.statements.convertOnly(count), [row]);
    if (whole.ok) return null;
    await this.sql(`ROLLBACK TO SAVEPOINT ${PROBE_SAVEPOINT}`);
    let good = 0;
    let bad = count;
    let badError = whole.error;
    while (bad - good > 1) {
      const mid = good + Math.ceil((bad - good) / 2);
      const attempt = await this.attempt(this.statements.convertOnly(mid), [row]);
      if (attempt.ok) good = mid;
      else {
        bad = mid;
        badError = attempt.error;
        await this.sql(`ROLLBACK TO SAVEPOINT ${PROBE_SAVEPOINT}`);
      }
    }
    return { index: bad - 1, error: badError };
  }

  /**
   * CopyFromErrorCallback() once the values are converted: a foreign key is checked after the
   * COPY, outside its error context; a unique or exclusion violation found when a batch of rows
   * is flushed names the line without its text; anything else names the line with its text.
   */
  private lineContext(error: DataApiError, row: PendingRow, oneAtATime: boolean): string | null {
    // Checked by COPY before any row, or after them all: no line to name.
    if (STATEMENT_LEVEL_STATES.has(error.sqlstate)) return null;
    if ((error.sqlstate === '23505' || error.sqlstate === '23P01') && !oneAtATime) {
      return copyErrorContext(this.target.relationName, row.line);
    }
    return copyErrorContext(this.target.relationName, row.line, { lineText: row.text });
  }

  /** insertsOneRowAtATime(), never leaving the transaction aborted (a failed question counts as no). */
  private async askOneRowAtATime(): Promise<boolean> {
    try {
      return await insertsOneRowAtATime(this.ctx, this.target);
    } catch (err) {
      if (!isDatabaseError(err)) throw err;
      await this.sql(`ROLLBACK TO SAVEPOINT ${PROBE_SAVEPOINT}`);
      return false;
    }
  }

  private attempt(sql: string, rows: readonly PendingRow[]): Promise<Attempt> {
    return attemptStatement(this.ctx, sql, this.statements.parameter(rows));
  }

  private async sql(sql: string): Promise<void> {
    await this.ctx.tx.execute({ sql }, this.ctx.onResuming);
  }
}

/** The error with the COPY's CONTEXT line after any the database gave (innermost first). */
function withCopyContext(error: DataApiError, copyContext: string | null): ClientFacingError {
  // The position, if any, points into the proxy's INSERT, not the client's COPY.
  const { position: _dropped, where, ...rest } = error.extra;
  const lines = [where, copyContext].filter((l): l is string => !!l);
  const out = new DataApiError(error.sqlstate, error.message, lines.length > 0 ? { ...rest, where: lines.join('\n') } : rest, 'ERROR');
  out.outcome = error.outcome;
  return out;
}
