import { InvalidStartupLength, ProtocolViolation } from './errors.js';
import { MAX_STARTUP_PACKET_LENGTH } from './messages.js';

// Splits a byte stream into startup packets and regular messages. Bytes are kept as the list of
// chunks they arrived in and copied at most once, when a frame spans chunks, so both many tiny
// chunks and one huge message in pieces cost linear time. Lengths are checked from the header
// alone: an oversized frame is refused before its body is buffered.

const TYPE_BYTE = 1;
const LENGTH_FIELD = 4;
const MIN_STARTUP_PACKET_LENGTH = 8;

export interface FrameReaderOptions {
  /** Largest accepted value of a regular message's length field (which counts itself). */
  maxMessageLength: number;
}

export interface Frame {
  type: number;
  body: Buffer;
}

export class FrameReader {
  private readonly maxMessageLength: number;
  private chunks: Buffer[] = [];
  /** Index of the first chunk still holding unread bytes. */
  private head = 0;
  /** Bytes of chunks[head] already consumed. */
  private headOffset = 0;
  private total = 0;

  constructor(opts: FrameReaderOptions) {
    if (!Number.isInteger(opts.maxMessageLength) || opts.maxMessageLength < LENGTH_FIELD) {
      throw new RangeError(`maxMessageLength must be an integer >= ${LENGTH_FIELD}`);
    }
    this.maxMessageLength = opts.maxMessageLength;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  get bufferedBytes(): number {
    return this.total;
  }

  /** One startup-phase packet (no type byte); returns its body after the length, or null if incomplete. */
  nextStartupPacket(): Buffer | null {
    if (this.total < LENGTH_FIELD) return null;
    const length = this.peekInt32(0);
    if (length < MIN_STARTUP_PACKET_LENGTH || length > MAX_STARTUP_PACKET_LENGTH) {
      throw new InvalidStartupLength();
    }
    if (this.total < length) return null;
    return this.take(length).subarray(LENGTH_FIELD);
  }

  /** One regular message (type byte, then int32 length counting itself), or null if incomplete. */
  nextMessage(): Frame | null {
    if (this.total < TYPE_BYTE + LENGTH_FIELD) return null;
    const type = this.peekByte(0);
    const length = this.peekInt32(TYPE_BYTE);
    if (length < LENGTH_FIELD || length > this.maxMessageLength) {
      throw new ProtocolViolation('invalid message length');
    }
    if (this.total < TYPE_BYTE + length) return null;
    const frame = this.take(TYPE_BYTE + length);
    return { type, body: frame.subarray(TYPE_BYTE + LENGTH_FIELD) };
  }

  /** Removes and returns every buffered byte not yet consumed (to hand the stream to TLS or a relay). */
  takeBuffered(): Buffer {
    return this.take(this.total);
  }

  private peekByte(index: number): number {
    let chunkIndex = this.head;
    let position = this.headOffset + index;
    while (position >= this.chunks[chunkIndex].length) {
      position -= this.chunks[chunkIndex].length;
      chunkIndex += 1;
    }
    return this.chunks[chunkIndex][position];
  }

  /** Signed, so a length with the top bit set reads as negative and fails the range checks. */
  private peekInt32(index: number): number {
    return (
      ((this.peekByte(index) << 24) |
        (this.peekByte(index + 1) << 16) |
        (this.peekByte(index + 2) << 8) |
        this.peekByte(index + 3)) |
      0
    );
  }

  /** Consumes n buffered bytes (n <= total); copies only if they span several chunks. */
  private take(n: number): Buffer {
    const first = this.chunks[this.head];
    let result: Buffer;
    if (n === 0) {
      result = Buffer.alloc(0);
    } else if (first.length - this.headOffset >= n) {
      result = first.subarray(this.headOffset, this.headOffset + n);
      this.headOffset += n;
    } else {
      result = Buffer.allocUnsafe(n);
      let written = 0;
      while (written < n) {
        const chunk = this.chunks[this.head];
        const count = Math.min(chunk.length - this.headOffset, n - written);
        chunk.copy(result, written, this.headOffset, this.headOffset + count);
        written += count;
        this.headOffset += count;
        if (this.headOffset === chunk.length) this.advanceHead();
      }
    }
    if (this.head < this.chunks.length && this.headOffset === this.chunks[this.head].length) this.advanceHead();
    this.total -= n;
    return result;
  }

  private advanceHead(): void {
    this.head += 1;
    this.headOffset = 0;
    // Drop consumed chunks in batches so the array does not grow without bound, yet shifting
    // stays amortised O(1) per chunk.
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
