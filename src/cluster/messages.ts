// What the primary and its workers say to each other over the cluster's IPC channel. Every
// message of ours carries `apgp`, so prom-client's own messages on the same channel pass by.
import type { CancelKey } from '../server/types.js';

/** The environment variable that tells a forked worker its index (0..N-1). */
export const WORKER_INDEX_ENV = 'AURORA_PG_PROXY_INTERNAL_WORKER_INDEX';

export type WorkerToPrimary =
  /** The worker's listeners accept connections. */
  | { apgp: 'listening'; addresses: string[] }
  /** A CancelRequest for a key another worker handed out; `id` asks for a 'cancelled' answer. */
  | ({ apgp: 'cancel'; id: number } & CancelKey)
  /** A forwarded cancel (the primary's `id`) reached the cluster, or could not be passed on. */
  | { apgp: 'cancelled'; id: number }
  /** The answer to a readiness question: no error means ready. */
  | { apgp: 'readiness'; id: number; error?: string };

export type PrimaryToWorker =
  /** A CancelRequest for a key this worker handed out, received by another worker: answer 'cancelled' with `id`. */
  | ({ apgp: 'cancel'; id: number } & CancelKey)
  /** The cancel this worker forwarded as `id` is done. */
  | { apgp: 'cancelled'; id: number }
  | { apgp: 'readiness?'; id: number }
  /** Stop accepting, drain as on SIGTERM, exit. */
  | { apgp: 'shutdown' };

export function isOurs<T extends { apgp: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { apgp?: unknown }).apgp === 'string';
}
