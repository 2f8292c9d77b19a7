// The schemas that hold a client session's own objects in Data API mode (temp tables, WITH HOLD
// cursors): every call outside a transaction may run on another database session, so what
// PostgreSQL keeps per connection lives in a real schema the proxy creates on first need and
// drops (CASCADE) when the client leaves.
//
// A proxy that crashes cannot drop its schemas, and several proxies may share one database, so a
// schema's owner proves it is alive: the schema's comment carries a heartbeat (database clock)
// that its proxy refreshes while the schema exists. Schemas whose heartbeat is older than
// STALE_AFTER_S are leftovers; the first session schema each proxy creates in a database first
// removes them.
import type { DataApiClient } from '../client/data-api-client.js';
import { quoteIdentifier, quoteLiteral } from '../sql/index.js';

/** Every session schema's name starts with this; nothing else should. */
export const SESSION_SCHEMA_PREFIX = 'aurora_pg_proxy_session_';
const COMMENT_PREFIX = 'aurora-pg-proxy session schema, alive at ';

export const HEARTBEAT_INTERVAL_MS = 5 * 60 * 1000;
/** Four missed heartbeats: the proxy that owned the schema is gone. */
export const STALE_AFTER_S = 20 * 60;

let serial = 0;

/** A fresh session schema name: prefix, time, process and a counter make it unique. */
export function newSessionSchemaName(): string {
  serial = (serial + 1) % 1_000_000;
  const random = Math.floor(Math.random() * 36 ** 4).toString(36);
  return `${SESSION_SCHEMA_PREFIX}${Date.now().toString(36)}_${process.pid.toString(36)}_${serial.toString(36)}${random}`;
}

/** A DO block statement (no `:name` inside, so the Data API's parameter scanner leaves it be). */
function heartbeatSql(names: string[]): string {
  const lines = names.map(
    (n) =>
      `  EXECUTE format('COMMENT ON SCHEMA %I IS %L', ${quoteLiteral(n)}, ${quoteLiteral(COMMENT_PREFIX)} || floor(extract(epoch FROM now()))::bigint);`,
  );
  return `DO $aurora_pg_proxy$\nBEGIN\n${lines.join('\n')}\nEND\n$aurora_pg_proxy$`;
}

/** Drops the session schemas whose heartbeat is older than `staleAfterS` (one statement). */
export function sweepSql(staleAfterS = STALE_AFTER_S): string {
  const like = quoteLiteral(SESSION_SCHEMA_PREFIX.replace(/_/g, '\\_') + '%');
  return `DO $aurora_pg_proxy$
DECLARE s record;
BEGIN
  FOR s IN SELECT n.nspname FROM pg_namespace n
      WHERE n.nspname LIKE ${like}
        AND coalesce(substring(obj_description(n.oid, 'pg_namespace') FROM '([0-9]+)$')::bigint, 0)
            < floor(extract(epoch FROM now()))::bigint - ${staleAfterS}
  LOOP
    BEGIN
      EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', s.nspname);
    EXCEPTION WHEN OTHERS THEN
      NULL; -- another role's schema, or dropped meanwhile: leave it to its owner
    END;
  END LOOP;
END
$aurora_pg_proxy$`;
}

/** The session schemas of one database served by this proxy: creation, heartbeat, sweeping. */
export class SessionSchemas {
  private readonly live = new Set<string>();
  private swept: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: DataApiClient,
    private readonly heartbeatMs = HEARTBEAT_INTERVAL_MS,
  ) {}

  /**
   * Creates the schema inside the client's open transaction (`inTransaction`): a call outside it
   * could wait for a lock that transaction holds, or, on a single-connection database such as
   * the demo's, for the transaction itself. The schema then lives or dies with that transaction,
   * as PostgreSQL's own temp objects would; `forget` is for a rollback.
   */
  async createInTransaction(name: string, inTransaction: (sql: string) => Promise<unknown>): Promise<void> {
    await inTransaction(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(name)}`);
    this.live.add(name);
    await inTransaction(heartbeatSql([name]));
    this.armHeartbeat();
  }

  /** The schema went with a rolled-back transaction: nothing to drop, nothing to keep alive. */
  forget(name: string): void {
    this.live.delete(name);
    if (this.live.size === 0) this.stopHeartbeat();
  }

  /** Creates the schema (outside any transaction, so a rollback of the client's keeps it). */
  async create(name: string, onResuming?: () => void): Promise<void> {
    this.swept ??= this.client.execute({ sql: sweepSql() }, onResuming).then(
      () => undefined,
      () => undefined, // best effort: a role that may not read or drop others' schemas still works
    );
    await this.swept;
    await this.client.execute({ sql: `CREATE SCHEMA ${quoteIdentifier(name)}` }, onResuming);
    this.live.add(name);
    await this.client.execute({ sql: heartbeatSql([name]) }, onResuming).catch(() => undefined);
    this.armHeartbeat();
  }

  /** Drops the schema and everything in it; never fails loudly (the sweep removes it later). */
  async drop(name: string): Promise<void> {
    this.live.delete(name);
    if (this.live.size === 0) this.stopHeartbeat();
    await this.client.execute({ sql: `DROP SCHEMA IF EXISTS ${quoteIdentifier(name)} CASCADE` }).catch(() => undefined);
  }

  get liveCount(): number {
    return this.live.size;
  }

  close(): void {
    this.stopHeartbeat();
  }

  private armHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      if (this.live.size === 0) return this.stopHeartbeat();
      void this.client.execute({ sql: heartbeatSql([...this.live]) }).catch(() => undefined);
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
