// What the primary and its workers say to each other over the cluster's IPC channel. Every
// message of ours carries `apgp`, so prom-client's own messages on the same channel pass by.
import type { CancelKey } from '../server/types.js';

/** The environment variable that tells a forked worker its index (0..N-1). */
export const WORKER_INDEX_ENV = 'AURORA_PG_PROXY_INTERNAL_WORKER_INDEX';

export type WorkerToPrimary =
  /** The worker's listeners accept connections. */
  | { apgp: 'listening'; addresses: string[] }
  /** A CancelRequest for a key another worker handed out. */
  | ({ apgp: 'cancel' } & CancelKey)
  /** The answer to a readiness question: no error means ready. */
  | { apgp: 'readiness'; id: number; error?: string };

export type PrimaryToWorker =
  /** A CancelRequest for a key this worker handed out, received by another worker. */
  | ({ apgp: 'cancel' } & CancelKey)
  | { apgp: 'readiness?'; id: number }
  /** Stop accepting, drain as on SIGTERM, exit. */
  | { apgp: 'shutdown' };

export function isOurs<T extends { apgp: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { apgp?: unknown }).apgp === 'string';
}
