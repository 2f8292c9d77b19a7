// PostgreSQL connections: one pool per database. A call outside a transaction borrows a
// connection and hands it back reset (ROLLBACK if needed, DISCARD ALL), so that, as on the
// service, a bare SET or a temporary table does not outlive its call. Sessions run in UTC, the
// service's session time zone.

import pg from 'pg';
import { ApiError, databaseError, databaseUnavailable, formatServerError, isServerError } from './errors.js';
import type { EmulatorLogger } from './options.js';
import { TypeCatalog } from './type-catalog.js';

/** Connects after makeRoomFor closed a connection: tries within about half a second. */
const ROOM_RETRIES = 25;
const ROOM_RETRY_MS = 20;

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
    /** Connections in all, across databases (EmulatorOptions.maxConnections). */
    private readonly maxConnections?: number,
  ) {
    const url = new URL(postgresUrl);
    this.defaultDatabase = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
  }

  async acquire(database?: string): Promise<Session> {
    const db = database || this.defaultDatabase;
    const madeRoom = await this.makeRoomFor(db);
    for (let attempt = 1; ; attempt++) {
      try {
        return this.wrap(await this.pool(db).connect(), db);
      } catch (err) {
        // A server frees a closed connection's place only once it has seen the close: a connect
        // right after makeRoomFor may still find it taken (PGlite's socket server does).
        if (!madeRoom || attempt >= ROOM_RETRIES || isServerError(err)) throw connectError(err);
        await new Promise((resolve) => setTimeout(resolve, ROOM_RETRY_MS));
      }
    }
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

  /**
   * At maxConnections, closes the pools of other databases whose connections are all idle, until
   * one more connection fits; a database whose own pool has an idle connection needs no room.
   * Whether it closed any.
   */
  private async makeRoomFor(database: string): Promise<boolean> {
    if (this.maxConnections === undefined || (this.pools.get(database)?.idleCount ?? 0) > 0) return false;
    const total = () => [...this.pools.values()].reduce((n, p) => n + p.totalCount, 0);
    let closed = false;
    for (const [name, pool] of this.pools) {
      if (total() < this.maxConnections) break;
      if (name === database || pool.totalCount === 0 || pool.idleCount < pool.totalCount || pool.waitingCount > 0) continue;
      this.pools.delete(name); // before the wait: a concurrent call must not end it twice
      await pool.end().catch(() => undefined);
      closed = true;
    }
    return closed;
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
