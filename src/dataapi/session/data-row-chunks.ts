// DataRow messages for many rows at once, written straight into a few large buffers. Rows are
// the hot path of every result: encoding each value into its own Buffer, each row into another
// and then copying them all into the socket write cost more than the values' text itself. Here
// a text value is written in place (one UTF-8 encode, no intermediate Buffer) and a chunk holds
// as many rows as fit in CHUNK_BYTES, so a 1000-row page is a handful of buffers.
import type { Field } from '@aws-sdk/client-rds-data';
import type { FormatCode } from '../../protocol/messages.js';
import { encodeField, fieldToText, type ResolvedColumn, type TextStyle } from '../types/index.js';

/** Size of one chunk of rows: about what ClientWriter writes at a time. */
export const CHUNK_BYTES = 64 * 1024;

const NULL_FIELD: Field = { isNull: true };

class ChunkWriter {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private at = 0;
  private rowStart = 0;
  readonly done: Buffer[] = [];

  /** Makes room for `bytes` more in the current row, moving the row to a new chunk if need be. */
  reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const rowSoFar = this.buf.subarray(this.rowStart, this.at);
    if (this.rowStart > 0) this.done.push(this.buf.subarray(0, this.rowStart));
    const next = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, (rowSoFar.length + bytes) * 2));
    rowSoFar.copy(next, 0);
    this.buf = next;
    this.at = rowSoFar.length;
    this.rowStart = 0;
  }

  beginRow(width: number): void {
    this.rowStart = this.at;
    this.reserve(7);
    this.buf[this.at] = 0x44; // 'D'
    this.buf.writeInt16BE(width, this.at + 5);
    this.at += 7;
  }

  endRow(): void {
    this.buf.writeInt32BE(this.at - this.rowStart - 1, this.rowStart + 1);
    this.rowStart = this.at;
    // Start the next row in a fresh chunk once this one is full enough to be worth a write.
    if (this.at >= CHUNK_BYTES) this.cut();
  }

  null(): void {
    this.reserve(4);
    this.buf.writeInt32BE(-1, this.at);
    this.at += 4;
  }

  text(value: string): void {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    this.reserve(4 + value.length * 3);
    const written = this.buf.write(value, this.at + 4, 'utf8');
    this.buf.writeInt32BE(written, this.at);
    this.at += 4 + written;
  }

  bytes(value: Buffer): void {
    this.reserve(4 + value.length);
    this.buf.writeInt32BE(value.length, this.at);
    value.copy(this.buf, this.at + 4);
    this.at += 4 + value.length;
  }

  /** Forgets the row begun and not ended. */
  dropRow(): void {
    this.at = this.rowStart;
  }

  private cut(): void {
    this.done.push(this.buf.subarray(0, this.at));
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.at = 0;
    this.rowStart = 0;
  }

  finish(): Buffer[] {
    if (this.at > 0) this.done.push(this.buf.subarray(0, this.at));
    this.at = 0;
    return this.done;
  }
}

export interface EncodedRows {
  /** DataRow messages back to back, in buffers of about CHUNK_BYTES. */
  chunks: Buffer[];
  /** How many rows the chunks hold. */
  rows: number;
  /** Why the row after those could not be encoded (a value with no binary form...), if so. */
  error?: unknown;
}

/**
 * The DataRow messages of `records`. A value that cannot be encoded stops the encoding there:
 * the rows before it are returned with the error, so the client gets them and then the error,
 * as it did when each row was sent on its own.
 */
export function encodeDataRows(records: readonly Field[][], columns: readonly ResolvedColumn[], formats: readonly FormatCode[], style: TextStyle): EncodedRows {
  const w = new ChunkWriter();
  const width = columns.length;
  let rows = 0;
  try {
    for (const record of records) {
      w.beginRow(width);
      for (let i = 0; i < width; i++) {
        const field = record[i] ?? NULL_FIELD;
        const column = columns[i]!;
        if ((formats[i] ?? 0) === 0) {
          const text = fieldToText(field, column, style);
          if (text === null) w.null();
          else w.text(text);
        } else {
          const bytes = encodeField(field, column, 1, style);
          if (bytes === null) w.null();
          else w.bytes(bytes);
        }
      }
      w.endRow();
      rows++;
    }
  } catch (error) {
    w.dropRow();
    return { chunks: w.finish(), rows, error };
  }
  return { chunks: w.finish(), rows };
}
