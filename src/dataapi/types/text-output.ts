// Data API Field -> the text PostgreSQL 15 would put in a DataRow (text format), with the
// session's TimeZone being UTC and DateStyle ISO: booleans as t/f, floats printed by
// float4out/float8out, bytea in hex, timestamptz with `+00`, arrays as array_out writes them.
import type { ArrayValue, Field } from '@aws-sdk/client-rds-data';
import { formatArrayLiteral, type ArrayTextElement } from './array-literal.js';
import { trimFractionZeros } from './datetime.js';
import { TypeCodecError, SQLSTATE } from './errors.js';
import { formatFloat4, formatFloat8 } from './float-format.js';
import { normalizeNumericText } from './numeric.js';
import type { ResolvedColumn } from './oid-from-metadata.js';
import { OID, requireType, type PgType } from './pg-types.js';
import { utcWallToZone } from './time-zone.js';
import { xmlSendText } from './binary/xml-send.js';

/** One scalar as the Data API delivers it, tagged with the Field member it came in. */
export type DataApiScalar =
  | { kind: 'boolean'; value: boolean }
  | { kind: 'long'; value: number }
  | { kind: 'double'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'blob'; value: Uint8Array };

/** The session settings that change how PostgreSQL prints values the proxy formats itself. */
export interface TextStyle {
  /** extra_float_digits: above 0 the shortest exact digits, else 15 (float4: 6) plus it. */
  extraFloatDigits: number;
  byteaOutput: 'hex' | 'escape';
  /** The session's TimeZone; timestamptz values are shown in it (UTC when absent). */
  timeZone?: string;
}

export const DEFAULT_TEXT_STYLE: TextStyle = { extraFloatDigits: 1, byteaOutput: 'hex' };

/** The text of one DataRow column, or null for SQL NULL. */
export function fieldToText(field: Field, column: ResolvedColumn, style: TextStyle = DEFAULT_TEXT_STYLE): string | null {
  if (field.arrayValue !== undefined) {
    const elementType = column.elementType ?? requireType(OID.text);
    return formatArrayLiteral(arrayToTextElements(field.arrayValue, elementType, style), elementType.delimiter);
  }
  const scalar = fieldScalar(field);
  return scalar === null ? null : scalarToText(scalar, column.type, style);
}

/** The scalar inside a Field, null for SQL NULL; arrays are the caller's business. */
export function fieldScalar(field: Field): DataApiScalar | null {
  if (field.isNull !== undefined) return null;
  if (field.booleanValue !== undefined) return { kind: 'boolean', value: field.booleanValue };
  if (field.longValue !== undefined) return { kind: 'long', value: field.longValue };
  if (field.doubleValue !== undefined) return { kind: 'double', value: field.doubleValue };
  if (field.stringValue !== undefined) return { kind: 'string', value: field.stringValue };
  if (field.blobValue !== undefined) return { kind: 'blob', value: field.blobValue };
  throw new TypeCodecError(
    SQLSTATE.internalError,
    `the Data API returned a value of an unknown shape: ${JSON.stringify(field).slice(0, 200)}`,
  );
}

/** The elements of an ArrayValue as scalars, nested per dimension; null for SQL NULL. */
export type ArrayScalars = (DataApiScalar | null | ArrayScalars)[];

export function arrayScalars(array: ArrayValue): ArrayScalars {
  const wrap = <T>(items: readonly (T | null)[], tag: (v: T) => DataApiScalar): ArrayScalars =>
    items.map((v) => (v === null || v === undefined ? null : tag(v)));
  if (array.booleanValues) return wrap(array.booleanValues, (value) => ({ kind: 'boolean', value }));
  if (array.longValues) return wrap(array.longValues, (value) => ({ kind: 'long', value }));
  if (array.doubleValues) return wrap(array.doubleValues, (value) => ({ kind: 'double', value }));
  if (array.stringValues) return wrap(array.stringValues, (value) => ({ kind: 'string', value }));
  if (array.arrayValues) return array.arrayValues.map((inner) => (inner ? arrayScalars(inner) : null));
  throw new TypeCodecError(
    SQLSTATE.internalError,
    `the Data API returned an array of an unknown shape: ${JSON.stringify(array).slice(0, 200)}`,
  );
}

