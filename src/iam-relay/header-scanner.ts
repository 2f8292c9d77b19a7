// Message boundaries of a relayed PostgreSQL byte stream, found by reading only the 5-byte
// headers: a small state machine with no allocation while nothing is captured. The relay's hot
// path calls scan() once per network chunk; the cost is one loop step per message, whatever the
// message's size. Captures are limited to what the relay must know: the status byte of
// ReadyForQuery, the first bytes of an ErrorResponse (for its SQLSTATE) and, from a client with
// --reuse-connections, the first bytes of Parse (the names of prepared statements).

const READY_FOR_QUERY = 0x5a; // 'Z'
const ERROR_RESPONSE = 0x45; // 'E'
/** PostgreSQL sends severity and SQLSTATE first; DSQL's fields are short too; names come first. */
const CAPTURE_BYTES = 256;

export interface HeaderScanHooks {
  /** A message of this type starts (its header has been seen). */
  messageStart(type: number): void;
  /** ReadyForQuery's transaction status byte ('I', 'T' or 'E'). Only when `captureBodies`. */
  readyForQuery?(status: number): void;
  /** The first bytes of an ErrorResponse body (field byte, C string, ...). Only when `captureBodies`. */
  errorResponse?(head: Buffer): void;
  /** The first bytes (up to 256) of each message of the scanner's `captureTypes`. */
  captured?(type: number, head: Buffer): void;
}

export class HeaderScanner {
  /** Body bytes of the current message still to pass. */
  private remaining = 0;
  /** Header bytes collected when a header spans chunks (0 when none). */
  private headerFill = 0;
  private headerType = 0;
  private headerLength = 0;
  /** The message whose body is being captured (0: none). */
  private capturing = 0;
  private captured: Buffer[] = [];
  private capturedSize = 0;
  /** The type of the last message whose header was seen. */
  lastType = 0;

  /** `captureTypes`: message types whose first bytes go to `captured`. */
  constructor(
    private readonly hooks: HeaderScanHooks,
    private readonly captureBodies: boolean,
    private readonly captureTypes: readonly number[] = [],
  ) {}

  /** Whether the bytes seen so far end exactly between two messages. */
  get atBoundary(): boolean {
    return this.remaining === 0 && this.headerFill === 0;
  }

  scan(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.remaining > 0) {
        const take = this.remaining < n - i ? this.remaining : n - i;
        if (this.capturing !== 0) this.collect(chunk, i, i + take);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0 && this.capturing !== 0) this.finishCapture();
        continue;
      }
      if (this.headerFill === 0 && n - i >= 5) {
        const type = chunk[i];
        const length = ((chunk[i + 1] << 24) >>> 0) + (chunk[i + 2] << 16) + (chunk[i + 3] << 8) + chunk[i + 4];
        i += 5;
        // ReadyForQuery's single status byte, in the same chunk: the common case, no capture needed.
        if (type === READY_FOR_QUERY && length === 5 && i < n) {
          this.lastType = type;
          this.hooks.messageStart(type);
          if (this.captureBodies) this.hooks.readyForQuery?.(chunk[i]);
          i += 1;
          continue;
        }
        this.startMessage(type, length);
        continue;
      }
      // A header split across chunks.
      const b = chunk[i++];
      if (this.headerFill === 0) {
        this.headerType = b;
        this.headerLength = 0;
      } else {
        this.headerLength = this.headerLength * 256 + b;
      }
      if (++this.headerFill === 5) {
        this.headerFill = 0;
        this.startMessage(this.headerType, this.headerLength);
      }
    }
  }

  private startMessage(type: number, length: number): void {
    // A length below 4 is invalid; the receiving end rejects it. Treat it as empty so that the
    // scanner never loops or throws on the hot path.
    this.remaining = length >= 4 ? length - 4 : 0;
    this.lastType = type;
    this.hooks.messageStart(type);
    if ((this.captureBodies && (type === READY_FOR_QUERY || type === ERROR_RESPONSE)) || this.captureTypes.includes(type)) {
      this.capturing = type;
      this.captured = [];
      this.capturedSize = 0;
      if (this.remaining === 0) this.finishCapture();
    }
  }

  private collect(chunk: Buffer, from: number, to: number): void {
    const room = CAPTURE_BYTES - this.capturedSize;
    if (room <= 0) return;
    const end = Math.min(to, from + room);
    // Copied: the chunk belongs to the stream and may be reused once it has been written on.
    this.captured.push(Buffer.from(chunk.subarray(from, end)));
    this.capturedSize += end - from;
  }

  private finishCapture(): void {
    const type = this.capturing;
    this.capturing = 0;
    const body = this.captured.length === 1 ? this.captured[0] : Buffer.concat(this.captured, this.capturedSize);
    this.captured = [];
    if (this.captureBodies && type === READY_FOR_QUERY) {
      if (body.length > 0) this.hooks.readyForQuery?.(body[0]);
    } else if (this.captureBodies && type === ERROR_RESPONSE) this.hooks.errorResponse?.(body);
    else this.hooks.captured?.(type, body);
  }
}
