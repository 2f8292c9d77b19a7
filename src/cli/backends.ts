// Builds the backend a listener's mode calls for. A new mode adds one case here.
import { readFile } from 'node:fs/promises';
import type { ListenerConfig } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import { DsqlBackend, type DsqlObserver } from '../dsql/backend.js';
import { DataApiBackend, type DataApiObserver } from '../dataapi/backend.js';
import type { Backend } from '../server/types.js';

/** Everything a backend may report; the metrics object of the listener implements all of it. */
export type BackendObserver = DsqlObserver & DataApiObserver;

export async function createBackend(cfg: ListenerConfig, observer: BackendObserver = {}): Promise<Backend> {
  switch (cfg.mode) {
    case 'dsql': {
      const d = cfg.dsql;
      let extraCa: string | undefined;
      if (d.upstreamCaFile) {
        extraCa = await readFile(d.upstreamCaFile, 'utf8').catch((e: Error) => {
          throw new ConfigError(`listeners.${cfg.name}.dsql.upstreamCa`, `cannot read ${d.upstreamCaFile}: ${e.message}`);
        });
      }
      return new DsqlBackend({
        target: {
          hostname: d.host,
          connectHost: d.connectTo?.host ?? d.host,
          connectPort: d.connectTo?.port ?? 5432,
          extraCa,
          connectTimeoutMs: d.connectTimeoutSeconds * 1000,
          maxMessageBytes: cfg.maxMessageBytes,
        },
        region: d.region,
        profile: d.profile,
        tokenTtlSeconds: d.tokenTtlSeconds,
        lifetimeNoticeMinutes: d.lifetimeNoticeMinutes,
      }, observer);
    }
    case 'data-api': {
      const d = cfg.dataApi;
      return new DataApiBackend(
        {
          target: { resourceArn: d.resourceArn, secretArn: d.secretArn, database: d.database, region: d.region, endpoint: d.endpointUrl, profile: d.profile, credentials: d.credentials },
          maxMessageBytes: cfg.maxMessageBytes,
          readinessCheck: d.readinessCheck,
          pageInTransactions: d.pageInTransactions,
        },
        observer,
      );
    }
  }
}
