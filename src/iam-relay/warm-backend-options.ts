// Turns a listener's warm-connection settings into the IAM relay backend's options.
import type { WarmConnectionOptions } from './backend.js';
import type { WarmConnectionSettings } from './warm-options.js';
import { DEFAULT_WARM_MAX_AGE_SECONDS } from './warm-options.js';

export function warmConnectionOptions(s: Partial<WarmConnectionSettings>): WarmConnectionOptions | undefined {
  if (!s.warmConnections) return undefined;
  return {
    size: s.warmConnections,
    maxAgeMs: (s.warmMaxAgeSeconds ?? DEFAULT_WARM_MAX_AGE_SECONDS) * 1000,
    reuse: s.reuseConnections && s.serverResetQuery ? { resetQuery: s.serverResetQuery } : undefined,
  };
}
