// The shape of the binary codecs for types whose value the Data API hands over as PostgreSQL's
// text output: `send` turns that text into the bytes the type's typsend function writes, `recv`
// reads typrecv's format and returns a text literal that the type's input function reads back
// to the same value (the statement then CASTs the parameter to the type).

/** Refuses binary input: no message means PostgreSQL's "incorrect binary data format". */
export type Reject = (message?: string, sqlstate?: string) => never;

export interface TextBinaryCodec {
  /** typsend's bytes for PostgreSQL's text output of a value; undefined when the text is not in that form. */
  send(text: string): Buffer | undefined;
  /** typrecv: the bytes as a text literal of the same value; calls reject where PostgreSQL refuses. */
  recv(buf: Buffer, reject: Reject): string;
}

/** PostgreSQL's protocol violation for reading past the end of a value (pq_getmsgbytes). */
export const INSUFFICIENT_DATA = 'insufficient data left in message';
export const PROTOCOL_VIOLATION = '08P01';
export const INVALID_BINARY = '22P03';

/** Reads a binary value front to back with PostgreSQL's pq_getmsg* checks. */
export class BinaryReader {
  private at = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly reject: Reject,
  ) {}

  private take(n: number): number {
    if (this.at + n > this.buf.length) this.reject(INSUFFICIENT_DATA, PROTOCOL_VIOLATION);
    const start = this.at;
    this.at += n;
    return start;
  }

  uint8(): number {
    if (this.at >= this.buf.length) this.reject('no data left in message', PROTOCOL_VIOLATION);
    return this.buf[this.at++];
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }
  int16(): number {
    return this.buf.readInt16BE(this.take(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.take(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.take(8));
  }
  uint64(): bigint {
    return this.buf.readBigUInt64BE(this.take(8));
  }
  float8(): number {
    return this.buf.readDoubleBE(this.take(8));
  }
  bytes(n: number): Buffer {
    const start = this.take(n);
    return this.buf.subarray(start, start + n);
  }
  get remaining(): number {
    return this.buf.length - this.at;
  }
  /** pq_getmsgend: a value with bytes left over is malformed. */
  end(): void {
    if (this.at !== this.buf.length) this.reject();
  }
}

/** Appends big-endian fields; the counterpart of BinaryReader for typsend. */
export class BinaryWriter {
  private readonly parts: Buffer[] = [];

  private fixed(size: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(size);
    write(b);
    this.parts.push(b);
    return this;
  }
  uint8(n: number): this {
    return this.fixed(1, (b) => b.writeUInt8(n));
  }
  uint16(n: number): this {
    return this.fixed(2, (b) => b.writeUInt16BE(n));
  }
  int16(n: number): this {
    return this.fixed(2, (b) => b.writeInt16BE(n));
  }
  int32(n: number): this {
    return this.fixed(4, (b) => b.writeInt32BE(n));
  }
  uint32(n: number): this {
    return this.fixed(4, (b) => b.writeUInt32BE(n));
  }
  int64(n: bigint): this {
    return this.fixed(8, (b) => b.writeBigInt64BE(n));
  }
  uint64(n: bigint): this {
    return this.fixed(8, (b) => b.writeBigUInt64BE(n));
  }
  float8(n: number): this {
    return this.fixed(8, (b) => b.writeDoubleBE(n));
  }
  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** An unsigned decimal within [0, max], as xid, cid, xid8 and oid print it. */
export function parseUnsigned(text: string, max: bigint): bigint | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n <= max ? n : undefined;
}

/** float8out's text (`1.5`, `-0`, `1e+100`, `Infinity`, `NaN`) -> the double it prints. */
export function parseFloat8Text(text: string): number | undefined {
  const t = text.trim();
  if (t === 'NaN') return NaN;
  if (t === '' || !/^[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|Infinity)$/i.test(t)) return undefined;
  return Number(t);
}
