// The Data API mode: no database connection is held; each client gets a session that turns its
// messages into Data API calls. Facts about the server (version, role) are read once, with the
// first client, and shared.
import type { Backend, ClientSession } from '../server/types.js';
import { DataApiClient, type DataApiCallObserver, type DataApiTarget } from './client/data-api-client.js';
import { DescribeCache } from './session/describe.js';
import { DataApiError } from './client/service-errors.js';
import { DataApiSession, type DataApiSessionObserver } from './session/session.js';
import type { ServerFacts } from './session/settings.js';

export type DataApiObserver = DataApiCallObserver & DataApiSessionObserver;

export interface DataApiBackendOptions {
  target: DataApiTarget;
  maxMessageBytes: number;
  /**
   * How readiness is checked: `statement` runs SELECT 1; `endpoint` only reaches the service
   * (rolling back a transaction that does not exist), so that probes never wake a cluster that
   * pauses when idle.
   */
  readinessCheck?: 'statement' | 'endpoint';
}

/** A well-formed transaction id that no transaction has: the `endpoint` readiness probe. */
const PROBE_TRANSACTION_ID = 'aurora-pg-proxy-readiness-probe';

/** Facts are re-read after this long, so a major-version upgrade shows up without a restart. */
const FACTS_TTL_MS = 10 * 60 * 1000;

export class DataApiBackend implements Backend {
  readonly mode = 'data-api';
  readonly client: DataApiClient;
  private readonly describeCache = new DescribeCache();
  private facts: { value: ServerFacts; at: number } | null = null;
  private factsInflight: Promise<ServerFacts> | null = null;

  constructor(
    private readonly opts: DataApiBackendOptions,
    private readonly observer: DataApiObserver = {},
  ) {
    this.client = new DataApiClient(opts.target, observer);
    // Probes must answer within the readiness timeout: no waiting for a resuming cluster.
    this.probe = new DataApiClient(opts.target, {}, { resumeWaitMs: 0, throttleAttempts: 1, baseDelayMs: 0 });
  }

  private readonly probe: DataApiClient;

  async serve(session: ClientSession): Promise<void> {
    const facts = await this.serverFacts();
    const s = new DataApiSession(session, {
      client: this.client,
      facts,
      describeCache: this.describeCache,
      observer: this.observer,
      maxMessageBytes: this.opts.maxMessageBytes,
    });
    await s.run();
  }

  async checkReady(): Promise<void> {
    try {
      if (this.opts.readinessCheck === 'endpoint') await this.probe.rollback(PROBE_TRANSACTION_ID);
      else await this.probe.execute({ sql: 'SELECT 1' });
    } catch (err) {
      // The service answered, the credentials and permissions hold: that is ready. A cluster
      // that is resuming answers statements once awake.
      const outcome = err instanceof DataApiError ? err.outcome : '';
      if (outcome === 'transaction_not_found' || outcome === 'resuming') return;
      throw err;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    this.probe.destroy();
  }

  private async serverFacts(): Promise<ServerFacts> {
    if (this.facts && Date.now() - this.facts.at < FACTS_TTL_MS) return this.facts.value;
    this.factsInflight ??= (async () => {
      const out = await this.client.execute({
        sql: "SELECT current_setting('server_version'), current_setting('server_version_num'), current_setting('is_superuser'), session_user",
      });
      const r = out.records?.[0] ?? [];
      const value: ServerFacts = {
        serverVersion: r[0]?.stringValue ?? '15.0',
        serverVersionNum: r[1]?.stringValue ?? '150000',
        isSuperuser: r[2]?.stringValue ?? 'off',
        sessionAuthorization: r[3]?.stringValue ?? '',
      };
      this.facts = { value, at: Date.now() };
      return value;
    })().finally(() => (this.factsInflight = null));
    return this.factsInflight;
  }
}
