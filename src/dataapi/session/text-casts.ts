// The Data API refuses results with some column types (interval, "char", xml, money, reg*,
// geometric, multidimensional arrays...) with UnsupportedResultException, and psql's own
// catalogue queries (\d, \l) return several of them. PostgreSQL's text output of such a value
// is exactly what the client would have received in text format, so the statement is run again
// with those columns cast to text, and the RowDescription keeps their real types.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import type { RenderedStatement } from './render.js';
import type { Transaction } from './transaction.js';

/** Types the Data API returns as they are (reference/data-api.md, "v2 supported"). */
const SUPPORTED = new Set([
  'bool', 'bytea', 'date', 'numeric', 'decimal', 'float4', 'float8', 'int2', 'int4', 'int8', 'serial', 'bigserial',
  'smallserial', 'json', 'jsonb', 'text', 'varchar', 'bpchar', 'name', 'time', 'timestamp', 'timestamptz',
  'uuid', 'oid', 'inet', 'cidr', 'vector',
]);

/**
 * Element types of the arrays the Data API documents as returned (reference/data-api.md, "v2
 * supported arrays"); an array of anything else (inet[], an enum's array...) may be refused as a
 * whole. Casting one more column than needed costs nothing: its text is what PostgreSQL prints.
 */
// "BOOL[]/BIT[]" there means JDBC's BIT, that is bool: a bit(n)[] column is refused (the
// emulator does so too), so it is fetched as text.
const SUPPORTED_ARRAY_ELEMENTS = new Set([
  'bool', 'date', 'numeric', 'decimal', 'float4', 'float8', 'int2', 'int4', 'int8', 'json', 'text',
  'varchar', 'bpchar', 'name', 'time', 'timestamp', 'uuid',
]);

export interface CastPlan {
  /** Column metadata as the statement itself describes it. */
  columns: ColumnMetadata[];
  /** Indexes of the columns to fetch as text. */
  castToText: number[];
}

const WRAP = 'aurora_pg_proxy_q';

/** Types whose `infinity` values make the Data API fail with a bare InternalFailure. */
const DATETIMES = new Set(['date', 'timestamp', 'timestamptz']);

/** Learns the statement's columns from a zero-row run and decides which to fetch as text. */
export async function planTextCasts(
  tx: Transaction,
  rendered: RenderedStatement,
  multidimensional: boolean,
  onResuming: () => void,
  /** Also fetch date and timestamp columns as text (after an InternalFailure). */
  datetimes = false,
): Promise<CastPlan> {
  // The newline ends a `--` comment the statement may end with.
  const out = await tx.execute({ sql: `SELECT * FROM (${rendered.sql}\n) AS ${WRAP} LIMIT 0`, parameters: rendered.parameters }, onResuming);
  const columns = out.columnMetadata ?? [];
  return { columns, castToText: columnsToCast(columns, multidimensional, datetimes) };
}

/** Indexes of the columns to fetch as text: those of types the Data API may refuse. */
export function columnsToCast(columns: ColumnMetadata[], multidimensional = false, datetimes = false): number[] {
  const castToText: number[] = [];
  columns.forEach((c, i) => {
    const name = (c.typeName ?? '').toLowerCase();
    const isArray = name.startsWith('_');
    const base = isArray ? name.slice(1) : name;
    const known = isArray ? SUPPORTED_ARRAY_ELEMENTS.has(base) : SUPPORTED.has(base) || c.type === 12; // 12: enums and other text-like types
    if (!known || (isArray && multidimensional) || (datetimes && DATETIMES.has(base))) castToText.push(i);
  });
  return castToText;
}

/** The statement with the planned columns cast to text, under positional aliases. */
export function castStatement(rendered: RenderedStatement, plan: CastPlan): RenderedStatement {
  const aliases = plan.columns.map((_, i) => `c${i + 1}`);
  const cast = new Set(plan.castToText);
  // A timestamptz read as text comes as UTC wall time, as the Data API sends one, so that it is
  // shown in the client's TimeZone like any other (`::text` would print the database session's).
  const asText = (a: string, i: number) =>
    plan.columns[i]?.typeName?.toLowerCase() === 'timestamptz' ? `(${a} AT TIME ZONE 'UTC')::text` : `${a}::text`;
  const list = aliases.map((a, i) => (cast.has(i) ? asText(a, i) : a)).join(', ');
  return {
    sql: `SELECT ${list} FROM (${rendered.sql}\n) AS ${WRAP}(${aliases.join(', ')})`,
    parameters: rendered.parameters,
    originalOffset: () => 0,
  };
}
