// The settings of a dsql listener, after validation.
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { HostPort } from '../config/types.js';
import type { WarmConnectionSettings } from '../iam-relay/warm-options.js';
import type { RelayEngine, RelayIo } from '../iam-relay/engine-option.js';

/** The warm-connection settings are optional: absent means none (the demo). */
export interface DsqlSettings extends Partial<WarmConnectionSettings> {
  host: string;
  region: string;
  profile?: string;
  tokenTtlSeconds: number;
  connectTo?: HostPort;
  upstreamCaFile?: string;
  connectTimeoutSeconds: number;
  lifetimeNoticeMinutes: number;
  /** Cluster logins per second (token bucket refill) and the bucket's size. */
  maxConnectRate: number;
  connectBurst: number;
  /** Times an implicit transaction failed by an OCC conflict is sent again (0: never). */
  occRetries: number;
  /** --relay-engine; auto when absent (the demo). */
  relayEngine?: RelayEngine;
  /** --relay-io; auto when absent. */
  relayIo?: RelayIo;
  /** Credentials given in code (the demo); the standard AWS chain otherwise. */
  credentials?: AwsCredentialIdentityProvider;
}

declare module '../config/types.js' {
  interface ModeSettings {
    dsql: DsqlSettings;
  }
}
