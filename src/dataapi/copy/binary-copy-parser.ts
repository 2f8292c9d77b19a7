// COPY ... FROM STDIN (FORMAT binary), as asyncpg's copy_records_to_table() sends it: the
// signature `PGCOPY\n\377\r\n\0`, int32 flags, int32 header extension length and the extension,
// then per row an int16 field count and per field an int32 length (-1 for NULL) and the value in
// its type's binary format; an int16 -1 ends the data. Each value is turned into the text its
// type's input function reads (the caller's decoders), so that the rows load like text COPY's.
import { COPY_SQLSTATE, CopyFormatError } from './copy-format-error.js';
import type { CopyRow } from './copy-in-parser.js';
import { StickyFailure } from './sticky-failure.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Flag bit 16: each row starts with an OID (WITH OIDS), which PostgreSQL 12+ no longer has. */
const FLAG_HAS_OIDS = 1 << 16;

/** A binary value -> the text the column's type reads; throws for malformed data. */
export type BinaryFieldDecoder = (value: Buffer) => string;

export class BinaryCopyParser {
  private buffered = Buffer.alloc(0);
  private headerDone = false;
  private ended = false;
  private line = 0;
  private readonly failure = new StickyFailure();
  private latestLines: number[] = [];

  constructor(
    private readonly decoders: readonly BinaryFieldDecoder[],
    private readonly columnNames: readonly string[],
    private readonly tableName: string,
  ) {}

  /** PostgreSQL's line number (the row number for binary data) of each row the last call returned. */
  get lastRowLineNumbers(): number[] {
    return this.latestLines;
  }

  push(chunk: Uint8Array): CopyRow[] {
    return this.guard(() => {
      if (this.ended && chunk.length > 0) throw this.error('received copy data after EOF marker');
      this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
      return this.drain();
    });
  }

  /** CopyDone: the data may end without its trailer, but not inside the header or a row. */
  finish(): CopyRow[] {
    return this.guard(() => {
      const rows = this.drain();
      if (!this.headerDone && (this.buffered.length > 0 || this.line === 0)) {
        throw this.error(this.buffered.length === 0 ? 'COPY file signature not recognized' : 'invalid COPY file header (missing flags)');
      }
      if (!this.ended && this.buffered.length > 0) throw this.error('unexpected EOF in COPY data');
      this.ended = true;
      return rows;
    });
  }

  private guard(work: () => CopyRow[]): CopyRow[] {
    return this.failure.run(() => {
      this.latestLines = [];
      return work();
    }, () => (this.ended = true));
  }

  private error(message: string, column?: string): CopyFormatError {
    const where = `COPY ${this.tableName}, line ${Math.max(this.line, 1)}${column ? `, column ${column}` : ''}`;
    return new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, message, { where });
  }

  private readHeader(): boolean {
    const b = this.buffered;
    if (b.length < SIGNATURE.length) {
      if (!SIGNATURE.subarray(0, b.length).equals(b)) throw this.error('COPY file signature not recognized');
      return false;
    }
    if (!b.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw this.error('COPY file signature not recognized');
    if (b.length < SIGNATURE.length + 8) return false;
    const flags = b.readInt32BE(SIGNATURE.length);
    if (flags & FLAG_HAS_OIDS) throw new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, 'invalid COPY file header (WITH OIDS)');
    if (flags & 0xffff0000 & ~FLAG_HAS_OIDS) throw this.error('unrecognized critical flags in COPY file header');
    const extension = b.readInt32BE(SIGNATURE.length + 4);
    if (extension < 0) throw this.error('invalid COPY file header (missing length)');
    const end = SIGNATURE.length + 8 + extension;
    if (b.length < end) return false;
    this.buffered = b.subarray(end);
    this.headerDone = true;
    return true;
  }

  private drain(): CopyRow[] {
    const rows: CopyRow[] = [];
    if (!this.headerDone && !this.readHeader()) return rows;
    while (!this.ended && this.buffered.length >= 2) {
      const b = this.buffered;
      const count = b.readInt16BE(0);
      if (count === -1) {
        this.ended = true;
        this.buffered = b.subarray(2);
        if (this.buffered.length > 0) throw this.error('received copy data after EOF marker');
        break;
      }
      // A whole row must be buffered before it is read.
      const ends: number[] = [];
      let at = 2;
      let complete = true;
      for (let i = 0; i < count; i++) {
        if (at + 4 > b.length) {
          complete = false;
          break;
        }
        const len = b.readInt32BE(at);
        if (len < -1) throw this.error('invalid field size');
        at += 4 + Math.max(len, 0);
        if (at > b.length) {
          complete = false;
          break;
        }
        ends.push(at);
      }
      if (!complete) break;
      this.line++;
      if (count !== this.columnNames.length) throw this.error(`row field count is ${count}, expected ${this.columnNames.length}`);
      const row: CopyRow = new Array<string | null>(count);
      let start = 2;
      for (let i = 0; i < count; i++) {
        const len = b.readInt32BE(start);
        const value = len === -1 ? null : b.subarray(start + 4, ends[i]);
        start = ends[i];
        if (value === null) {
          row[i] = null;
          continue;
        }
        try {
          row[i] = this.decoders[i](value);
        } catch (err) {
          const e = err as { sqlstate?: string; message?: string };
          const where = `COPY ${this.tableName}, line ${this.line}, column ${this.columnNames[i]}`;
          throw new CopyFormatError(e.sqlstate ?? COPY_SQLSTATE.badCopyFileFormat, e.message ?? String(err), { where });
        }
      }
      this.buffered = b.subarray(at);
      rows.push(row);
      this.latestLines.push(this.line);
    }
    return rows;
  }
}
