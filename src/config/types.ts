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

export interface DsqlSettings {
  host: string;
  region: string;
  profile?: string;
  tokenTtlSeconds: number;
  connectTo?: HostPort;
  upstreamCaFile?: string;
  connectTimeoutSeconds: number;
  lifetimeNoticeMinutes: number;
}

export interface DsqlListenerConfig extends CommonListenerConfig {
  mode: 'dsql';
  dsql: DsqlSettings;
}

export interface DataApiSettings {
  resourceArn: string;
  secretArn: string;
  database?: string;
  region: string;
  endpointUrl?: string;
  profile?: string;
  readinessCheck: 'statement' | 'endpoint';
  pageInTransactions: boolean;
  /** Credentials given in code (the demo); the standard AWS chain otherwise. */
  credentials?: import('@smithy/types').AwsCredentialIdentityProvider;
}

export interface DataApiListenerConfig extends CommonListenerConfig {
  mode: 'data-api';
  dataApi: DataApiSettings;
}

export type ListenerConfig = DsqlListenerConfig | DataApiListenerConfig;

export interface ProxyConfig {
  listeners: ListenerConfig[];
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'; format: 'auto' | 'json' | 'pretty' };
  shutdown: { maxSigtermDelaySeconds: number };
  /** Where /metrics and the health endpoints are served; none when absent. */
  metrics?: HostPort;
  /** How long a /readiness answer is reused; DEFAULTS.readinessCacheSeconds when absent. */
  readinessCacheSeconds?: number;
}

export const DEFAULTS = {
  listen: { host: '127.0.0.1', port: 5432 },
  maxConnections: 1000,
  startupTimeoutSeconds: 60,
  /** PostgreSQL accepts up to 1 GiB; DSQL refuses messages over 10 MiB anyway. */
  maxMessageBytes: 16 * 1024 * 1024,
  tokenTtlSeconds: 900,
  connectTimeoutSeconds: 10,
  lifetimeNoticeMinutes: 5,
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
