// Finds message boundaries in a relayed byte stream without buffering or copying payloads:
// only the 5-byte headers are looked at, so a relay can count queries and know when it stands
// between two messages at a cost independent of message size. The few small messages a relay
// must read (ReadyForQuery's status, an ErrorResponse's SQLSTATE) can be captured, capped.

/** Bodies of these message types are handed over, cut at `maxBytes`. */
export interface BodyCapture {
  types: ReadonlySet<number>;
  maxBytes: number;
  onBody(type: number, body: Buffer): void;
}

export class BoundaryScanner {
  /** Bytes of the current message body still to skip. */
  private remainingBody = 0;
  /** Header bytes collected so far when a header spans chunks. */
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  private captured: { type: number; parts: Buffer[]; size: number } | null = null;

  constructor(
    private readonly onMessageStart: (type: number, length: number) => void,
    private readonly capture?: BodyCapture,
  ) {}

  /** Whether the bytes seen so far end exactly at a message boundary. */
  get atBoundary(): boolean {
    return this.remainingBody === 0 && this.headerFill === 0;
  }

  scan(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.remainingBody > 0) {
        const skip = Math.min(this.remainingBody, n - i);
        if (this.captured) this.collect(chunk.subarray(i, i + skip));
        this.remainingBody -= skip;
        i += skip;
        if (this.remainingBody === 0 && this.captured) this.finishCapture();
        continue;
      }
      if (this.headerFill === 0 && n - i >= 5) {
        const type = chunk[i];
        const length = chunk.readUInt32BE(i + 1);
        this.startMessage(type, length);
        i += 5;
        continue;
      }
      this.header[this.headerFill++] = chunk[i++];
      if (this.headerFill === 5) {
        this.headerFill = 0;
        this.startMessage(this.header[0], this.header.readUInt32BE(1));
      }
    }
  }

  private startMessage(type: number, length: number): void {
    // A length below 4 is invalid; the receiving end will reject it. Treat it as empty here so
    // that the scanner itself never loops or throws on the relay's hot path.
    this.remainingBody = length >= 4 ? length - 4 : 0;
    this.onMessageStart(type, length);
    if (this.capture?.types.has(type)) {
      this.captured = { type, parts: [], size: 0 };
      if (this.remainingBody === 0) this.finishCapture();
    }
  }

  private collect(part: Buffer): void {
    const c = this.captured!;
    const take = Math.min(part.length, this.capture!.maxBytes - c.size);
    if (take <= 0) return;
    c.parts.push(Buffer.from(part.subarray(0, take)));
    c.size += take;
  }

  private finishCapture(): void {
    const c = this.captured!;
    this.captured = null;
    this.capture!.onBody(c.type, c.parts.length === 1 ? c.parts[0] : Buffer.concat(c.parts, c.size));
  }
}
