// Data API Field -> PostgreSQL's binary output (typsend) for the types clients commonly read in
// binary (pgJDBC once a statement is server-prepared; pgx, tokio-postgres...). Types without a
// binary encoder here are listed by hasBinaryOutput(); the session should send those in text.
import type { Field } from '@aws-sdk/client-rds-data';
import { parseDate, parseTime, parseTimestamp } from './datetime.js';
import { TypeCodecError, SQLSTATE } from './errors.js';
import { encodeNumericBinary } from './numeric.js';
import { parseArrayText } from './array-parse.js';
import type { ResolvedColumn } from './oid-from-metadata.js';
import { OID, typeByOid, type PgType } from './pg-types.js';
import { arrayScalars, fieldScalar, scalarToText, type ArrayScalars, type DataApiScalar } from './text-output.js';
import { TEXT_BINARY_CODECS } from './binary/index.js';
import { xmlSendText } from './binary/xml-send.js';

const BINARY_SCALARS: ReadonlySet<number> = new Set([
  OID.bool,
  OID.bytea,
  OID.int2,
  OID.int4,
  OID.int8,
  OID.oid,
  OID.float4,
  OID.float8,
  OID.text,
  OID.varchar,
  OID.bpchar,
  OID.name,
  OID.json,
  OID.jsonb,
  OID.uuid,
  OID.date,
  OID.time,
  OID.timestamp,
  OID.timestamptz,
  OID.numeric,
  OID.void,
  // pgJDBC asks for these in binary too once a statement is server-prepared.
  OID.timetz,
  OID.point,
  OID.box,
  OID.xml,
  OID.jsonpath,
  // Types whose binary form the proxy derives from their text output (binary/index.ts).
  ...TEXT_BINARY_CODECS.keys(),
]);

/** Whether fieldToBinary can encode values of this type (a listed scalar or a 1-D+ array of one). */
export function hasBinaryOutput(oid: number): boolean {
  if (BINARY_SCALARS.has(oid)) return true;
  const t = typeByOid(oid);
  return t !== undefined && t.elemOid !== 0 && BINARY_SCALARS.has(t.elemOid);
}

/** The binary DataRow value of one column, or null for SQL NULL. */
export function fieldToBinary(field: Field, column: ResolvedColumn): Buffer | null {
  if (!hasBinaryOutput(column.typeOid)) {
    throw new TypeCodecError(
      SQLSTATE.featureNotSupported,
      `binary output of type ${column.type.name} is not supported by the proxy; request text format`,
    );
  }
  if (field.arrayValue !== undefined) {
    if (!column.elementType) throw mismatch('an array', column.type);
    return arrayToBinary(arrayScalars(field.arrayValue), column.elementType);
  }
  if (column.elementType && field.stringValue !== undefined) {
    // An array the proxy fetched as text (see session/text-casts.ts): its array_out form.
    const items = parseArrayText(field.stringValue, column.elementType.delimiter);
    if (!items) throw mismatch('a string value instead of an array', column.type);
    return arrayToBinary(items, column.elementType);
  }
  const scalar = fieldScalar(field);
  if (scalar === null) return null;
  if (column.elementType) throw mismatch(`a ${scalar.kind} value instead of an array`, column.type);
  return scalarToBinary(scalar, column.type);
}

function mismatch(what: string, type: PgType): TypeCodecError {
  return new TypeCodecError(SQLSTATE.internalError, `the Data API returned ${what} for a column of type ${type.name}`);
}

function unreadable(scalar: DataApiScalar, type: PgType): TypeCodecError {
  const shown = scalar.kind === 'blob' ? `${scalar.value.length} bytes` : JSON.stringify(scalar.value);
  return new TypeCodecError(SQLSTATE.internalError, `cannot encode ${shown} as binary ${type.name}`);
}

function integerOf(scalar: DataApiScalar, type: PgType, min: bigint, max: bigint): bigint {
  let n: bigint | undefined;
  if ((scalar.kind === 'long' || scalar.kind === 'double') && Number.isInteger(scalar.value)) n = BigInt(scalar.value);
  else if (scalar.kind === 'string' && /^\s*[+-]?\d+\s*$/.test(scalar.value)) n = BigInt(scalar.value.trim());
  else if (scalar.kind === 'boolean') n = scalar.value ? 1n : 0n;
  if (n === undefined || n < min || n > max) throw unreadable(scalar, type);
  return n;
}

