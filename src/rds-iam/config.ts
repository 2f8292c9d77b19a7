// The settings of an rds-iam listener, after validation.
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { HostPort } from '../config/types.js';
import type { WarmConnectionSettings } from '../iam-relay/warm-options.js';
import type { RelayEngine, RelayIo } from '../iam-relay/engine-option.js';

/** The warm-connection settings are optional: absent means none (the demo). */
export interface RdsIamSettings extends Partial<WarmConnectionSettings> {
  /** The endpoint name: SNI, certificate check and token use it. */
  host: string;
  /** The endpoint's port: the token is signed for it, and it is dialled unless --connect-to says otherwise. */
  port: number;
  region: string;
  profile?: string;
  connectTo?: HostPort;
  upstreamCaFile?: string;
  connectTimeoutSeconds: number;
  /** Database logins per second (token bucket refill) and the bucket's size. */
  maxConnectRate: number;
  connectBurst: number;
  /** --relay-engine; auto when absent (the demo). */
  relayEngine?: RelayEngine;
  /** --relay-io; auto when absent. */
  relayIo?: RelayIo;
  /** Credentials given in code (the demo); the standard AWS chain otherwise. */
  credentials?: AwsCredentialIdentityProvider;
}

declare module '../config/types.js' {
  interface ModeSettings {
    'rds-iam': RdsIamSettings;
  }
}
