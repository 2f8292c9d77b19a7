// What a serving mode is, in one object: each mode folder (src/dsql, src/rds-iam, src/dataapi)
// exports one descriptor, and the command line, the configuration file, the backend factory and
// the metrics go through the list in ./registry.ts. Adding a mode is a new folder and one line
// in the registry.
import type { Command } from 'commander';
import type { ListenerConfigOf, ModeName, ProxyConfig } from '../config/types.js';
import type { Backend } from '../server/types.js';
import type { MetricSet, TokenExpiryReader } from '../metrics/proxy-metrics.js';

export interface ModeDescriptor<M extends ModeName = ModeName, Observer extends object = object> {
  /** The subcommand and the `mode:` of a configuration-file listener. */
  readonly name: M;
  /**
   * The subcommand with its flags. Each flag is also a key of a configuration-file listener of
   * this mode (camelCase), validated by the same `listenerFromFlags`.
   */
  command(run: (config: ProxyConfig) => Promise<void>): Command;
  /** Flag values (command line, environment or file) to the validated listener; throws ConfigError. */
  listenerFromFlags(flags: Record<string, unknown>): ListenerConfigOf<M>;
  /**
   * The backend serving one listener. Its `checkReady` is the mode's readiness check, behind
   * /readiness.
   */
  createBackend(cfg: ListenerConfigOf<M>, observer: Observer): Promise<Backend>;
  /**
   * The mode's own observer methods (on top of the listener's), bound to one listener's metric
   * series; the backend calls them.
   */
  metrics(set: MetricSet, listener: string): Observer;
  /** Seconds until the backend's cached token expires, for aurora_pg_proxy_token_expiry_seconds. */
  tokenExpiry?(backend: Backend): TokenExpiryReader | undefined;
}

/** Any registered descriptor, with its configuration type erased for iteration. */
export type AnyModeDescriptor = {
  [M in ModeName]: ModeDescriptor<M, object>;
}[ModeName];
