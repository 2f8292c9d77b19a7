// PostgreSQL text values -> the service's values. Which types it returns, and how, follows the
// v2 documentation and captured responses (see reference/data-api.md, "Values returned"):
// integers as longValue, floats as doubleValue, numeric as a string that keeps its scale,
// bytea as a blob, timestamptz converted to UTC, one-dimensional arrays of the documented
// element types, and UnsupportedResultException for everything else.

import { internalFailure, unsupportedResult } from './errors.js';
import { MULTIDIMENSIONAL, parseArrayLiteral } from './pg-array.js';
import { formatTimestamp, isInfinite, timestamptzToUtc } from './temporal.js';
import type { PgType } from './type-catalog.js';

export type ScalarKind =
  | 'long'
  | 'double'
  | 'bool'
  | 'decimal'
  | 'string'
  | 'bytea'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'void';

export type ColumnKind =
  | { kind: 'scalar'; scalar: ScalarKind }
  | { kind: 'array'; element: ScalarKind }
  | { kind: 'unsupported'; typeName: string };

const SCALARS: Record<string, ScalarKind> = {
  int2: 'long',
  int4: 'long',
  int8: 'long',
  float4: 'double',
  float8: 'double',
  bool: 'bool',
  numeric: 'decimal',
  bytea: 'bytea',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  void: 'void',
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  name: 'string',
  oid: 'string',
  time: 'string',
  uuid: 'string',
  json: 'string',
  jsonb: 'string',
  inet: 'string',
  cidr: 'string',
  vector: 'string',
  unknown: 'string',
};

const ARRAY_ELEMENTS = new Set([
  'bool',
  'date',
  'numeric',
  'float4',
  'float8',
  'int2',
  'int4',
  'int8',
  'json',
  'jsonb',
  'text',
  'bpchar',
  'varchar',
  'name',
  'time',
  'timestamp',
  'timestamptz',
  'uuid',
]);

export function columnKind(type: PgType | undefined, element: PgType | undefined): ColumnKind {
  if (!type) return { kind: 'unsupported', typeName: 'unknown' };
  if (type.typtype === 'e') return { kind: 'scalar', scalar: 'string' };
  // Arrays to PostgreSQL that print as `1 2`, not `{1,2}` (pg_index.indkey): not among the
  // service's types.
  if (type.typname === 'int2vector' || type.typname === 'oidvector') return { kind: 'unsupported', typeName: type.typname };
  if (type.typcategory === 'A' && type.typelem !== 0) {
    if (element && ARRAY_ELEMENTS.has(element.typname)) {
      return { kind: 'array', element: SCALARS[element.typname] };
    }
    return { kind: 'unsupported', typeName: type.typname };
  }
  const scalar = SCALARS[type.typname];
  return scalar ? { kind: 'scalar', scalar } : { kind: 'unsupported', typeName: type.typname };
}

/** A converted value, before it is laid out as a Field or as JSON. Number text stays as text. */
export type Cell =
  | null
  | { t: 'long'; v: string }
  | { t: 'double'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'decimal'; v: string }
  | { t: 'string'; v: string }
  | { t: 'blob'; v: string }
  | { t: 'array'; of: ArrayElementKind; items: (string | boolean | null)[] };

export type ArrayElementKind = 'long' | 'double' | 'bool' | 'decimal' | 'string';

export function toCell(kind: ColumnKind, raw: string | null): Cell {
  if (raw === null) return null;
  if (kind.kind === 'unsupported') {
    throw unsupportedResult(`The result contains the unsupported data type ${kind.typeName}`);
  }
  if (kind.kind === 'scalar') return scalarCell(kind.scalar, raw);
  const items = parseArrayLiteral(raw);
  if (items === MULTIDIMENSIONAL) throw unsupportedResult('The result contains a multidimensional array');
  const of = arrayElementKind(kind.element);
  return {
    t: 'array',
    of,
    items: items.map((item) => (item === null ? null : elementValue(kind.element, item))),
  };
}

function scalarCell(scalar: ScalarKind, raw: string): Cell {
  switch (scalar) {
    case 'long':
      return { t: 'long', v: raw };
    case 'double':
      return { t: 'double', v: raw };
    case 'bool':
      return { t: 'bool', v: raw === 't' };
    case 'decimal':
      return { t: 'decimal', v: raw };
    case 'bytea':
      return { t: 'blob', v: byteaToBuffer(raw).toString('base64') };
    case 'void':
      return { t: 'string', v: '' };
    case 'date':
    case 'timestamp':
    case 'timestamptz':
    case 'string':
      return { t: 'string', v: temporalText(scalar, raw) };
  }
}

function temporalText(scalar: ScalarKind, raw: string): string {
  if (scalar === 'string') return raw;
  if (isInfinite(raw)) throw internalFailure();
  if (scalar === 'timestamp') return formatTimestamp(raw);
  if (scalar === 'timestamptz') return timestamptzToUtc(raw);
  return raw;
}

function arrayElementKind(element: ScalarKind): ArrayElementKind {
  if (element === 'long' || element === 'double' || element === 'bool' || element === 'decimal') return element;
  return 'string';
}

function elementValue(element: ScalarKind, raw: string): string | boolean {
  if (element === 'bool') return raw === 't';
  if (element === 'date' || element === 'timestamp' || element === 'timestamptz') return temporalText(element, raw);
  return raw;
}

function byteaToBuffer(raw: string): Buffer {
  if (raw.startsWith('\\x')) return Buffer.from(raw.slice(2), 'hex');
  // bytea_output = escape: octal escapes and doubled backslashes.
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') {
      if (raw[i + 1] === '\\') {
        bytes.push(0x5c);
        i++;
      } else {
        bytes.push(parseInt(raw.slice(i + 1, i + 4), 8));
        i += 3;
      }
    } else {
      bytes.push(...Buffer.from(raw[i], 'latin1'));
    }
  }
  return Buffer.from(bytes);
}
