// Maps the cancel keys this proxy hands out to the sessions that own them. Keys are random so
// that one client cannot guess another's; a CancelRequest with an unknown key is ignored, as
// PostgreSQL does.
import { randomInt } from 'node:crypto';
import type { CancelKey } from './types.js';

export class CancelRegistry {
  protected readonly handlers = new Map<string, () => void>();

  /** A fresh key not in use by any live session. */
  allocate(): CancelKey {
    for (;;) {
      const key = { processId: randomInt(1, 2 ** 31 - 1), secretKey: randomInt(-(2 ** 31), 2 ** 31 - 1) };
      if (!this.handlers.has(id(key))) return key;
    }
  }

  register(key: CancelKey, handler: () => void): void {
    this.handlers.set(id(key), handler);
  }

  release(key: CancelKey): void {
    this.handlers.delete(id(key));
  }

  /** Returns whether a session owned the key. */
  cancel(key: CancelKey): boolean {
    const handler = this.handlers.get(id(key));
    if (!handler) return false;
    handler();
    return true;
  }

  get size(): number {
    return this.handlers.size;
  }
}

export function id(key: CancelKey): string {
  return `${key.processId}:${key.secretKey}`;
}
