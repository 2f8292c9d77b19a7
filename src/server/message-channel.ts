// Pull-style reading of protocol frames from a stream, for the phases that are a dialogue
// (startup, authentication, upstream login). Once the dialogue is over, detach() hands the
// stream and any bytes read ahead to whoever relays or serves it next.
import type { Duplex } from 'node:stream';
import { FrameReader } from '../protocol/framer.js';
import { ProtocolViolation } from '../protocol/errors.js';
import { SqlState } from '../protocol/sqlstate.js';

export class StreamClosedError extends Error {
  constructor(message = 'connection closed') {
    super(message);
  }
}

export class MessageChannel {
  private readonly frames: FrameReader;
  private waiter: (() => void) | null = null;
  private ended = false;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.frames.push(chunk);
    // Read no further than asked: a dialogue never needs more than the frame it waits for, and
    // a client flooding us during startup must not grow our buffer.
    this.stream.pause();
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };
  private readonly onError = (err: Error) => {
    this.failure = err;
    this.wake();
  };

  constructor(
    readonly stream: Duplex,
    maxMessageLength: number,
    initial?: Buffer,
  ) {
    this.frames = new FrameReader({ maxMessageLength });
    if (initial && initial.length > 0) this.frames.push(initial);
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
    // A stream that ended before this channel was made (a client gone right after its startup
    // message) has no event left to fire; reading it would otherwise wait forever.
    if (stream.destroyed || stream.readableEnded) this.ended = true;
  }

  /** Reads one startup-phase packet body (no type byte). */
  readStartupPacket(): Promise<Buffer> {
    return this.next(() => this.frames.nextStartupPacket());
  }

  /** Reads one regular message. */
  readMessage(): Promise<{ type: number; body: Buffer }> {
    return this.next(() => this.frames.nextMessage());
  }

  /** A message already buffered, without waiting for more input; null when none is complete. */
  tryReadMessage(): { type: number; body: Buffer } | null {
    return this.frames.nextMessage();
  }

  /** Reads one message and insists on its type (as a character). */
  async expectMessage(type: string, what: string): Promise<Buffer> {
    const msg = await this.readMessage();
    if (msg.type !== type.charCodeAt(0)) {
      throw new ProtocolViolation(
        `expected ${what} ('${type}'), received message type '${String.fromCharCode(msg.type)}'`,
        SqlState.PROTOCOL_VIOLATION,
      );
    }
    return msg.body;
  }

  get bufferedBytes(): number {
    return this.frames.bufferedBytes;
  }

  /** Stops listening and returns what was read ahead. The stream is left paused. */
  detach(): Buffer {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.pause();
    return this.frames.takeBuffered();
  }

  private async next<T>(take: () => T | null): Promise<T> {
    for (;;) {
      const frame = take();
      if (frame !== null) return frame;
      if (this.failure) throw this.failure;
      if (this.ended) throw new StreamClosedError();
      this.stream.resume();
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
