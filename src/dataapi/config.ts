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
  /** Credentials given in code (the demo); the standard AWS chain otherwise. */
  credentials?: AwsCredentialIdentityProvider;
}

declare module '../config/types.js' {
  interface ModeSettings {
    'data-api': DataApiSettings;
  }
}
