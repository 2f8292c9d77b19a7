// Data API columnMetadata -> the type fields of a RowDescription. The Data API reports what
// pgJDBC's ResultSetMetaData says (typname, serial for auto-increment columns, precision and
// scale derived from the column's typmod), so the typmod is rebuilt by inverting pgJDBC's
// TypeInfoCache.getPrecision/getScale, and only where that inversion is unambiguous.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import { OID, elementTypeOf, requireType, resolveTypeName, typeByOid, type PgType } from './pg-types.js';

export interface ResolvedColumn {
  /** The type announced to the client. */
  readonly type: PgType;
  /** For an array type, its element type. */
  readonly elementType: PgType | undefined;
  readonly typeOid: number;
  /** RowDescription type size (pg_type.typlen). */
  readonly typeSize: number;
  /** RowDescription type modifier; -1 when unknown. */
  readonly typeModifier: number;
}

/** A column of a known type OID (for callers that learned the type some other way). */
export function columnOfType(oid: number, typeModifier = -1): ResolvedColumn {
  const type = typeByOid(oid) ?? requireType(OID.text);
  return { type, elementType: elementTypeOf(type), typeOid: type.oid, typeSize: type.typlen, typeModifier };
}

/** RowDescription type fields for a Data API column. */
export function resolveColumn(meta: ColumnMetadata | undefined): ResolvedColumn {
  const type = typeFromMetadata(meta ?? {});
  const elementType = elementTypeOf(type);
  const typeModifier = typmodFromMetadata(elementType ?? type, meta?.precision, meta?.scale);
  return { type, elementType, typeOid: type.oid, typeSize: type.typlen, typeModifier };
}

function typeFromMetadata(meta: ColumnMetadata): PgType {
  const byName = meta.typeName ? resolveTypeName(meta.typeName) : undefined;
  if (byName) return byName;
  // An enum, a domain or an extension type: an array keeps its shape as text[]; otherwise the
  // java.sql.Types code tells what the value looks like.
  const isArray = meta.typeName?.startsWith('_') || meta.typeName?.endsWith('[]') || meta.type === JDBC.ARRAY;
  if (isArray) return requireType(OID.textArray);
  return requireType(meta.type === undefined ? OID.text : oidForJdbcType(meta.type));
}

/** java.sql.Types codes. */
const JDBC = {
  BIT: -7,
  TINYINT: -6,
  SMALLINT: 5,
  INTEGER: 4,
  BIGINT: -5,
  FLOAT: 6,
  REAL: 7,
  DOUBLE: 8,
  NUMERIC: 2,
  DECIMAL: 3,
  CHAR: 1,
  VARCHAR: 12,
  LONGVARCHAR: -1,
  BINARY: -2,
  VARBINARY: -3,
  LONGVARBINARY: -4,
  DATE: 91,
  TIME: 92,
  TIMESTAMP: 93,
  TIME_WITH_TIMEZONE: 2013,
  TIMESTAMP_WITH_TIMEZONE: 2014,
  BOOLEAN: 16,
  ARRAY: 2003,
} as const;

function oidForJdbcType(code: number): number {
  switch (code) {
    case JDBC.BIT:
    case JDBC.BOOLEAN:
      return OID.bool;
    case JDBC.TINYINT:
    case JDBC.SMALLINT:
      return OID.int2;
    case JDBC.INTEGER:
      return OID.int4;
    case JDBC.BIGINT:
      return OID.int8;
    case JDBC.REAL:
      return OID.float4;
    case JDBC.FLOAT:
    case JDBC.DOUBLE:
      return OID.float8;
    case JDBC.NUMERIC:
    case JDBC.DECIMAL:
      return OID.numeric;
    case JDBC.CHAR:
      return OID.bpchar;
    case JDBC.BINARY:
    case JDBC.VARBINARY:
    case JDBC.LONGVARBINARY:
      return OID.bytea;
    case JDBC.DATE:
      return OID.date;
    case JDBC.TIME:
      return OID.time;
    case JDBC.TIMESTAMP:
      return OID.timestamp;
    case JDBC.TIME_WITH_TIMEZONE:
      return OID.timetz;
    case JDBC.TIMESTAMP_WITH_TIMEZONE:
      return OID.timestamptz;
    default:
      // VARCHAR (enums), OTHER (1111: json-like extension types), STRUCT (composites)...
      return OID.text;
  }
}

const MAX_NUMERIC_PRECISION = 1000;
const MAX_CHAR_LENGTH = 10_485_760;
const MAX_BIT_LENGTH = 83_886_080;

/**
 * The typmod PostgreSQL would report, given pgJDBC-style precision and scale of a column of
 * type `t` (the element type for arrays, whose columns carry their element's typmod).
 */
export function typmodFromMetadata(t: PgType, precision: number | undefined, scale: number | undefined): number {
  if (precision === undefined) return -1;
  switch (t.typmodRule) {
    case 'numeric': {
      // pgJDBC reports 0/0 for an unconstrained numeric. PostgreSQL 15 stores a negative scale
      // in 11 bits, which pgJDBC hands on unmasked; both fit the same formula.
      const s = scale ?? 0;
      if (precision < 1 || precision > MAX_NUMERIC_PRECISION || s < 0 || s > 0x7ff) return -1;
      return ((precision << 16) | s) + 4;
    }
    case 'charLength':
      return precision >= 1 && precision <= MAX_CHAR_LENGTH ? precision + 4 : -1;
    case 'bitLength':
      return precision >= 1 && precision <= MAX_BIT_LENGTH ? precision : -1;
    case 'fractionalSeconds': {
      // Scale is the typmod, except that no modifier also reads as 6; only 0..5 are certain,
      // and only when the precision agrees with pgJDBC's display size for that typmod.
      if (scale === undefined || scale < 0 || scale > 5) return -1;
      return precision === temporalDisplaySize(t.oid, scale) ? scale : -1;
    }
    default:
      return -1;
  }
}

// pgJDBC TypeInfoCache.getDisplaySize for time/timetz/timestamp/timestamptz.
function temporalDisplaySize(oid: number, typmod: number): number {
  const secondSize = typmod === 0 ? 0 : typmod === 1 ? 3 : typmod + 1;
  switch (oid) {
    case OID.time:
      return 8 + secondSize;
    case OID.timetz:
      return 8 + secondSize + 6;
    case OID.timestamp:
      return 22 + secondSize;
    default:
      return 22 + secondSize + 6;
  }
}
