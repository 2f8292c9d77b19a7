// The settings of a dsql listener, after validation.
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
}

declare module '../config/types.js' {
  interface ModeSettings {
    dsql: DsqlSettings;
  }
}
