// Collects the messages of one answer and writes them in few large writes; waits for the client
// to drain when it reads slowly, so a large result never piles up in memory.
import type { Duplex } from 'node:stream';
import { StreamClosedError } from '../../server/message-channel.js';

const FLUSH_THRESHOLD = 64 * 1024;

export class ClientWriter {
  private parts: Buffer[] = [];
  private size = 0;
  private closed = false;
  /** Index in `parts` from which messages are held back (parse-check.ts), or null. */
  private heldFrom: number | null = null;
  bytesWritten = 0;

  constructor(
    private readonly stream: Duplex,
    private readonly onWrite?: (bytes: number) => void,
  ) {}

  /** Queues a message; returns a promise only when the queue was written out and must drain. */
  send(message: Buffer): Promise<void> | void {
    if (this.closed) return;
    this.parts.push(message);
    this.size += message.length;
    if (this.size >= FLUSH_THRESHOLD) return this.flush();
  }

  /** Holds back the messages queued from now on (flush leaves them) until release or discardHeld. */
  hold(): void {
    if (this.heldFrom === null) this.heldFrom = this.parts.length;
  }

  /** Lets the held messages go out with the next flush. */
  release(): void {
    this.heldFrom = null;
  }

  /** Drops the held messages. */
  discardHeld(): void {
    if (this.heldFrom === null) return;
    for (const dropped of this.parts.splice(this.heldFrom)) this.size -= dropped.length;
    this.heldFrom = null;
  }

  /**
   * Writes what is queued (up to held messages) and waits until the socket accepts more. Throws
   * once the client is gone (its reset, or StreamClosedError), so that a long answer stops
   * there instead of paging on through the Data API for nobody.
   */
  async flush(): Promise<void> {
    const count = this.heldFrom ?? this.parts.length;
    if (count === 0) return;
    const out = this.parts.splice(0, count);
    if (this.heldFrom !== null) this.heldFrom = 0;
    const length = out.reduce((n, b) => n + b.length, 0);
    const data = out.length === 1 ? out[0] : Buffer.concat(out, length);
    this.size -= length;
    if (this.stream.destroyed || this.stream.writableEnded) {
      if (this.closed) return;
      throw this.stream.errored ?? new StreamClosedError('the client closed the connection');
    }
    this.bytesWritten += data.length;
    this.onWrite?.(data.length);
    if (!this.stream.write(data)) await waitDrain(this.stream);
  }

  /** Drops queued messages not yet written (the session is being ended). */
  discardQueued(): void {
    this.parts = [];
    this.size = 0;
    this.heldFrom = null;
  }

  /** Nothing more is written after this; later sends are dropped. */
  close(): void {
    this.discardQueued();
    this.closed = true;
  }
}

function waitDrain(stream: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
