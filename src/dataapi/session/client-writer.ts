// Collects the messages of one answer and writes them in few large writes; waits for the client
// to drain when it reads slowly, so a large result never piles up in memory.
import type { Duplex } from 'node:stream';

const FLUSH_THRESHOLD = 64 * 1024;

export class ClientWriter {
  private parts: Buffer[] = [];
  private size = 0;
  private closed = false;
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

  /** Writes what is queued and waits until the socket accepts more. */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const data = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    this.bytesWritten += data.length;
    this.onWrite?.(data.length);
    if (this.stream.destroyed || this.stream.writableEnded) return;
    if (!this.stream.write(data)) await waitDrain(this.stream);
  }

  /** Drops queued messages not yet written (the session is being ended). */
  discardQueued(): void {
    this.parts = [];
    this.size = 0;
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
