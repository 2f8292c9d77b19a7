// The rows of one COPY chunk, kept in the form they travel in: the `:rows` parameter (a JSON
// array of row objects, json-rows.ts) already escaped as the JSON string of the request body,
// written row by row into one Buffer. A chunk of 10,000 rows is then one Buffer and a few
// arrays of numbers for the garbage collector, instead of five or so strings and objects per row
// kept alive until the chunk is sent; and the request needs no further pass over the rows
// (wire-string-value.ts, lean-serialize.ts).
//
// What finding a failing row needs (each row's values, line number and text, copy-failure.ts)
// is rebuilt from these bytes and the raw lines only when a chunk has failed.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import type { CopyRow } from '../copy/index.js';
import { wireStringValue } from '../client/wire-string-value.js';
import type { PendingRow } from './copy-chunk-sql.js';
import { JsonRowEncoder } from './json-rows.js';

/** A value needing more than its quotes in JSON: quote, backslash, control or surrogate code units. */
const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Writes rows of `width` values as their JSON objects ({"1": "text", "2": null, ...}), escaped once more. */
export class WireRowEncoder {
  /** `\"1\":`, `,\"2\":`...: each key as it reads inside the escaped JSON, with the comma before it. */
  private readonly keys: string[];

  constructor(width: number) {
    this.keys = Array.from({ length: width }, (_, i) => `${i > 0 ? ',' : ''}\\"${i + 1}\\":`);
  }

  /** The row as it reads inside the body's JSON string: JSON.stringify(JSON.stringify(row)) without the outer quotes. */
  encode(values: readonly (string | null)[]): string {
    let out = '{';
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null) out += this.keys[i] + 'null';
      else if (!NEEDS_ESCAPING.test(v)) out += this.keys[i] + '\\"' + v + '\\"';
      else out += this.keys[i] + JSON.stringify(JSON.stringify(v)).slice(1, -1);
    }
    return out + '}';
  }
}

/** Buffer's own UTF-8 writer, without write()'s argument handling (it runs once per row). */
interface Utf8Writable {
  utf8Write(text: string, offset: number): number;
}

const COMMA = 0x2c;
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]

/** One chunk's rows: their escaped JSON in one Buffer, their line numbers and raw lines beside. */
export class WireRowsChunk {
  private wire: Buffer;
  /** Bytes of `wire` in use: `[` and the rows with their commas. */
  private size = 1;
  private raw: Buffer;
  private rawSize = 0;
  private readonly lines: number[] = [];
  /** Where each row's raw line ends in `raw`. */
  private readonly rawEnds: number[] = [];

  /**
   * @param expectedBytes the parameter's expected size: the buffers are made that large at once
   *   (not yet written, so not yet paid for) rather than grown by copying.
   */
  constructor(expectedBytes: number) {
    this.wire = Buffer.allocUnsafe(Math.max(1024, expectedBytes));
    this.wire[0] = OPEN;
    // The raw lines take about half the bytes of their escaped JSON (keys, quotes, escapes).
    this.raw = Buffer.allocUnsafe(Math.max(1024, expectedBytes >> 1));
  }

  get rowCount(): number {
    return this.lines.length;
  }

  /** The parameter's size on the wire so far (with its closing bracket). */
  get wireBytes(): number {
    return this.size + 1;
  }

  /**
   * Adds a row (from WireRowEncoder) unless it would take the parameter past `limit` bytes and
   * the chunk already holds rows: then nothing is added and it returns false.
   */
  tryAdd(rowWire: string, line: number, lineBytes: Uint8Array | null, limit: number): boolean {
    const start = this.size;
    this.ensureWire(start + 1 + 3 * rowWire.length + 1);
    let at = start;
    if (this.lines.length > 0) this.wire[at++] = COMMA;
    at += (this.wire as unknown as Utf8Writable).utf8Write(rowWire, at);
    if (this.lines.length > 0 && at + 1 > limit) return false;
    this.size = at;
    this.lines.push(line);
    if (lineBytes !== null) {
      this.ensureRaw(this.rawSize + lineBytes.length);
      this.raw.set(lineBytes, this.rawSize);
      this.rawSize += lineBytes.length;
    }
    this.rawEnds.push(this.rawSize);
    return true;
  }

  /** The single `:rows` parameter carrying the rows, in order (json-rows.ts rowsParameter()). */
  parameter(): SqlParameter[] {
    this.ensureWire(this.size + 1);
    this.wire[this.size] = CLOSE;
    return [{ name: 'rows', value: wireStringValue(this.wire.subarray(0, this.size + 1)) }];
  }

  /** The rows one by one, rebuilt from the bytes: for finding the failing row of a failed chunk. */
  pendingRows(width: number): PendingRow[] {
    const content = this.wire.toString('utf8', 0, this.size) + ']';
    const objects = JSON.parse(JSON.parse(`"${content}"`) as string) as Record<string, string | null>[];
    const encoder = new JsonRowEncoder(width);
    return objects.map((object, r) => {
      const values: CopyRow = Array.from({ length: width }, (_, i) => object[String(i + 1)] ?? null);
      const text = this.raw.toString('utf8', r === 0 ? 0 : this.rawEnds[r - 1], this.rawEnds[r]);
      return { json: encoder.encode(values).json, values, line: this.lines[r], text };
    });
  }

  private ensureWire(bytes: number): void {
    if (bytes <= this.wire.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(bytes, this.wire.length * 2));
    this.wire.copy(bigger, 0, 0, this.size);
    this.wire = bigger;
  }

  private ensureRaw(bytes: number): void {
    if (bytes <= this.raw.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(bytes, this.raw.length * 2));
    this.raw.copy(bigger, 0, 0, this.rawSize);
    this.raw = bigger;
  }
}
