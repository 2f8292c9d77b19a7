// PostgreSQL connections: one pool per database. A call outside a transaction borrows a
// connection and hands it back reset (ROLLBACK if needed, DISCARD ALL), so that, as on the
// service, a bare SET or a temporary table does not outlive its call. Sessions run in UTC, the
// service's session time zone.

import pg from 'pg';
import { ApiError, databaseError, databaseUnavailable, formatServerError, isServerError } from './errors.js';
import type { EmulatorLogger } from './options.js';
import { TypeCatalog } from './type-catalog.js';

/** Every value arrives as PostgreSQL's text, so nothing loses precision on the way. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

export interface Session {
  readonly client: pg.PoolClient;
  readonly catalog: TypeCatalog;
  readonly database: string;
  /** Backend process id: the service's dbConnectionId. */
  readonly pid: number;
  /** The connection failed (socket closed, FATAL error) and must not be reused. */
  broken: boolean;
  /**
   * Settles when nothing more can happen on the connection: cancel requests delivered and
   * abandoned statements ended. The connection is reused only after it.
   */
  drained: Promise<void>;
  /** A cancel was asked for (timeout or oversize); work in several steps stops at the next one. */
  cancelRequested: boolean;
  cancel(): void;
}

export class ConnectionManager {
  readonly defaultDatabase: string;
  private readonly pools = new Map<string, pg.Pool>();
  private readonly catalogs = new Map<string, TypeCatalog>();
  private readonly detachListeners = new WeakMap<pg.PoolClient, () => void>();

  constructor(
    private readonly postgresUrl: string,
    private readonly poolSize: number,
    private readonly logger?: EmulatorLogger,
  ) {
    const url = new URL(postgresUrl);
    this.defaultDatabase = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
  }

  async acquire(database?: string): Promise<Session> {
    const db = database || this.defaultDatabase;
    let client: pg.PoolClient;
    try {
      client = await this.pool(db).connect();
    } catch (err) {
      throw connectError(err);
    }
    return this.wrap(client, db);
  }

  /** Hands a connection back to its pool, clean, or drops it when it is broken. */
  async release(session: Session): Promise<void> {
    const { client } = session;
    let failure: Error | undefined;
    try {
      await session.drained;
      if (session.broken) throw new Error('connection broken');
      if (client.getTransactionStatus() !== 'I') await client.query('ROLLBACK');
      await client.query('DISCARD ALL');
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    this.detachListeners.get(client)?.();
    client.release(failure);
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  }

  private wrap(client: pg.PoolClient, database: string): Session {
    const manager = this;
    const session: Session = {
      client,
      database,
      catalog: this.catalog(database),
      pid: (client as unknown as { processID: number }).processID,
      broken: false,
      drained: Promise.resolve(),
      cancelRequested: false,
      cancel() {
        session.cancelRequested = true;
        session.drained = session.drained.then(() => manager.cancelBackend(session.pid));
      },
    };
    const onError = (err: Error) => {
      session.broken = true;
      this.logger?.warn({ err: err.message, database }, 'PostgreSQL connection failed');
    };
    const onEnd = () => (session.broken = true);
    client.on('error', onError);
    client.on('end', onEnd);
    this.detachListeners.set(client, () => {
      client.removeListener('error', onError);
      client.removeListener('end', onEnd);
    });
    return session;
  }

  /** Cancels whatever the backend is running; a backend that is idle by then ignores it. */
  private async cancelBackend(pid: number): Promise<void> {
    const client = new pg.Client(this.config(this.defaultDatabase));
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT pg_catalog.pg_cancel_backend($1)', [pid]);
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message, pid }, 'could not cancel a statement');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private pool(database: string): pg.Pool {
    let pool = this.pools.get(database);
    if (!pool) {
      pool = new pg.Pool({ ...this.config(database), max: this.poolSize, idleTimeoutMillis: 30_000 });
      pool.on('error', (err) => this.logger?.warn({ err: err.message, database }, 'idle PostgreSQL connection failed'));
      this.pools.set(database, pool);
    }
    return pool;
  }

  private catalog(database: string): TypeCatalog {
    let catalog = this.catalogs.get(database);
    if (!catalog) {
      catalog = new TypeCatalog();
      this.catalogs.set(database, catalog);
    }
    return catalog;
  }

  private config(database: string): pg.ClientConfig {
    const url = new URL(this.postgresUrl);
    url.pathname = '/' + encodeURIComponent(database);
    return {
      connectionString: url.toString(),
      types: RAW_TEXT,
      options: '-c TimeZone=UTC',
      application_name: 'rds-data-emulator',
    };
  }
}

function connectError(err: unknown): ApiError {
  // A missing database is PostgreSQL's FATAL 3D000 at login, reported like any database error.
  if (isServerError(err)) return databaseError(formatServerError(err));
  return databaseUnavailable(`The database is not available: ${(err as Error)?.message ?? String(err)}`);
}