function floatOf(scalar: DataApiScalar, type: PgType): number {
  if (scalar.kind === 'long' || scalar.kind === 'double') return scalar.value;
  if (scalar.kind === 'string') {
    const t = scalar.value.trim().toLowerCase();
    if (t === 'nan') return NaN;
    if (t === 'infinity' || t === 'inf') return Infinity;
    if (t === '-infinity' || t === '-inf') return -Infinity;
    const n = Number(t);
    if (t !== '' && !Number.isNaN(n)) return n;
  }
  throw unreadable(scalar, type);
}

function textOf(scalar: DataApiScalar, type: PgType): string {
  return scalar.kind === 'string' ? scalar.value : scalarToText(scalar, type);
}

function int16(n: bigint): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(Number(n));
  return b;
}
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

/** One scalar in PostgreSQL's binary output for `type` (a type hasBinaryOutput accepts). */
export function scalarToBinary(scalar: DataApiScalar, type: PgType): Buffer {
  switch (type.oid) {
    case OID.bool: {
      const text = scalarToText(scalar, type);
      if (text !== 't' && text !== 'f') throw unreadable(scalar, type);
      return Buffer.from([text === 't' ? 1 : 0]);
    }
    case OID.int2:
      return int16(integerOf(scalar, type, -0x8000n, 0x7fffn));
    case OID.int4:
      return int32(Number(integerOf(scalar, type, -0x80000000n, 0x7fffffffn)));
    case OID.int8:
      return int64(integerOf(scalar, type, -0x8000000000000000n, 0x7fffffffffffffffn));
    case OID.oid: {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(Number(integerOf(scalar, type, 0n, 0xffffffffn)));
      return b;
    }
    case OID.float4: {
      const b = Buffer.alloc(4);
      b.writeFloatBE(floatOf(scalar, type));
      return b;
    }
    case OID.float8: {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(floatOf(scalar, type));
      return b;
    }
    case OID.bytea:
      return byteaBytes(scalar, type);
    case OID.uuid:
      return uuidBytes(scalar, type);
    case OID.date: {
      const days = scalar.kind === 'string' ? parseDate(scalar.value) : undefined;
      if (days === undefined) throw unreadable(scalar, type);
      return int32(days);
    }
    case OID.time: {
      const micros = scalar.kind === 'string' ? parseTime(scalar.value) : undefined;
      if (micros === undefined) throw unreadable(scalar, type);
      return int64(BigInt(micros));
    }
    case OID.timetz: {
      const parsed = scalar.kind === 'string' ? parseTimetz(scalar.value) : undefined;
      if (parsed === undefined) throw unreadable(scalar, type);
      // timetz_send: the time, then the zone in seconds west of UTC.
      return Buffer.concat([int64(BigInt(parsed.micros)), int32(-parsed.secondsEast)]);
    }
    case OID.point:
    case OID.box: {
      // point_send: x, y; box_send: high x, high y, low x, low y, the order box_out prints them in.
      const coordinates = scalar.kind === 'string' ? scalar.value.replace(/[()\s]/g, '').split(',') : [];
      if (coordinates.length !== (type.oid === OID.point ? 2 : 4)) throw unreadable(scalar, type);
      const b = Buffer.alloc(8 * coordinates.length);
      coordinates.forEach((c, i) => b.writeDoubleBE(floatOf({ kind: 'string', value: c }, type), 8 * i));
      return b;
    }
    case OID.timestamp:
    case OID.timestamptz: {
      // timestamptz arrives as UTC wall time, so both read the same way.
      const ts = scalar.kind === 'string' ? parseTimestamp(scalar.value) : undefined;
      if (ts === undefined) throw unreadable(scalar, type);
      return int64(ts.micros);
    }
    case OID.numeric: {
      const text = scalar.kind === 'string' ? scalar.value : scalar.kind === 'boolean' ? undefined : String(scalar.value);
      const bytes = text === undefined ? undefined : encodeNumericBinary(text);
      if (bytes === undefined) throw unreadable(scalar, type);
      return bytes;
    }
    case OID.jsonb:
    case OID.jsonpath:
      // jsonb_send, jsonpath_send: version 1, then the text.
      return Buffer.concat([Buffer.from([1]), Buffer.from(textOf(scalar, type), 'utf8')]);
    case OID.xml:
      return Buffer.from(xmlSendText(textOf(scalar, type)), 'utf8');
    case OID.void:
      return Buffer.alloc(0);
    default: {
      const codec = TEXT_BINARY_CODECS.get(type.oid);
      if (codec) {
        const bytes = codec.send(textOf(scalar, type));
        if (!bytes) throw unreadable(scalar, type);
        return bytes;
      }
      // text, varchar, bpchar, name, json: the text in the client encoding (UTF-8).
      return Buffer.from(textOf(scalar, type), 'utf8');
    }
  }
}

