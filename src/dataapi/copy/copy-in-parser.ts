// COPY … FROM STDIN for the Data API mode: turns the client's CopyData bytes into rows of column
// values (text or null) exactly as PostgreSQL 15's NextCopyFrom() would before calling the
// columns' input functions: header skipping or matching, field splitting, column-count checks,
// FORCE_NOT_NULL / FORCE_NULL, and PostgreSQL's error messages with their CONTEXT lines.
import type { CopyOptions } from '../sql/statement-types.js';
import { COPY_SQLSTATE, CopyFormatError, copyErrorContext } from './copy-format-error.js';
import { CopyLineReader } from './line-reader.js';
import { fieldSplitter, type FieldSplitter } from './field-splitter.js';
import { checkCopyEncoding, columnFlags, rejectBinary } from './copy-option-checks.js';
import { StickyFailure } from './sticky-failure.js';

export type CopyRow = (string | null)[];

export class CopyInParser {
  private readonly reader: CopyLineReader;
  private readonly split: FieldSplitter;
  private readonly forceNotNull: boolean[];
  private readonly forceNull: boolean[];
  private headerPending: boolean;
  /** PostgreSQL's cur_lineno: physical lines, counting newlines inside quoted CSV fields. */
  private lineNumber = 0;
  private lineCounted = false;
  private rows = 0;
  private ended = false;
  private readonly failure = new StickyFailure();
  private latestLines: number[] = [];
  private latestBytes: Buffer[] = [];
  /** No FORCE_NOT_NULL / FORCE_NULL column: the split fields are the row as they are. */
  private readonly fieldsAreRow: boolean;

  /**
   * @param columnNames the COPY's target columns in order (the column list, or all of the
   *   table's columns), used for the column count, HEADER MATCH and FORCE_(NOT_)NULL.
   * @param tableName the relation name as PostgreSQL prints it in CONTEXT lines (no schema).
   */
  constructor(
    private readonly options: CopyOptions,
    private readonly columnNames: readonly string[],
    private readonly tableName: string,
  ) {
    rejectBinary(options);
    checkCopyEncoding(options);
    const csv = options.format === 'csv';
    const quote = csv ? (options.quote ?? '"').charCodeAt(0) : -1;
    const escape = csv ? (options.escape ?? options.quote ?? '"').charCodeAt(0) : -1;
    this.reader = new CopyLineReader({ csv, quote, escape: escape === quote ? -1 : escape });
    this.split = fieldSplitter({
      csv,
      delimiter: options.delimiter.charCodeAt(0),
      nullBytes: Buffer.from(options.null, 'utf8'),
      quote,
      escape,
    });
    this.forceNotNull = csv ? columnFlags(options.forceNotNull, columnNames, 'FORCE_NOT_NULL') : [];
    this.forceNull = csv ? columnFlags(options.forceNull, columnNames, 'FORCE_NULL') : [];
    this.headerPending = options.header !== false;
    this.fieldsAreRow = !this.forceNotNull.includes(true) && !this.forceNull.includes(true);
  }

  /** Data rows produced so far (the header line is not one). */
  get rowsSeen(): number {
    return this.rows;
  }

  /** Line numbers of the rows the latest push() or finish() returned, for CONTEXT lines. */
  get lastRowLineNumbers(): readonly number[] {
    return this.latestLines;
  }

  /**
   * The raw bytes of each row the latest push() or finish() returned (PostgreSQL's line_buf),
   * for the CONTEXT line of an error found when the row is inserted. Views into the input
   * buffer: valid until the next push() or finish() (copy them to keep them).
   */
  get lastRowLineBytes(): readonly Buffer[] {
    return this.latestBytes;
  }

  /** Whether the data has ended (end-of-data marker `\.` or finish()); later input is ignored. */
  get done(): boolean {
    return this.ended;
  }

  /** One CopyData message's bytes; returns the rows completed by it. */
  push(chunk: Uint8Array): CopyRow[] {
    return this.guard(() => {
      if (this.ended) return [];
      this.reader.append(chunk);
      return this.drain();
    });
  }

  /** CopyDone: the last line may lack its newline; incomplete input becomes an error here. */
  finish(): CopyRow[] {
    return this.guard(() => {
      if (this.ended) return [];
      this.reader.markEnd();
      const rows = this.drain();
      if (!this.ended) throw new Error('COPY line reader did not reach the end of its input');
      return rows;
    });
  }

