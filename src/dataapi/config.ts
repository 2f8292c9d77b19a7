// The settings of a data-api listener, after validation.
import type { AwsCredentialIdentityProvider } from '@smithy/types';

export interface DataApiSettings {
  resourceArn: string;
  secretArn: string;
  database?: string;
  region: string;
  endpointUrl?: string;
  profile?: string;
  readinessCheck: 'statement' | 'endpoint';
  pageInTransactions: boolean;
  /**
   * The database serves one session at a time (the demo's embedded PostgreSQL), so the proxy
   * must not ask it anything beside a client's open transaction. Not a flag: set by the demo.
   */
  oneSessionDatabase?: boolean;
  /** Credentials given in code (the demo); the standard AWS chain otherwise. */
  credentials?: AwsCredentialIdentityProvider;
}

declare module '../config/types.js' {
  interface ModeSettings {
    'data-api': DataApiSettings;
  }
}
