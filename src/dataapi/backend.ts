// The Data API mode: no database connection is held; each client gets a session that turns its
// messages into Data API calls. Facts about the server (version, role) are read once, with the
// first client, and shared.
import type { Backend, ClientSession } from '../server/types.js';
import { DataApiClient, type DataApiCallObserver, type DataApiTarget } from './client/data-api-client.js';
import { DescribeCache } from './session/describe.js';
import { DataApiError } from './client/service-errors.js';
import { ClientFacingError } from '../protocol/client-error.js';
import { SqlState } from '../protocol/sqlstate.js';
import { DataApiSession, type DataApiSessionObserver } from './session/session.js';
import type { ServerFacts } from './session/settings.js';
import { DatabaseObjects } from './session/session-objects.js';

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
  /** Read every SELECT inside a client's transaction through a cursor (one or two calls more). */
  pageInTransactions?: boolean;
  /** See DataApiSettings.oneSessionDatabase. */
  oneSessionDatabase?: boolean;
}

/** A well-formed transaction id that no transaction has: the `endpoint` readiness probe. */
const PROBE_TRANSACTION_ID = 'aurora-pg-proxy-readiness-probe';

/** Facts are re-read after this long, so a major-version upgrade shows up without a restart. */
const FACTS_TTL_MS = 10 * 60 * 1000;

export class DataApiBackend implements Backend {
  readonly mode = 'data-api';
  readonly client: DataApiClient;
  /** Per database: what the server told us, and the statements described there. */
  private readonly databases = new Map<string, { facts: ServerFacts; at: number; describeCache: DescribeCache; objects: DatabaseObjects }>();
  private readonly factsInflight = new Map<string, Promise<ServerFacts>>();

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
    const database = this.databaseFor(session);
    const client = this.client.withDatabase(database).withObserver({
      dataApiTransportFailure: (operation, failure, retried) => {
        session.log.warn({ operation, code: failure.code, delivery: failure.delivery, retried }, 'connection to the Data API failed');
        if (!retried) session.counters.upstreamFailures = (session.counters.upstreamFailures ?? 0) + 1;
      },
    });
    // Also checks, as PostgreSQL does at connect, that the database exists.
    const facts = await this.serverFacts(client);
    const s = new DataApiSession(session, {
      client,
      facts,
      describeCache: this.databases.get(database ?? '')!.describeCache,
      databaseObjects: this.databases.get(database ?? '')!.objects,
      observer: this.observer,
      maxMessageBytes: this.opts.maxMessageBytes,
      pageInTransactions: this.opts.pageInTransactions,
      oneSessionDatabase: this.opts.oneSessionDatabase,
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
    for (const d of this.databases.values()) d.objects.schemas.close();
    this.client.destroy();
    this.probe.destroy();
  }

  /**
   * The database a session runs in: the one the client asked for, unless the listener is fixed
   * to one with --database, in which case asking for another is refused (as PostgreSQL refuses
   * a database that does not exist) rather than silently served from the wrong one.
   */
  private databaseFor(session: ClientSession): string | undefined {
    const asked = session.parameters.database;
    const fixed = this.opts.target.database;
    if (fixed === undefined) return asked;
    if (asked !== undefined && asked !== fixed) {
      throw new ClientFacingError(SqlState.INVALID_CATALOG_NAME, `database "${asked}" is not served by this listener`, {
        hint: `aurora-pg-proxy serves database "${fixed}" here (--database); connect with dbname=${fixed}, or start the proxy without --database to use the one the client names.`,
      });
    }
    return fixed;
  }

  private async serverFacts(client: DataApiClient): Promise<ServerFacts> {
    const key = client.target.database ?? '';
    const known = this.databases.get(key);
    if (known && Date.now() - known.at < FACTS_TTL_MS) return known.facts;
    let pending = this.factsInflight.get(key);
    if (!pending) {
      pending = (async () => {
        const out = await client.execute({
          sql: "SELECT current_setting('server_version'), current_setting('server_version_num'), current_setting('is_superuser'), session_user",
        });
        const r = out.records?.[0] ?? [];
        const facts: ServerFacts = {
          serverVersion: r[0]?.stringValue ?? '15.0',
          serverVersionNum: r[1]?.stringValue ?? '150000',
          isSuperuser: r[2]?.stringValue ?? 'off',
          sessionAuthorization: r[3]?.stringValue ?? '',
        };
        this.databases.set(key, {
          facts,
          at: Date.now(),
          describeCache: known?.describeCache ?? new DescribeCache(),
          objects: known?.objects ?? new DatabaseObjects(client),
        });
        return facts;
      })().finally(() => this.factsInflight.delete(key));
      this.factsInflight.set(key, pending);
    }
    return pending;
  }
}
