// The value of --workers: how many processes serve clients. `auto` is one per CPU the process may
// use. The bound comes from the cancel keys: the serving worker's index is kept in the low bits of
// the processId each client is given (cancel-routing.ts).
import { availableParallelism } from 'node:os';
import { ConfigError } from '../config/types.js';

export const MAX_WORKERS = 64;

export function parseWorkerCount(value: string | number | undefined, key = '--workers'): number {
  if (value === undefined || value === '') return 1;
  const text = String(value).trim().toLowerCase();
  if (text === 'auto') return Math.min(MAX_WORKERS, Math.max(1, availableParallelism()));
  if (!/^\d+$/.test(text)) throw new ConfigError(key, `expected a whole number from 1 to ${MAX_WORKERS} or "auto", got "${value}"`);
  const n = Number(text);
  if (n < 1 || n > MAX_WORKERS) throw new ConfigError(key, `expected a whole number from 1 to ${MAX_WORKERS} or "auto", got "${value}"`);
  return n;
}
