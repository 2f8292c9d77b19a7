// Cancel keys across --workers. A CancelRequest arrives on a new connection, which the cluster may
// give to any worker, not the one serving the session. Each worker therefore puts its index in
// the low bits of the processId it hands out (the secret stays fully random); a worker that
// receives a key of another sends it to the primary, which passes it to the owner. PostgreSQL
// itself answers nothing to a CancelRequest, so neither does a forwarded one.
import { randomInt } from 'node:crypto';
import { CancelRegistry, id } from '../server/cancel-registry.js';
import type { CancelKey } from '../server/types.js';
import { MAX_WORKERS } from './worker-count.js';

const INDEX_BITS = Math.log2(MAX_WORKERS);
const INDEX_MASK = MAX_WORKERS - 1;

/** The index of the worker that handed out this key. */
export function ownerOf(key: CancelKey): number {
  return key.processId & INDEX_MASK;
}

export class RoutedCancelRegistry extends CancelRegistry {
  constructor(
    private readonly index: number,
    /** Sends a key this worker does not own towards its owner. */
    private readonly forward: (key: CancelKey) => void,
  ) {
    super();
    if (!Number.isInteger(index) || index < 0 || index >= MAX_WORKERS) throw new Error(`worker index ${index} out of range`);
  }

  override allocate(): CancelKey {
    for (;;) {
      // processId stays a positive int32: at most (2^25 - 1) * 64 + 63 = 2^31 - 1.
      const processId = randomInt(1, 2 ** (31 - INDEX_BITS)) * MAX_WORKERS + this.index;
      const key = { processId, secretKey: randomInt(-(2 ** 31), 2 ** 31 - 1) };
      if (!this.handlers.has(id(key))) return key;
    }
  }

  /**
   * A key of this worker is looked up here; any other is forwarded, and counts as found because
   * whether the owner knows it is not known here (the caller only logs it).
   */
  override async cancel(key: CancelKey): Promise<boolean> {
    if (ownerOf(key) === this.index) return super.cancel(key);
    // Not waited for: the owner's cancel is not reported back across workers.
    this.forward({ processId: key.processId, secretKey: key.secretKey });
    return true;
  }

  /** A key the primary forwarded: this worker owns it, never forward it again. */
  async cancelForwarded(key: CancelKey): Promise<boolean> {
    return ownerOf(key) === this.index && super.cancel(key);
  }
}
