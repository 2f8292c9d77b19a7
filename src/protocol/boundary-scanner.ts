// Finds message boundaries in a relayed byte stream without buffering or copying payloads:
// only the 5-byte headers are looked at, so a relay can count queries and know when it stands
// between two messages at a cost independent of message size.

export class BoundaryScanner {
  /** Bytes of the current message body still to skip. */
  private remainingBody = 0;
  /** Header bytes collected so far when a header spans chunks. */
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;

  constructor(private readonly onMessageStart: (type: number, length: number) => void) {}

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
        this.remainingBody -= skip;
        i += skip;
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
  }
}
