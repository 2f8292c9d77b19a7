// Chooses how the proxy runs: with --workers 1 (the default) the caller serves in this process as
// it always has and no cluster machinery is set up; with --workers N this process becomes the
// primary of N workers, and a forked worker runs its share.
import cluster from 'node:cluster';
import { ConfigError, type ProxyConfig } from '../config/types.js';
import { WORKER_INDEX_ENV } from './messages.js';
import { runPrimary } from './primary.js';
import { runWorker } from './worker.js';

/** Modes whose sessions may be spread over worker processes. */
const CLUSTER_MODES = new Set(['dsql', 'rds-iam']);

/** Returns false when the caller should serve in this process (one worker). */
export async function serveInCluster(config: ProxyConfig): Promise<boolean> {
  const workers = config.workers ?? 1;
  const workerIndex = process.env[WORKER_INDEX_ENV];
  if (cluster.isWorker && workerIndex !== undefined) {
    await runWorker(config, Number(workerIndex), workers);
    return true;
  }
  if (workers <= 1) return false;
  const other = config.listeners.find((l) => !CLUSTER_MODES.has(l.mode));
  if (other) {
    throw new ConfigError('--workers', `listener ${other.name} is ${other.mode}, which runs in one process; --workers applies to dsql and rds-iam only`);
  }
  await runPrimary(config, workers);
  return true;
}
