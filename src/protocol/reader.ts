import { isUtf8 } from 'node:buffer';
import { ProtocolViolation } from './errors.js';
import { SqlState } from './sqlstate.js';

// Bounds-checked cursor over one message body. Every failure is a ProtocolViolation worded like
// PostgreSQL's pqformat.c, so malformed input can never surface as a RangeError from Buffer.

const NUL = 0;

export class BufferReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  /** Bytes not yet read. */
  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  /** Bytes already read. */
  get position(): number {
    return this.offset;
  }

  int8(): number {
    this.need(1);
    const value = this.buffer.readInt8(this.offset);
    this.offset += 1;
    return value;
  }

  uint8(): number {
    this.need(1);
    const value = this.buffer[this.offset];
    this.offset += 1;
    return value;
  }

  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  uint16(): number {
    this.need(2);
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  uint32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A NUL-terminated UTF-8 string; the NUL is consumed and not returned. */
  cstring(): string {
    const end = this.buffer.indexOf(NUL, this.offset);
    if (end < 0) throw new ProtocolViolation('invalid string in message');
    const text = decodeUtf8(this.buffer.subarray(this.offset, end));
    this.offset = end + 1;
    return text;
  }

  /** The next n bytes, without copying. Negative n is malformed input, not a programming error. */
  bytes(n: number): Buffer {
    if (!Number.isInteger(n) || n < 0) throw insufficientData();
    this.need(n);
    const slice = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return slice;
  }

  /** Everything not yet read, without copying. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** Rejects trailing bytes, as pq_getmsgend does. */
  end(): void {
    if (this.offset !== this.buffer.length) throw new ProtocolViolation('invalid message format');
  }

  private need(n: number): void {
    if (n > this.buffer.length - this.offset) throw insufficientData();
  }
}

/** Strict UTF-8: a replacement character silently substituted into SQL text would change its meaning. */
export function decodeUtf8(bytes: Buffer): string {
  if (!isUtf8(bytes)) {
    throw new ProtocolViolation(
      `invalid byte sequence for encoding "UTF8": ${describeBadBytes(bytes)}`,
      SqlState.CHARACTER_NOT_IN_REPERTOIRE,
    );
  }
  return bytes.toString('utf8');
}

function insufficientData(): ProtocolViolation {
  return new ProtocolViolation('insufficient data left in message');
}

/** Names the first invalid sequence the way PostgreSQL does ("0xc3 0x28"). Only runs on bad input. */
function describeBadBytes(bytes: Buffer): string {
  let i = 0;
  while (i < bytes.length) {
    const length = validSequenceLength(bytes, i);
    if (length === 0) {
      const shown = bytes.subarray(i, Math.min(i + expectedSequenceLength(bytes[i]), bytes.length));
      return Array.from(shown, (b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
    }
    i += length;
  }
  return '(unknown)';
}

function expectedSequenceLength(lead: number): number {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

/** Length of the valid UTF-8 sequence starting at i, or 0 if it is invalid (RFC 3629 table 3-7). */
function validSequenceLength(bytes: Buffer, i: number): number {
  const lead = bytes[i];
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return 0;
  if (i + length > bytes.length) return 0;
  const second = bytes[i + 1];
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) {
    const b = bytes[i + k];
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return length;
}
