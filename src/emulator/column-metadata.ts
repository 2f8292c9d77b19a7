// columnMetadata as the service reports it. The service reads it from pgJDBC's
// ResultSetMetaData, so every field follows pgJDBC (PgResultSetMetaData, TypeInfoCache):
// `name` is the label, `schemaName` is always "", `tableName` the base table, a column with a
// nextval() default or an identity is auto-increment and then named serial/bigserial/smallserial,
// `nullable` is 0/1 for table columns and 2 (unknown) for computed ones.

import type pg from 'pg';
import type { TypeCatalog, PgType } from './type-catalog.js';

export interface ResultField {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeModifier: number;
}

export interface ColumnMetadata {
  name: string;
  type: number;
  typeName: string;
  label: string;
  schemaName: string;
  tableName: string;
  isAutoIncrement: boolean;
  isSigned: boolean;
  isCurrency: boolean;
  isCaseSensitive: boolean;
  nullable: number;
  precision: number;
  scale: number;
  arrayBaseColumnType: number;
}

const COLUMN_NO_NULLS = 0;
const COLUMN_NULLABLE = 1;
const COLUMN_NULLABLE_UNKNOWN = 2;
const UNKNOWN_LENGTH = 2147483647;

const Oid = {
  INT2: 21,
  INT4: 23,
  OID: 26,
  INT8: 20,
  MONEY: 790,
  NUMERIC: 1700,
  FLOAT4: 700,
  FLOAT8: 701,
  CHAR: 18,
  BPCHAR: 1042,
  VARCHAR: 1043,
  TEXT: 25,
  NAME: 19,
  BYTEA: 17,
  BOOL: 16,
  BIT: 1560,
  VARBIT: 1562,
  DATE: 1082,
  TIME: 1083,
  TIMETZ: 1266,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  INTERVAL: 1186,
  REFCURSOR: 1790,
  JSON: 114,
  POINT: 600,
} as const;

/** pgJDBC's core types: name -> java.sql.Types; their arrays are Types.ARRAY (2003). */
const CORE_SQL_TYPES: Record<string, number> = {
  int2: 5,
  int4: 4,
  oid: -5,
  int8: -5,
  money: 8,
  numeric: 2,
  float4: 7,
  float8: 8,
  char: 1,
  bpchar: 1,
  varchar: 12,
  text: 12,
  name: 12,
  bytea: -2,
  bool: -7,
  bit: -7,
  date: 91,
  time: 92,
  timetz: 92,
  timestamp: 93,
  timestamptz: 93,
  refcursor: 2012,
  json: 1111,
  point: 1111,
};
const TYPES_ARRAY = 2003;
const TYPES_OTHER = 1111;

/** Core array OID -> element OID; pgJDBC sizes such arrays like their element. */
const CORE_ARRAY_ELEMENT: Record<number, number> = {
  1005: Oid.INT2,
  1007: Oid.INT4,
  1028: Oid.OID,
  1016: Oid.INT8,
  791: Oid.MONEY,
  1231: Oid.NUMERIC,
  1021: Oid.FLOAT4,
  1022: Oid.FLOAT8,
  1002: Oid.CHAR,
  1014: Oid.BPCHAR,
  1015: Oid.VARCHAR,
  1009: Oid.TEXT,
  1003: Oid.NAME,
  1001: Oid.BYTEA,
  1000: Oid.BOOL,
  1561: Oid.BIT,
  1182: Oid.DATE,
  1183: Oid.TIME,
  1270: Oid.TIMETZ,
  1115: Oid.TIMESTAMP,
  1185: Oid.TIMESTAMPTZ,
  2201: Oid.REFCURSOR,
  199: Oid.JSON,
  1017: Oid.POINT,
};

interface TableColumn {
  tableName: string;
  notNull: boolean;
  autoIncrement: boolean;
}

export async function loadColumnMetadata(
  client: pg.ClientBase,
  catalog: TypeCatalog,
  fields: ResultField[],
): Promise<ColumnMetadata[]> {
  const columns = await loadTableColumns(client, fields);
  return fields.map((f) => {
    const type = catalog.get(f.dataTypeID);
    const column = f.tableID !== 0 ? columns.get(key(f.tableID, f.columnID)) : undefined;
    const autoIncrement = column?.autoIncrement ?? false;
    const pgTypeName = type?.typname ?? 'unknown';
    return {
      name: f.name,
      type: sqlType(type),
      typeName: autoIncrement ? serialName(pgTypeName) : pgTypeName,
      label: f.name,
      schemaName: '',
      tableName: column?.tableName ?? '',
      isAutoIncrement: autoIncrement,
      isSigned: isSigned(f.dataTypeID),
      isCurrency: pgTypeName === 'money' || pgTypeName === 'cash',
      isCaseSensitive: isCaseSensitive(f.dataTypeID),
      nullable: column ? (column.notNull ? COLUMN_NO_NULLS : COLUMN_NULLABLE) : COLUMN_NULLABLE_UNKNOWN,
      precision: precision(f.dataTypeID, f.dataTypeModifier),
      scale: scale(f.dataTypeID, f.dataTypeModifier),
      arrayBaseColumnType: 0,
    };
  });
}

function key(table: number, column: number): string {
  return `${table}/${column}`;
}

