// Cancel keys across --workers. A CancelRequest arrives on a new connection, which the cluster may
// give to any worker, not the one serving the session. Each worker therefore puts its index in
// the low bits of the processId it hands out (the secret stays fully random); a worker that
// receives a key of another sends it to the primary, which passes it to the owner. PostgreSQL
// itself answers nothing to a CancelRequest, but it closes the request's connection only once the
// cancel was signalled, and clients send their next statement on that close: so a forwarded
// cancel's connection too closes only when the owner reports its cancel done (or after a bound).
import { randomInt } from 'node:crypto';
import { CancelRegistry, id } from '../server/cancel-registry.js';
import type { CancelKey } from '../server/types.js';
import type { PrimaryToWorker } from './messages.js';
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
    /** Sends a key this worker does not own towards its owner; settles when the owner is done. */
    private readonly forward: (key: CancelKey) => Promise<void> | void,
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
    await this.forward({ processId: key.processId, secretKey: key.secretKey });
    return true;
  }

  /** A key the primary forwarded: this worker owns it, never forward it again. */
  async cancelForwarded(key: CancelKey): Promise<boolean> {
    return ownerOf(key) === this.index && super.cancel(key);
  }
}

/** How long a worker waits for the owner of a forwarded cancel (whose own wait is bounded at 2 s). */
export const FORWARDED_CANCEL_WAIT_MS = 3000;

/**
 * A worker's forwarded cancels in flight: each resolves when the primary answers its id, after
 * FORWARDED_CANCEL_WAIT_MS, or when the channel to the primary is gone (settleAll).
 */
export class CancelForwarder {
  private readonly waiting = new Map<number, () => void>();
  private nextId = 1;

  constructor(
    private readonly send: (message: { id: number } & CancelKey) => boolean,
    private readonly waitMs = FORWARDED_CANCEL_WAIT_MS,
  ) {}

  forward(key: CancelKey): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => settle(), this.waitMs);
      const settle = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve();
      };
      this.waiting.set(id, settle);
      if (!this.send({ id, ...key })) settle();
    });
  }

  /** The primary's answer to forwarded cancel `id`. */
  answered(id: number): void {
    this.waiting.get(id)?.();
  }

  settleAll(): void {
    for (const settle of [...this.waiting.values()]) settle();
  }

  get inFlight(): number {
    return this.waiting.size;
  }
}

/**
 * The primary's side: passes each forwarded cancel to its owner under an id of its own, and
 * answers the worker that forwarded it when the owner does, or at once when the owner is not
 * there to answer (not running, or the sender itself), or when the owner exits first.
 */
export class CancelExchange<W> {
  private readonly inFlight = new Map<number, { from: W; id: number; owner: W }>();
  private nextId = 1;

  constructor(
    private readonly workerAt: (index: number) => W | undefined,
    private readonly deliver: (to: W, message: PrimaryToWorker) => boolean,
  ) {}

  /** Worker `from` received a key it does not own, and waits for answer `id`. */
  request(from: W, id: number, key: CancelKey): void {
    const owner = this.workerAt(ownerOf(key));
    if (owner === undefined || owner === from) {
      this.deliver(from, { apgp: 'cancelled', id });
      return;
    }
    const relayId = this.nextId++;
    this.inFlight.set(relayId, { from, id, owner });
    if (!this.deliver(owner, { apgp: 'cancel', id: relayId, processId: key.processId, secretKey: key.secretKey })) this.answer(relayId);
  }

  /** The owner answered the primary's id. */
  answer(relayId: number): void {
    const pending = this.inFlight.get(relayId);
    if (!pending) return;
    this.inFlight.delete(relayId);
    this.deliver(pending.from, { apgp: 'cancelled', id: pending.id });
  }

  /** A worker is gone: what it owed is answered, what it waited for is dropped. */
  gone(worker: W): void {
    for (const [relayId, pending] of this.inFlight) {
      if (pending.from === worker) this.inFlight.delete(relayId);
      else if (pending.owner === worker) this.answer(relayId);
    }
  }

  get size(): number {
    return this.inFlight.size;
  }
}