  /** Once failed, the parser keeps reporting the same error. */
  private guard(work: () => CopyRow[]): CopyRow[] {
    return this.failure.run(() => {
      this.latestLines = [];
      this.latestBytes = [];
      return work();
    }, () => (this.ended = true));
  }

  private drain(): CopyRow[] {
    const out: CopyRow[] = [];
    const lines: number[] = [];
    const texts: Buffer[] = [];
    while (!this.ended) {
      if (!this.lineCounted) {
        this.lineNumber++;
        this.lineCounted = true;
      }
      let line;
      try {
        line = this.reader.readLine();
      } catch (err) {
        // The line is not complete, so PostgreSQL names only its number.
        const where = copyErrorContext(this.tableName, this.lineNumber + this.reader.pendingEmbeddedNewlines);
        throw err instanceof CopyFormatError ? err.withWhere(where) : err;
      }
      if (line === null) break;
      this.lineCounted = false;
      this.lineNumber += line.embeddedNewlines;

      if (this.headerPending) {
        this.headerPending = false;
        if (this.options.header === 'match') this.withLineContext(line.bytes, () => this.matchHeader(line.bytes));
        if (line.endOfData) this.ended = true;
        continue;
      }
      if (line.endOfData && line.bytes.length === 0) {
        this.ended = true;
        break;
      }
      out.push(this.rowWithContext(line.bytes));
      lines.push(this.lineNumber);
      texts.push(line.bytes);
      this.rows++;
      if (line.endOfData) this.ended = true;
    }
    this.latestLines = lines;
    this.latestBytes = texts;
    return out;
  }

  private withLineContext<T>(bytes: Buffer, work: () => T): T {
    try {
      return work();
    } catch (err) {
      if (!(err instanceof CopyFormatError)) throw err;
      throw err.withWhere(copyErrorContext(this.tableName, this.lineNumber, { lineText: bytes.toString('utf8') }));
    }
  }

  /** toRow() with the line's CONTEXT on its errors (withLineContext() without a closure per row). */
  private rowWithContext(bytes: Buffer): CopyRow {
    try {
      return this.toRow(bytes);
    } catch (err) {
      if (!(err instanceof CopyFormatError)) throw err;
      throw err.withWhere(copyErrorContext(this.tableName, this.lineNumber, { lineText: bytes.toString('utf8') }));
    }
  }

  private splitFields(bytes: Buffer): CopyRow {
    // A table without columns (in the COPY) only accepts empty lines.
    if (this.columnNames.length === 0) {
      if (bytes.length !== 0) throw extraDataError();
      return [];
    }
    return this.split(bytes);
  }

  private toRow(bytes: Buffer): CopyRow {
    const fields = this.splitFields(bytes);
    const count = this.columnNames.length;
    if (count > 0 && fields.length > count) throw extraDataError();
    if (fields.length === count && this.fieldsAreRow) return fields;
    const row: CopyRow = new Array(count);
    for (let i = 0; i < count; i++) {
      if (i >= fields.length) {
        throw new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, `missing data for column "${this.columnNames[i]}"`);
      }
      let value = fields[i];
      if (value === null && this.forceNotNull[i]) value = this.options.null;
      else if (value !== null && this.forceNull[i] && value === this.options.null) value = null;
      row[i] = value;
    }
    return row;
  }

  /** HEADER MATCH: the header line must name the COPY's columns, in order. */
  private matchHeader(bytes: Buffer): void {
    const fields = this.splitFields(bytes);
    if (fields.length !== this.columnNames.length) {
      throw new CopyFormatError(
        COPY_SQLSTATE.badCopyFileFormat,
        `wrong number of fields in header line: got ${fields.length}, expected ${this.columnNames.length}`,
      );
    }
    fields.forEach((got, i) => {
      const expected = this.columnNames[i];
      if (got === null) {
        throw new CopyFormatError(
          COPY_SQLSTATE.badCopyFileFormat,
          `column name mismatch in header line field ${i + 1}: got null value ("${this.options.null}"), expected "${expected}"`,
        );
      }
      if (got !== expected) {
        throw new CopyFormatError(
          COPY_SQLSTATE.badCopyFileFormat,
          `column name mismatch in header line field ${i + 1}: got "${got}", expected "${expected}"`,
        );
      }
    });
  }
}

function extraDataError(): CopyFormatError {
  return new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, 'extra data after last expected column');
}
