// The dsql mode: `aurora-pg-proxy dsql`, in front of an Aurora DSQL cluster.
import type { ModeDescriptor } from '../modes/descriptor.js';
import { dsqlMetrics } from './metrics.js';
import { readUpstreamCa } from '../iam-relay/upstream-ca.js';
import { IamRelayBackend } from '../iam-relay/backend.js';
import { warmConnectionOptions } from '../iam-relay/warm-backend-options.js';
import { dsqlCommand, dsqlListenerFromFlags, type DsqlFlags } from './command.js';
import { DsqlBackend, type DsqlObserver } from './dsql-backend.js';
import './config.js';

export const dsqlMode: ModeDescriptor<'dsql', DsqlObserver> = {
  name: 'dsql',
  command: dsqlCommand,
  listenerFromFlags: (flags) => dsqlListenerFromFlags(flags as unknown as DsqlFlags),
  async createBackend(cfg, observer) {
    const d = cfg.settings;
    return new DsqlBackend(
      {
        target: {
          hostname: d.host,
          connectHost: d.connectTo?.host ?? d.host,
          connectPort: d.connectTo?.port ?? 5432,
          extraCa: await readUpstreamCa(cfg.name, 'dsql', d.upstreamCaFile),
          connectTimeoutMs: d.connectTimeoutSeconds * 1000,
          maxMessageBytes: cfg.maxMessageBytes,
        },
        region: d.region,
        profile: d.profile,
        credentials: d.credentials,
        tokenTtlSeconds: d.tokenTtlSeconds,
        lifetimeNoticeMinutes: d.lifetimeNoticeMinutes,
        pacing: { ratePerSecond: d.maxConnectRate, burst: d.connectBurst },
        warm: warmConnectionOptions(d),
        occRetries: d.occRetries,
        relayEngine: d.relayEngine,
        relayIo: d.relayIo,
      },
      observer,
    );
  },
  metrics: dsqlMetrics,
  tokenExpiry: (backend) => (backend instanceof IamRelayBackend ? () => backend.tokens.secondsUntilExpiry() : undefined),
};
