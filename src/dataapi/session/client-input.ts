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

  /** Executes queued before the next Sync. */
  executesBeforeSync(): number {
    let n = 0;
    for (const f of this.ahead()) {
      if (f.type === SYNC) break;
      if (f.type === EXECUTE) n++;
    }
    return n;
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
