// Maps the cancel keys this proxy hands out to the sessions that own them. Keys are random so
// that one client cannot guess another's; a CancelRequest with an unknown key is ignored, as
// PostgreSQL does.
import { randomInt } from 'node:crypto';
import type { CancelKey } from './types.js';

/**
 * What a CancelRequest with a session's key does; a promise when the cancel travels further (to
 * the cluster), settled once it got there.
 */
export type CancelHandler = () => void | Promise<void>;

export class CancelRegistry {
  protected readonly handlers = new Map<string, CancelHandler>();

  /** A fresh key not in use by any live session. */
  allocate(): CancelKey {
    for (;;) {
      const key = { processId: randomInt(1, 2 ** 31 - 1), secretKey: randomInt(-(2 ** 31), 2 ** 31 - 1) };
      if (!this.handlers.has(id(key))) return key;
    }
  }

  register(key: CancelKey, handler: CancelHandler): void {
    this.handlers.set(id(key), handler);
  }

  release(key: CancelKey): void {
    this.handlers.delete(id(key));
  }

  /**
   * Whether a session owned the key, once its cancel has been passed on. The handler runs at once;
   * a failed cancel is no one's error (best effort, as in PostgreSQL).
   */
  async cancel(key: CancelKey): Promise<boolean> {
    const handler = this.handlers.get(id(key));
    if (!handler) return false;
    try {
      await handler();
    } catch {
      // Nothing to tell the client: a CancelRequest gets no answer either way.
    }
    return true;
  }

  get size(): number {
    return this.handlers.size;
  }
}

export function id(key: CancelKey): string {
  return `${key.processId}:${key.secretKey}`;
}
