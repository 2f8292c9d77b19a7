// The data-api mode: `aurora-pg-proxy data-api`, through the RDS Data API of an Aurora cluster.
import type { ModeDescriptor } from '../modes/descriptor.js';
import { DataApiBackend, type DataApiObserver } from './backend.js';
import { dataApiCommand, dataApiListenerFromFlags, type DataApiFlags } from './command.js';
import { dataApiMetrics } from './metrics.js';
import './config.js';

export const dataApiMode: ModeDescriptor<'data-api', DataApiObserver> = {
  name: 'data-api',
  command: dataApiCommand,
  listenerFromFlags: (flags) => dataApiListenerFromFlags(flags as unknown as DataApiFlags),
  async createBackend(cfg, observer) {
    const d = cfg.settings;
    return new DataApiBackend(
      {
        target: { resourceArn: d.resourceArn, secretArn: d.secretArn, database: d.database, region: d.region, endpoint: d.endpointUrl, profile: d.profile, credentials: d.credentials },
        maxMessageBytes: cfg.maxMessageBytes,
        readinessCheck: d.readinessCheck,
        pageInTransactions: d.pageInTransactions,
        oneSessionDatabase: d.oneSessionDatabase,
      },
      observer,
    );
  },
  metrics: dataApiMetrics,
};
