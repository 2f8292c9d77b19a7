// RowDescription's table OID and column number for columns that come straight from a table, as
// PostgreSQL sends them (pgJDBC's isNullable, getTableName and isAutoIncrement read the catalogue
// by them). The Data API's columnMetadata names the column's table (`tableName`, from pgJDBC's
// getTableName) but not its schema or OID, and `name` is the column's label. So the proxy reads
// the catalogue for the tables it sees named - one query per set of new names, cached per
// database - and attributes a column to a table column only when that is unambiguous: the label
// is a column of exactly one table of that name (preferring the one visible in the search path)
// with the same type. An aliased column (`SELECT id AS key FROM t`) keeps 0, as the proxy cannot
// tell which column it was.
import type { ColumnMetadata, ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';
import { quoteLiteral } from '../sql/index.js';
import { SESSION_SCHEMA_PREFIX } from './session-schema.js';

/** Column metadata with the RowDescription fields the proxy resolved. */
export type SourcedColumn = ColumnMetadata & { tableOid?: number; columnNumber?: number };

interface TableColumn {
  tableOid: number;
  visible: boolean;
  /** A schema the proxy made for one client session (temp objects). */
  sessionSchema: string | null;
  /** In pg_catalog or information_schema: no client DDL changes it. */
  system: boolean;
  attnum: number;
  typname: string;
}

/** Per table name: column name -> where it is. */
type TableEntry = { at: number; columns: Map<string, TableColumn[]> };

/** The catalogue may change behind the proxy's back: re-read after this long. */
const ENTRY_TTL_MS = 5 * 60 * 1000;
const MAX_TABLES = 5000;

const SERIAL_TYPES: Record<string, string> = { serial: 'int4', bigserial: 'int8', smallserial: 'int2' };

export class TableColumns {
  private readonly tables = new Map<string, TableEntry>();

  constructor(private readonly ttlMs = ENTRY_TTL_MS) {}

  /** DDL ran: OIDs and column numbers of the client's tables may have changed (not the catalogue's). */
  invalidate(): void {
    for (const [name, entry] of this.tables) {
      const all = [...entry.columns.values()].flat();
      if (all.length === 0 || all.some((c) => !c.system)) this.tables.delete(name);
    }
  }

  /**
   * The columns with tableOid/columnNumber set where they can be resolved. `ownSchema` is the
   * client session's schema (its temp tables come first there, as pg_temp does).
   */
  async resolve(
    execute: (sql: string) => Promise<ExecuteStatementCommandOutput>,
    columns: ColumnMetadata[],
    /** The client session's schema and temp names; whether the read runs in its transaction. */
    own: { schema: string | null; tempNames: ReadonlySet<string>; inTransaction: boolean },
  ): Promise<SourcedColumn[]> {
    const ownSchema = own.schema;
    const now = Date.now();
    const wanted = new Set(columns.map((c) => c.tableName).filter((t): t is string => !!t));
    if (wanted.size === 0) return columns;
    const missing = [...wanted].filter((t) => {
      const e = this.tables.get(t);
      // The session's own temp table may be newer than what was read for that name.
      return !e || now - e.at > this.ttlMs || own.tempNames.has(t);
    });
    if (missing.length > 0) {
      const read = await this.read(execute, missing).catch(() => null);
      if (read === null) return columns; // RowDescription still works without them, as before
      for (const t of missing) {
        const found = read.get(t);
        // A table missing inside a transaction may be one it is creating: ask again next time.
        if (found || !own.inTransaction) this.store(t, { at: now, columns: found ?? new Map() });
        else this.tables.delete(t);
      }
    }
    return columns.map((c) => {
      const found = c.tableName ? this.find(c, ownSchema) : null;
      return found ? { ...c, tableOid: found.tableOid, columnNumber: found.attnum } : c;
    });
  }

  private find(c: ColumnMetadata, ownSchema: string | null): TableColumn | null {
    const entry = this.tables.get(c.tableName!);
    const name = c.label ?? c.name;
    if (!entry || name === undefined) return null;
    const type = c.typeName ? (SERIAL_TYPES[c.typeName] ?? c.typeName) : undefined;
    const matches = (entry.columns.get(name) ?? []).filter(
      (m) => (m.sessionSchema === null || m.sessionSchema === ownSchema) && (type === undefined || m.typname === type),
    );
    const own = matches.filter((m) => m.sessionSchema !== null);
    if (own.length === 1) return own[0]!;
    if (matches.length === 1) return matches[0]!;
    const visible = matches.filter((m) => m.visible);
    return visible.length === 1 ? visible[0]! : null;
  }

  private store(table: string, entry: TableEntry): void {
    this.tables.delete(table);
    this.tables.set(table, entry);
    if (this.tables.size > MAX_TABLES) this.tables.delete(this.tables.keys().next().value!);
  }

  private async read(execute: (sql: string) => Promise<ExecuteStatementCommandOutput>, tables: string[]): Promise<Map<string, Map<string, TableColumn[]>>> {
    const prefix = quoteLiteral(SESSION_SCHEMA_PREFIX.replace(/_/g, '\\_') + '%');
    const out = await execute(`SELECT c.relname::text, c.oid::int8, pg_table_is_visible(c.oid), CASE WHEN n.nspname LIKE ${prefix} THEN n.nspname::text END, a.attname::text, a.attnum::int4, t.typname::text, n.nspname IN ('pg_catalog', 'information_schema')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p') AND c.relname IN (${tables.map(quoteLiteral).join(', ')})`);
    const byTable = new Map<string, Map<string, TableColumn[]>>();
    for (const r of out.records ?? []) {
      const table = r[0]?.stringValue ?? '';
      const column = r[4]?.stringValue ?? '';
      let columns = byTable.get(table);
      if (!columns) byTable.set(table, (columns = new Map()));
      const list = columns.get(column) ?? [];
      list.push({
        tableOid: Number(r[1]?.longValue ?? r[1]?.stringValue ?? 0),
        visible: r[2]?.booleanValue === true,
        sessionSchema: r[3]?.isNull ? null : (r[3]?.stringValue ?? null),
        attnum: Number(r[5]?.longValue ?? r[5]?.stringValue ?? 0), // longs come as strings (longReturnType STRING)
        typname: r[6]?.stringValue ?? '',
        system: r[7]?.booleanValue === true,
      });
      columns.set(column, list);
    }
    return byTable;
  }
}