function arrayToTextElements(array: ArrayValue, elementType: PgType, style: TextStyle): ArrayTextElement[] {
  const convert = (items: ArrayScalars): ArrayTextElement[] =>
    items.map((item) => (item === null ? null : Array.isArray(item) ? convert(item) : scalarToText(item, elementType, style)));
  return convert(arrayScalars(array));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** bytea's hex output: `\x` and two lowercase hex digits per byte. */
export function byteaHex(bytes: Uint8Array): string {
  let out = '\\x';
  for (const b of bytes) out += HEX[b];
  return out;
}

/** bytea's escape output (bytea_output = escape): printable ASCII as is, other bytes in octal. */
export function byteaEscape(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

/** One scalar in PostgreSQL's text output for `type` (a scalar, never an array type). */
export function scalarToText(scalar: DataApiScalar, type: PgType, style: TextStyle = DEFAULT_TEXT_STYLE): string {
  switch (scalar.kind) {
    case 'boolean':
      return scalar.value ? 't' : 'f';
    case 'blob':
      return style.byteaOutput === 'escape' ? byteaEscape(scalar.value) : byteaHex(scalar.value);
    case 'long':
      if (type.oid === OID.bool) return scalar.value !== 0 ? 't' : 'f';
      if (type.oid === OID.float4) return formatFloat4(scalar.value, style.extraFloatDigits);
      if (type.oid === OID.float8) return formatFloat8(scalar.value, style.extraFloatDigits);
      return String(scalar.value);
    case 'double':
      return doubleText(scalar.value, type, style);
    case 'string':
      return stringText(scalar.value, type, style);
  }
}

function doubleText(value: number, type: PgType, style: TextStyle): string {
  switch (type.oid) {
    case OID.float4:
      return formatFloat4(value, style.extraFloatDigits);
    case OID.numeric:
      return normalizeNumericText(String(value)) ?? String(value);
    default:
      return formatFloat8(value, style.extraFloatDigits);
  }
}

const BOOL_TEXT: ReadonlyMap<string, string> = new Map([
  ['t', 't'], ['true', 't'], ['y', 't'], ['yes', 't'], ['on', 't'], ['1', 't'],
  ['f', 'f'], ['false', 'f'], ['n', 'f'], ['no', 'f'], ['off', 'f'], ['0', 'f'],
]);

function stringText(value: string, type: PgType, style: TextStyle): string {
  switch (type.oid) {
    case OID.bool:
      return BOOL_TEXT.get(value.trim().toLowerCase()) ?? value;
    case OID.float4:
    case OID.float8: {
      // JSON has no NaN or Infinity, so such values can only come as strings.
      const n = parseFloatText(value);
      if (n === undefined) return value;
      return type.oid === OID.float4 ? formatFloat4(n, style.extraFloatDigits) : formatFloat8(n, style.extraFloatDigits);
    }
    case OID.numeric:
      return normalizeNumericText(value) ?? value;
    case OID.timestamptz: {
      const utc = trimFractionZeros(isoSpace(value));
      return (style.timeZone && utcWallToZone(utc, style.timeZone)) || withUtcOffset(utc);
    }
    case OID.timestamp:
      return trimFractionZeros(isoSpace(value));
    case OID.time:
    case OID.timetz:
      return trimFractionZeros(value);
    case OID.xml:
      // The Data API gives the stored text (xml columns are cast to text); xml_out prints the
      // declaration again by the same rules as xml_send for a UTF-8 client.
      return xmlSendText(value);
    default:
      return value;
  }
}

// PostgreSQL's ISO DateStyle separates date and time with a space, not `T`.
function isoSpace(value: string): string {
  return value.replace(/^(\d{4,}-\d{2}-\d{2})T(?=\d)/, '$1 ');
}

function parseFloatText(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'infinity' || t === '+infinity' || t === 'inf' || t === '+inf') return Infinity;
  if (t === '-infinity' || t === '-inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

const HAS_ZONE = /[+-]\d{1,2}(?::?\d{2}){0,2}$/;

// The Data API strips the offset of a timestamptz and gives UTC wall time; a client reading it
// without one would apply its own zone, so restore the `+00` PostgreSQL prints under UTC.
function withUtcOffset(value: string): string {
  const lower = value.trim().toLowerCase();
  if (lower === 'infinity' || lower === '-infinity') return value;
  const bc = / BC$/i.test(value);
  let core = bc ? value.slice(0, -3) : value;
  const timeStart = core.search(/[ T]\d/);
  if (timeStart > 0 && HAS_ZONE.test(core.slice(timeStart + 1))) return value;
  if (core.endsWith('Z')) core = core.slice(0, -1);
  return `${core}+00${bc ? ' BC' : ''}`;
}