/** timetz_out's `HH:MM:SS[.f]±HH[:MM[:SS]]`. */
function parseTimetz(text: string): { micros: number; secondsEast: number } | undefined {
  const match = /^(.+?)([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(text.trim());
  const micros = match ? parseTime(match[1]) : undefined;
  if (!match || micros === undefined) return undefined;
  const seconds = Number(match[3]) * 3600 + Number(match[4] ?? 0) * 60 + Number(match[5] ?? 0);
  return { micros, secondsEast: match[2] === '-' ? -seconds : seconds };
}

function byteaBytes(scalar: DataApiScalar, type: PgType): Buffer {
  if (scalar.kind === 'blob') return Buffer.from(scalar.value.buffer, scalar.value.byteOffset, scalar.value.byteLength);
  if (scalar.kind === 'string' && /^\\x([0-9a-fA-F]{2})*$/.test(scalar.value)) return Buffer.from(scalar.value.slice(2), 'hex');
  return Buffer.from(scalarToText(scalar, type), 'utf8');
}

function uuidBytes(scalar: DataApiScalar, type: PgType): Buffer {
  const hex = scalar.kind === 'string' ? scalar.value.replace(/[{}-]/g, '') : '';
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw unreadable(scalar, type);
  return Buffer.from(hex, 'hex');
}

/** PostgreSQL's binary array: ndim, has-null flag, element OID, (size, lower bound 1) per dimension, elements. */
export function arrayToBinary(items: ArrayScalars, elementType: PgType): Buffer {
  const dims: number[] = [];
  for (let level: ArrayScalars | undefined = items; level; ) {
    dims.push(level.length);
    const first: DataApiScalar | null | ArrayScalars | undefined = level[0];
    level = Array.isArray(first) ? first : undefined;
  }
  const elements: (Buffer | null)[] = [];
  const walk = (level: ArrayScalars, depth: number): void => {
    if (level.length !== dims[depth]) throw ragged(elementType);
    for (const item of level) {
      const isLeafLevel = depth === dims.length - 1;
      if (Array.isArray(item) !== !isLeafLevel && !(isLeafLevel && item === null)) throw ragged(elementType);
      if (Array.isArray(item)) walk(item, depth + 1);
      else elements.push(item === null ? null : scalarToBinary(item, elementType));
    }
  };
  const empty = dims[0] === 0;
  if (!empty) walk(items, 0);
  const ndim = empty ? 0 : dims.length;
  const header = Buffer.alloc(12 + 8 * ndim);
  header.writeInt32BE(ndim, 0);
  header.writeInt32BE(elements.includes(null) ? 1 : 0, 4);
  header.writeUInt32BE(elementType.oid, 8);
  for (let i = 0; i < ndim; i++) {
    header.writeInt32BE(dims[i], 12 + 8 * i);
    header.writeInt32BE(1, 16 + 8 * i);
  }
  const parts: Buffer[] = [header];
  for (const e of elements) {
    parts.push(int32(e === null ? -1 : e.length));
    if (e !== null) parts.push(e);
  }
  return Buffer.concat(parts);
}

function ragged(elementType: PgType): TypeCodecError {
  return new TypeCodecError(
    SQLSTATE.internalError,
    `the Data API returned a ${elementType.name} array whose sub-arrays differ in length`,
  );
}
