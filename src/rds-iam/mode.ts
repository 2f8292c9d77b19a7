// The rds-iam mode: `aurora-pg-proxy rds-iam`, in front of an Aurora PostgreSQL or RDS for
// PostgreSQL database with IAM database authentication.
import type { ModeDescriptor } from '../modes/descriptor.js';
import { iamRelayMetrics } from '../iam-relay/metrics.js';
import { readUpstreamCa } from '../iam-relay/upstream-ca.js';
import { IamRelayBackend } from '../iam-relay/backend.js';
import { warmConnectionOptions } from '../iam-relay/warm-backend-options.js';
import { rdsIamCommand, rdsIamListenerFromFlags, type RdsIamFlags } from './command.js';
import { RdsIamBackend, type RdsIamObserver } from './rds-iam-backend.js';
import './config.js';

export const rdsIamMode: ModeDescriptor<'rds-iam', RdsIamObserver> = {
  name: 'rds-iam',
  command: rdsIamCommand,
  listenerFromFlags: (flags) => rdsIamListenerFromFlags(flags as unknown as RdsIamFlags),
  async createBackend(cfg, observer) {
    const d = cfg.settings;
    return new RdsIamBackend(
      {
        target: {
          hostname: d.host,
          port: d.port,
          connectHost: d.connectTo?.host ?? d.host,
          connectPort: d.connectTo?.port ?? d.port,
          extraCa: await readUpstreamCa(cfg.name, 'rds-iam', d.upstreamCaFile),
          connectTimeoutMs: d.connectTimeoutSeconds * 1000,
          maxMessageBytes: cfg.maxMessageBytes,
        },
        region: d.region,
        profile: d.profile,
        credentials: d.credentials,
        pacing: { ratePerSecond: d.maxConnectRate, burst: d.connectBurst },
        warm: warmConnectionOptions(d),
        relayEngine: d.relayEngine,
        relayIo: d.relayIo,
      },
      observer,
    );
  },
  metrics: iamRelayMetrics,
  tokenExpiry: (backend) => (backend instanceof IamRelayBackend ? () => backend.tokens.secondsUntilExpiry() : undefined),
};
