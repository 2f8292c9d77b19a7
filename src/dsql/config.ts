// The settings of a dsql listener, after validation.
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { HostPort } from '../config/types.js';

export interface DsqlSettings {
  host: string;
  region: string;
  profile?: string;
  tokenTtlSeconds: number;
  connectTo?: HostPort;
  upstreamCaFile?: string;
  connectTimeoutSeconds: number;
  lifetimeNoticeMinutes: number;
  /** Credentials given in code (the demo); the standard AWS chain otherwise. */
  credentials?: AwsCredentialIdentityProvider;
}

declare module '../config/types.js' {
  interface ModeSettings {
    dsql: DsqlSettings;
  }
}
