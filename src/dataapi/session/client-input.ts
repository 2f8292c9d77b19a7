// The client's messages as the session reads them: one at a time, with a look at what the
// client has already pipelined behind the current one. PostgreSQL's extended protocol lets a
// client send a whole pipeline (up to Sync) at once; knowing what follows lets the session keep
// PostgreSQL's implicit-transaction rule and gather batches.
import { decodeFrontendMessage } from '../../protocol/frontend-decoder.js';
import type { MessageChannel } from '../../server/message-channel.js';

export interface Frame {
  type: number;
  body: Buffer;
}

const SYNC = 0x53;
const EXECUTE = 0x45;
/** Parse, Bind, Describe, Close: messages a client pipelines without expecting an answer yet. */
const WAITS_FOR_ANSWER_LATER: ReadonlySet<number> = new Set([0x50, 0x42, 0x44, 0x43]);
/** How much of a pipeline executeFollows reads ahead at most. */
const LOOK_AHEAD_LIMIT_BYTES = 1 << 20;

export class ClientInput {
  private readonly queued: Frame[] = [];

  constructor(private readonly channel: MessageChannel) {}

  /** The next frame: a queued one, or one read from the client (waiting for it). */
  async next(): Promise<Frame> {
    return this.queued.shift() ?? (await this.channel.readMessage());
  }

  /** Whether a frame is already queued (the next one needs no wait). */
  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  /** Frames the client already sent after the current one, without waiting for more. */
  ahead(): readonly Frame[] {
    for (;;) {
      const f = this.channel.tryReadMessage();
      if (!f) break;
      this.queued.push(f);
    }
    return this.queued;
  }

  /** Removes the first `count` queued frames (the session has answered them). */
  consume(count: number): void {
    this.queued.splice(0, count);
  }

  /**
   * Waits for frames while they are of the given types (the rounds of a batch), until another
   * kind arrives or `limit` bytes are queued. The client expects no answer before its Sync or
   * Flush, so the wait costs it nothing.
   */
  async readWhile(types: ReadonlySet<number>, limit: number): Promise<void> {
    let bytes = 0;
    for (const f of this.ahead()) {
      if (!types.has(f.type)) return;
      bytes += f.body.length + 5;
    }
    while (bytes < limit) {
      const f = await this.channel.readMessage();
      this.queued.push(f);
      if (!types.has(f.type)) return;
      bytes += f.body.length + 5;
    }
  }

  /**
   * Whether another Execute follows before the pipeline's Sync (after skipping the first `skip`
   * Executes queued: a Describe's own). PostgreSQL runs everything up to Sync in one implicit
   * transaction, so the answer must not depend on how the network split the pipeline: while
   * the frames read so far do not tell, it waits for the next ones (the client expects nothing
   * before its Sync or Flush, so the wait costs it nothing). What is read decides at a Flush (the
   * client now waits for answers); past `limit` bytes of pipeline the answer is yes, which keeps
   * a transaction open rather than reading a whole long pipeline into memory.
   */
  async executeFollows(skip = 0, limit = LOOK_AHEAD_LIMIT_BYTES): Promise<boolean> {
    let bytes = 0;
    for (let i = 0; ; i++) {
      while (i >= this.ahead().length) this.queued.push(await this.channel.readMessage());
      const f = this.queued[i]!;
      if (f.type === EXECUTE && skip-- <= 0) return true;
      if (f.type !== EXECUTE && !WAITS_FOR_ANSWER_LATER.has(f.type)) return false;
      bytes += f.body.length + 5;
      if (bytes >= limit) return true;
    }
  }

  /** True when the queued frames reach a Sync before any other Execute. */
  reachesSyncFirst(): boolean {
    for (const f of this.queued) {
      if (f.type === SYNC) return true;
      if (f.type === EXECUTE) return false;
    }
    return false;
  }

  /**
   * The row limit of the Execute that follows for this portal before any Sync or Flush, or null
   * when none does. When the frames already read do not tell, it waits for the client's next
   * ones: the client expects no answer before its Sync or Flush, so the wait costs it nothing,
   * and a pipeline that reached the proxy in several network reads (node-postgres writes each
   * message on its own) is read as the client wrote it, not as the network split it.
   */
  async nextExecuteRows(portal: string): Promise<number | null> {
    for (let i = 0; ; i++) {
      while (i >= this.ahead().length) this.queued.push(await this.channel.readMessage());
      const f = this.queued[i]!;
      if (f.type === EXECUTE) {
        const msg = decodeFrontendMessage(f.type, f.body);
        return msg.type === 'Execute' && msg.portal === portal ? msg.maxRows : null;
      }
      if (!WAITS_FOR_ANSWER_LATER.has(f.type)) return null;
    }
  }
}
