// The configuration of a running proxy, after flags, environment and file have been merged and
// validated. Everything downstream reads these shapes only.
import type { ClientAuthMethod } from '../server/local-auth.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface CommonListenerConfig {
  name: string;
  listen: HostPort;
  clientAuth: { method: ClientAuthMethod; password?: string };
  allowUnauthenticatedRemote: boolean;
  tls: { certFile?: string; keyFile?: string; require: boolean };
  maxConnections: number;
  startupTimeoutSeconds: number;
  maxMessageBytes: number;
  /** 0: sessions may stay idle for ever. */
  idleTimeoutSeconds: number;
}

/**
 * The settings of each mode, by mode name. Each mode folder adds its entry by declaration merging
 * (`declare module '../config/types.js' { interface ModeSettings { dsql: DsqlSettings } }` in its
 * config.ts), so this file never changes when a mode is added.
 */
export interface ModeSettings {}

export type ModeName = keyof ModeSettings & string;

/** A listener of one mode: the shared client side plus that mode's settings. */
export type ListenerConfigOf<M extends ModeName> = CommonListenerConfig & { mode: M; settings: ModeSettings[M] };

export type ListenerConfig = { [M in ModeName]: ListenerConfigOf<M> }[ModeName];

export interface ProxyConfig {
  listeners: ListenerConfig[];
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'; format: 'auto' | 'json' | 'pretty' };
  shutdown: { maxSigtermDelaySeconds: number };
  /** Where /metrics and the health endpoints are served; none when absent. */
  metrics?: HostPort;
  /** How long a /readiness answer is reused; DEFAULTS.readinessCacheSeconds when absent. */
  readinessCacheSeconds?: number;
  /** Processes serving clients (src/cluster/); 1 or absent: this process alone, no cluster. */
  workers?: number;
}

export const DEFAULTS = {
  listen: { host: '127.0.0.1', port: 5432 },
  maxConnections: 1000,
  startupTimeoutSeconds: 60,
  /** PostgreSQL accepts up to 1 GiB; DSQL refuses messages over 10 MiB anyway. */
  maxMessageBytes: 16 * 1024 * 1024,
  tokenTtlSeconds: 900,
  connectTimeoutSeconds: 10,
  /** PostgreSQL's port, the default of RDS and Aurora PostgreSQL endpoints. */
  postgresPort: 5432,
  lifetimeNoticeMinutes: 5,
  /** DSQL's documented login rate: 100 per second sustained, bursts to 1000. */
  maxConnectRate: 100,
  connectBurst: 1000,
  occRetries: 3,
  /** RDS advises IAM authentication below 200 new connections per second. */
  rdsIamMaxConnectRate: 200,
  rdsIamConnectBurst: 200,
  maxSigtermDelaySeconds: 0,
  metricsListen: { host: '127.0.0.1', port: 9090 },
  readinessCacheSeconds: 5,
} as const;

/** An invalid setting: names the key and says what is wrong. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`${key}: ${problem}`);
  }
}