async function loadTableColumns(client: pg.ClientBase, fields: ResultField[]): Promise<Map<string, TableColumn>> {
  const wanted = fields.filter((f) => f.tableID !== 0 && f.columnID > 0);
  const out = new Map<string, TableColumn>();
  if (wanted.length === 0) return out;
  const pairs = wanted.map((f) => `(${Math.trunc(f.tableID)}::pg_catalog.oid, ${Math.trunc(f.columnID)}::pg_catalog.int2)`);
  const result = await client.query<Record<string, string>>(
    `SELECT a.attrelid::pg_catalog.int8 AS relid, a.attnum::pg_catalog.int4 AS attnum, c.relname::pg_catalog.text AS relname,
            (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull))::pg_catalog.text AS notnull,
            (a.attidentity <> '' OR COALESCE(pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%', false))::pg_catalog.text AS autoinc
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE (a.attrelid, a.attnum) IN (${pairs.join(', ')})`,
  );
  for (const r of result.rows) {
    out.set(key(Number(r.relid), Number(r.attnum)), {
      tableName: r.relname,
      notNull: r.notnull === 'true',
      autoIncrement: r.autoinc === 'true',
    });
  }
  return out;
}

function serialName(typeName: string): string {
  if (typeName === 'int4') return 'serial';
  if (typeName === 'int8') return 'bigserial';
  if (typeName === 'int2') return 'smallserial';
  return typeName;
}

function sqlType(type: PgType | undefined): number {
  if (!type) return TYPES_OTHER;
  const core = CORE_SQL_TYPES[type.typname];
  if (core !== undefined) return core;
  if (type.typcategory === 'A' && type.typelem !== 0) return TYPES_ARRAY;
  if (type.typtype === 'c') return 2002;
  if (type.typtype === 'd') return 2001;
  if (type.typtype === 'e') return 12;
  return TYPES_OTHER;
}

function baseOid(oid: number): number {
  return CORE_ARRAY_ELEMENT[oid] ?? oid;
}

function isSigned(oid: number): boolean {
  const base = baseOid(oid);
  return (
    base === Oid.INT2 ||
    base === Oid.INT4 ||
    base === Oid.INT8 ||
    base === Oid.FLOAT4 ||
    base === Oid.FLOAT8 ||
    base === Oid.NUMERIC
  );
}

const CASE_INSENSITIVE = new Set<number>([
  Oid.OID,
  Oid.INT2,
  Oid.INT4,
  Oid.INT8,
  Oid.FLOAT4,
  Oid.FLOAT8,
  Oid.NUMERIC,
  Oid.BOOL,
  Oid.BIT,
  Oid.VARBIT,
  Oid.DATE,
  Oid.TIME,
  Oid.TIMETZ,
  Oid.TIMESTAMP,
  Oid.TIMESTAMPTZ,
  Oid.INTERVAL,
]);

function isCaseSensitive(oid: number): boolean {
  return !CASE_INSENSITIVE.has(baseOid(oid));
}

function precision(oid: number, typmod: number): number {
  const base = baseOid(oid);
  switch (base) {
    case Oid.INT2:
      return 5;
    case Oid.OID:
    case Oid.INT4:
      return 10;
    case Oid.INT8:
      return 19;
    case Oid.FLOAT4:
      return 8;
    case Oid.FLOAT8:
      return 17;
    case Oid.NUMERIC:
      return typmod === -1 ? 0 : ((typmod - 4) & 0xffff0000) >> 16;
    case Oid.CHAR:
    case Oid.BOOL:
      return 1;
    case Oid.BPCHAR:
    case Oid.VARCHAR:
      return typmod === -1 ? UNKNOWN_LENGTH : typmod - 4;
    case Oid.DATE:
    case Oid.TIME:
    case Oid.TIMETZ:
    case Oid.INTERVAL:
    case Oid.TIMESTAMP:
    case Oid.TIMESTAMPTZ:
      return displaySize(base, typmod);
    case Oid.BIT:
      return typmod;
    case Oid.VARBIT:
      return typmod === -1 ? UNKNOWN_LENGTH : typmod;
    default:
      return UNKNOWN_LENGTH;
  }
}

function scale(oid: number, typmod: number): number {
  switch (baseOid(oid)) {
    case Oid.FLOAT4:
      return 8;
    case Oid.FLOAT8:
      return 17;
    case Oid.NUMERIC:
      return typmod === -1 ? 0 : (typmod - 4) & 0xffff;
    case Oid.TIME:
    case Oid.TIMETZ:
    case Oid.TIMESTAMP:
    case Oid.TIMESTAMPTZ:
      return typmod === -1 ? 6 : typmod;
    case Oid.INTERVAL:
      return typmod === -1 ? 6 : typmod & 0xffff;
    default:
      return 0;
  }
}

function displaySize(oid: number, typmod: number): number {
  if (oid === Oid.DATE) return 13;
  if (oid === Oid.INTERVAL) return 49;
  const secondSize = typmod === -1 ? 7 : typmod === 0 ? 0 : typmod === 1 ? 3 : typmod + 1;
  switch (oid) {
    case Oid.TIME:
      return 8 + secondSize;
    case Oid.TIMETZ:
      return 8 + secondSize + 6;
    case Oid.TIMESTAMP:
      return 13 + 1 + 8 + secondSize;
    default:
      return 13 + 1 + 8 + secondSize + 6;
  }
}
