// Growable big-endian writer for the encoders. Out-of-range numbers and NULs inside C strings are
// programming errors (they would corrupt the byte stream), so they throw RangeError rather than
// being truncated or wrapped silently.

const INITIAL_CAPACITY = 256;

export class BufferWriter {
  private buffer: Buffer;
  private offset = 0;

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.buffer = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.offset;
  }

  int8(value: number): this {
    checkInteger(value, -0x80, 0x7f, 'int8');
    this.ensure(1);
    this.buffer.writeInt8(value, this.offset);
    this.offset += 1;
    return this;
  }

  uint8(value: number): this {
    checkInteger(value, 0, 0xff, 'uint8');
    this.ensure(1);
    this.buffer[this.offset] = value;
    this.offset += 1;
    return this;
  }

  int16(value: number): this {
    checkInteger(value, -0x8000, 0x7fff, 'int16');
    this.ensure(2);
    this.buffer.writeInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  uint16(value: number): this {
    checkInteger(value, 0, 0xffff, 'uint16');
    this.ensure(2);
    this.buffer.writeUInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  int32(value: number): this {
    checkInteger(value, -0x80000000, 0x7fffffff, 'int32');
    this.ensure(4);
    this.buffer.writeInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  uint32(value: number): this {
    checkInteger(value, 0, 0xffffffff, 'uint32');
    this.ensure(4);
    this.buffer.writeUInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  /**
   * A 32-bit field that may be given as signed or unsigned (process ids, secret keys, OIDs):
   * the same four bytes either way.
   */
  int32OrUint32(value: number): this {
    checkInteger(value, -0x80000000, 0xffffffff, 'int32/uint32');
    return value < 0 ? this.int32(value) : this.uint32(value);
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buffer.set(data, this.offset);
    this.offset += data.length;
    return this;
  }

  /** UTF-8 bytes of text, no terminator. */
  string(text: string): this {
    const size = Buffer.byteLength(text, 'utf8');
    this.ensure(size);
    this.buffer.write(text, this.offset, size, 'utf8');
    this.offset += size;
    return this;
  }

  /** UTF-8 bytes of text and a NUL terminator. */
  cstring(text: string): this {
    if (text.includes('\0')) throw new RangeError('a C string cannot contain a NUL character');
    this.string(text);
    return this.uint8(0);
  }

  /** Overwrites a 32-bit field already written (used for length prefixes). */
  patchInt32(at: number, value: number): this {
    checkInteger(value, -0x80000000, 0x7fffffff, 'int32');
    if (at < 0 || at + 4 > this.offset) throw new RangeError(`patch offset ${at} is outside the written bytes`);
    this.buffer.writeInt32BE(value, at);
    return this;
  }

  /** The bytes written, as a view of the internal buffer (the writer must not be reused after). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  private ensure(extra: number): void {
    const needed = this.offset + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }
}

/** A regular message: type byte, int32 length counting itself, then the body `write` produces. */
export function buildMessage(type: string, write?: (w: BufferWriter) => void, sizeHint?: number): Buffer {
  const w = new BufferWriter(sizeHint ?? INITIAL_CAPACITY);
  w.uint8(type.charCodeAt(0)).int32(0);
  write?.(w);
  w.patchInt32(1, w.length - 1);
  return w.finish();
}

/** A startup-phase packet: int32 length counting itself, no type byte. */
export function buildStartupPacket(write: (w: BufferWriter) => void): Buffer {
  const w = new BufferWriter();
  w.int32(0);
  write(w);
  w.patchInt32(0, w.length);
  return w.finish();
}

function checkInteger(value: number, min: number, max: number, kind: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${String(value)} does not fit in ${kind}`);
  }
}
