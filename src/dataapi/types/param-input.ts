// Bind parameter -> Data API parameter. The Data API has no parameter types of its own beyond
// the Field members and a few type hints (a stringValue binds as text), so each parameter is
// planned as a value plus the PostgreSQL type the statement should CAST it to. Binary
// parameters are decoded the way PostgreSQL's typreceive functions read them, and fail with
// the same SQLSTATEs; values that cannot travel exactly as a JSON number (int8 beyond 2^53,
// float4, NaN) travel as text and are cast, so that the server does the parsing.
import type { Field, TypeHint } from '@aws-sdk/client-rds-data';
import { formatArrayFromFlat } from './array-literal.js';
import { formatDate, formatOffset, formatTime, formatTimestamp } from './datetime.js';
import { TypeCodecError, SQLSTATE } from './errors.js';
import { formatFloat4, formatFloat8 } from './float-format.js';
import { decodeNumericBinary } from './numeric.js';
import { OID, elementTypeOf, typeByOid, type PgType } from './pg-types.js';
import { byteaHex } from './text-output.js';
import { TEXT_BINARY_CODECS } from './binary/index.js';
import type { UserTypeWire } from './user-types.js';

export interface BindParameter {
  /** 1-based position of the parameter, used in error messages. */
  readonly number: number;
  /** The Bind value; null for SQL NULL. */
  readonly value: Buffer | null;
  /** Bind format code: 0 text, 1 binary. */
  readonly format: 0 | 1;
  /** Type OID declared in Parse; 0 when the client left it unspecified. */
  readonly typeOid: number;
  /** For a type outside the catalogue (an enum, a domain): how its binary value reads. */
  readonly userType?: UserTypeWire | undefined;
}

export interface ParameterPlan {
  /** The SqlParameter value. */
  value: Field;
  /** A Data API type hint, given only when the value is in the exact form the hint accepts. */
  typeHint?: TypeHint;
  /** The type to write `CAST(:name AS <sqlType>)` with; undefined for an untyped parameter. */
  sqlType?: string;
}

/** Plans one Bind parameter; throws TypeCodecError (with sqlstate) on malformed input. */
export function planParameter(param: BindParameter): ParameterPlan {
  const declared = param.typeOid === 0 || param.typeOid === OID.unknown ? undefined : typeByOid(param.typeOid);
  const sqlType = declared?.castName;
  if (param.value === null) return withType({ value: { isNull: true } }, sqlType ?? (param.format === 1 ? param.userType?.castName : undefined));
  if (param.format === 1 && !declared && param.userType) return planUserTypeBinary(param, param.value, param.userType);
  if (param.format === 1) return planBinary(param, param.value, declared);
  if (param.format !== 0) {
    throw new TypeCodecError(
      '22023',
      `unsupported format code: ${String(param.format)} in bind parameter ${param.number}`,
      param.number,
    );
  }
  const text = decodeUtf8(param.value, param.number);
  return declared ? planText(text, declared) : { value: { stringValue: text } };
}

function withType(plan: ParameterPlan, sqlType: string | undefined): ParameterPlan {
  if (sqlType !== undefined) plan.sqlType = sqlType;
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Text format

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const FLOAT_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function planText(text: string, type: PgType): ParameterPlan {
  const plan = withType({ value: textField(text, type) }, type.castName);
  if (plan.value.stringValue !== undefined) {
    const hint = hintFor(type, plan.value.stringValue);
    if (hint) plan.typeHint = hint;
  }
  return plan;
}

function textField(text: string, type: PgType): Field {
  switch (type.oid) {
    case OID.bool: {
      const b = parseBoolText(text);
      return b === undefined ? { stringValue: text } : { booleanValue: b };
    }
    // oid stays text: oidin also takes negative numbers, which CAST(bigint AS oid) refuses.
    case OID.int2:
    case OID.int4:
    case OID.int8: {
      if (!INTEGER_TEXT.test(text)) return { stringValue: text };
      const n = Number(text);
      return Number.isSafeInteger(n) ? { longValue: n } : { stringValue: text };
    }
    case OID.float8: {
      // An underflow to zero must reach float8in to fail there, so only plain values go as numbers.
      if (!FLOAT_TEXT.test(text)) return { stringValue: text };
      const n = Number(text);
      const underflow = n === 0 && /[1-9]/.test(text.replace(/[eE].*$/, ''));
      // JSON has no -0 either.
      return Number.isFinite(n) && !underflow && !Object.is(n, -0) ? { doubleValue: n } : { stringValue: text };
    }
    case OID.bytea: {
      const bytes = parseByteaText(text);
      return bytes ? { blobValue: bytes } : { stringValue: text };
    }
    default:
      return { stringValue: text };
  }
}

const BOOL_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['t', true], ['true', true], ['y', true], ['yes', true], ['on', true], ['1', true],
  ['f', false], ['false', false], ['n', false], ['no', false], ['off', false], ['0', false],
]);

function parseBoolText(text: string): boolean | undefined {
  return BOOL_WORDS.get(text.trim().toLowerCase());
}

/** bytea input, hex (`\x…`) or escape format; undefined when malformed (the server then says why). */
export function parseByteaText(text: string): Uint8Array | undefined {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2).replace(/[ \t\n\r]/g, '');
    return /^([0-9a-fA-F]{2})*$/.test(hex) ? new Uint8Array(Buffer.from(hex, 'hex')) : undefined;
  }
  const out: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; ) {
    if (raw[i] !== 0x5c) {
      out.push(raw[i++]);
    } else if (raw[i + 1] === 0x5c) {
      out.push(0x5c);
      i += 2;
    } else {
      const o = raw.subarray(i + 1, i + 4).toString('latin1');
      if (!/^[0-3][0-7][0-7]$/.test(o)) return undefined;
      out.push(parseInt(o, 8));
      i += 4;
    }
  }
  return new Uint8Array(out);
}

const HINT_FORMS: ReadonlyMap<number, [TypeHint, RegExp]> = new Map([
  [OID.date, ['DATE', /^\d{4}-\d{2}-\d{2}$/]],
  [OID.time, ['TIME', /^\d{2}:\d{2}:\d{2}(\.\d{1,3})?$/]],
  [OID.timestamp, ['TIMESTAMP', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$/]],
  [OID.numeric, ['DECIMAL', /^[+-]?\d+(\.\d+)?$/]],
  [OID.uuid, ['UUID', /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/]],
  [OID.json, ['JSON', /^/]],
  [OID.jsonb, ['JSON', /^/]],
] as const);

// The hints' documented forms are strict (DATE YYYY-MM-DD, TIMESTAMP YYYY-MM-DD HH:MM:SS[.FFF]);
// anything else (time zones, BC, infinity, more digits) goes unhinted and the CAST parses it.
function hintFor(type: PgType, text: string): TypeHint | undefined {
  const form = HINT_FORMS.get(type.oid);
  return form && form[1].test(text) ? form[0] : undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Buffer, paramNumber: number): string {
  const nul = bytes.indexOf(0);
  let text: string | undefined;
  if (nul < 0) {
    try {
      text = UTF8.decode(bytes);
    } catch {
      text = undefined;
    }
  }
  if (text === undefined) {
    throw new TypeCodecError(
      SQLSTATE.characterNotInRepertoire,
      `invalid byte sequence for encoding "UTF8": ${badSequence(bytes)} in bind parameter ${paramNumber}`,
      paramNumber,
    );
  }
  return text;
}

// The offending bytes as PostgreSQL shows them: `0x00`, `0xc3 0x28`.
function badSequence(bytes: Buffer): string {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0) return '0x00';
    const len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    const seq = bytes.subarray(i, i + Math.max(len, 1));
    const valid = len > 0 && seq.length === len && (len === 1 || isValidUtf8(seq));
    if (!valid) return [...seq].map((x) => '0x' + x.toString(16).padStart(2, '0')).join(' ');
    i += len - 1;
  }
  return '(unknown)';
}

function isValidUtf8(seq: Buffer): boolean {
  try {
    UTF8.decode(seq);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Binary format

interface Decoded {
  /** PostgreSQL's text output of the value, used inside array literals and as stringValue. */
  text: string;
  /** A Field that carries the value exactly and better than a string, when there is one. */
  field?: Field;
}

type BinaryDecoder = (buf: Buffer, ctx: DecodeContext) => Decoded;

interface DecodeContext {
  paramNumber: number;
  type: PgType;
}

function badFormat(ctx: DecodeContext): TypeCodecError {
  return new TypeCodecError(
    SQLSTATE.invalidBinaryRepresentation,
    `incorrect binary data format in bind parameter ${ctx.paramNumber}`,
    ctx.paramNumber,
  );
}

function fail(ctx: DecodeContext, sqlstate: string, message: string): TypeCodecError {
  return new TypeCodecError(sqlstate, `${message} (bind parameter ${ctx.paramNumber})`, ctx.paramNumber);
}

function fixed(length: number, read: (buf: Buffer, ctx: DecodeContext) => Decoded): BinaryDecoder {
  return (buf, ctx) => {
    if (buf.length !== length) throw badFormat(ctx);
    return read(buf, ctx);
  };
}

function integer(n: bigint): Decoded {
  const asNumber = Number(n);
  const text = n.toString();
  return Number.isSafeInteger(asNumber) ? { text, field: { longValue: asNumber } } : { text };
}

function float(v: number, text: string): Decoded {
  // JSON carries finite doubles exactly; NaN, the infinities and -0 only as text.
  return Number.isFinite(v) && !Object.is(v, -0) ? { text, field: { doubleValue: v } } : { text };
}

const textDecoder: BinaryDecoder = (buf, ctx) => ({ text: decodeUtf8(buf, ctx.paramNumber) });

const UUID_GROUPS = [8, 4, 4, 4, 12];

const BINARY_DECODERS: ReadonlyMap<number, BinaryDecoder> = new Map<number, BinaryDecoder>([
  [OID.bool, fixed(1, (b) => (b[0] !== 0 ? { text: 't', field: { booleanValue: true } } : { text: 'f', field: { booleanValue: false } }))],
  [OID.int2, fixed(2, (b) => integer(BigInt(b.readInt16BE(0))))],
  [OID.int4, fixed(4, (b) => integer(BigInt(b.readInt32BE(0))))],
  [OID.int8, fixed(8, (b) => integer(b.readBigInt64BE(0)))],
  [OID.oid, fixed(4, (b) => integer(BigInt(b.readUInt32BE(0))))],
  [OID.float4, fixed(4, (b) => {
    const v = b.readFloatBE(0);
    return float(v, formatFloat4(v));
  })],
  [OID.float8, fixed(8, (b) => {
    const v = b.readDoubleBE(0);
    return float(v, formatFloat8(v));
  })],
  [OID.bytea, (b) => ({ text: byteaHex(b), field: { blobValue: new Uint8Array(b) } })],
  [OID.text, textDecoder],
  [OID.varchar, textDecoder],
  [OID.bpchar, textDecoder],
  [OID.name, textDecoder],
  [OID.json, textDecoder],
  [OID.xml, textDecoder],
  [OID.unknown, textDecoder],
  [OID.jsonb, (b, ctx) => {
    if (b.length < 1) throw badFormat(ctx);
    if (b[0] !== 1) throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, `unsupported jsonb version number ${b[0]}`);
    return { text: decodeUtf8(b.subarray(1), ctx.paramNumber) };
  }],
  [OID.jsonpath, (b, ctx) => {
    if (b.length < 1) throw fail(ctx, '08P01', 'no data left in message');
    if (b[0] !== 1) throw fail(ctx, SQLSTATE.internalError, `unsupported jsonpath version number: ${b[0]}`);
    return { text: decodeUtf8(b.subarray(1), ctx.paramNumber) };
  }],
  // interval, inet, ranges and the other types of binary/index.ts, read as typrecv reads them.
  ...[...TEXT_BINARY_CODECS].map(([oid, codec]): [number, BinaryDecoder] => [
    oid,
    (b, ctx) => ({
      text: codec.recv(b, (message, sqlstate) => {
        throw message === undefined ? badFormat(ctx) : fail(ctx, sqlstate ?? SQLSTATE.invalidBinaryRepresentation, message);
      }),
    }),
  ]),
  [OID.uuid, fixed(16, (b) => {
    const hex = b.toString('hex');
    let at = 0;
    return { text: UUID_GROUPS.map((n) => hex.slice(at, (at += n))).join('-') };
  })],
  [OID.date, fixed(4, (b) => ({ text: formatDate(b.readInt32BE(0)) }))],
  [OID.time, fixed(8, (b, ctx) => ({ text: formatTime(timeMicros(b.readBigInt64BE(0), ctx)) }))],
  [OID.timetz, fixed(12, (b, ctx) => {
    const micros = timeMicros(b.readBigInt64BE(0), ctx);
    const zoneWest = b.readInt32BE(8);
    // TZDISP_LIMIT: offsets beyond ±15:59 are refused by timetz_recv.
    if (Math.abs(zoneWest) > 15 * 3600 + 59 * 60) throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, 'time zone displacement out of range');
    return { text: formatTime(micros) + formatOffset(-zoneWest) };
  })],
  // pgJDBC sends PGpoint and PGbox in binary: point_recv's x, y; box_recv's high x, high y,
  // low x, low y (corners put in order, as box_recv does).
  [OID.point, fixed(16, (b) => ({ text: `(${formatFloat8(b.readDoubleBE(0))},${formatFloat8(b.readDoubleBE(8))})` }))],
  [OID.box, fixed(32, (b) => {
    const [x1, y1, x2, y2] = [0, 8, 16, 24].map((at) => b.readDoubleBE(at));
    const corner = (x: number, y: number) => `(${formatFloat8(x)},${formatFloat8(y)})`;
    return { text: `${corner(Math.max(x1, x2), Math.max(y1, y2))},${corner(Math.min(x1, x2), Math.min(y1, y2))}` };
  })],
  [OID.timestamp, fixed(8, (b) => ({ text: formatTimestamp(b.readBigInt64BE(0), false) }))],
  [OID.timestamptz, fixed(8, (b) => ({ text: formatTimestamp(b.readBigInt64BE(0), true) }))],
  [OID.numeric, (b, ctx) => {
    const r = decodeNumericBinary(b);
    if ('text' in r) return { text: r.text };
    if (r.problem === 'length') throw badFormat(ctx);
    const what = r.problem === 'sign' ? 'sign' : r.problem === 'digit' ? 'digit' : 'scale';
    throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, `invalid ${what} in external "numeric" value`);
  }],
]);

function timeMicros(us: bigint, ctx: DecodeContext): number {
  if (us < 0n || us > 86_400_000_000n) throw fail(ctx, SQLSTATE.datetimeFieldOverflow, 'time out of range');
  return Number(us);
}

/**
 * A binary value of a built-in type (or an array of one) as the text its input function reads:
 * binary COPY data is decoded with it. Throws TypeCodecError as for a Bind parameter.
 */
export function binaryValueToText(buf: Buffer, typeOid: number): string {
  const type = typeByOid(typeOid);
  const elementType = type && elementTypeOf(type);
  const decode = elementType ? BINARY_DECODERS.get(elementType.oid) : type && BINARY_DECODERS.get(type.oid);
  if (!type || !decode) {
    throw new TypeCodecError(SQLSTATE.featureNotSupported, `binary COPY of type ${type?.name ?? typeOid} is not supported by the proxy; use text or CSV`);
  }
  const ctx: DecodeContext = { paramNumber: 0, type: elementType ?? type };
  const text = elementType ? decodeBinaryArray(buf, elementType, decode, ctx) : decode(buf, ctx).text;
  return text;
}

/** Type OIDs whose binary Bind format planParameter decodes (their arrays too). */
export function hasBinaryInput(oid: number): boolean {
  if (oid === 0 || BINARY_DECODERS.has(oid)) return true;
  const t = typeByOid(oid);
  return t !== undefined && t.elemOid !== 0 && BINARY_DECODERS.has(t.elemOid);
}

function planBinary(param: BindParameter, buf: Buffer, declared: PgType | undefined): ParameterPlan {
  // An unspecified type in binary is what node-postgres sends for a Buffer: bytea.
  if (param.typeOid === 0) return { value: { blobValue: new Uint8Array(buf) } };
  if (!declared) throw unsupportedBinary(param, String(param.typeOid));
  const elementType = elementTypeOf(declared);
  const ctx: DecodeContext = { paramNumber: param.number, type: declared };
  if (elementType) {
    const decodeElement = BINARY_DECODERS.get(elementType.oid);
    if (!decodeElement) throw unsupportedBinary(param, declared.name);
    const literal = decodeBinaryArray(buf, elementType, decodeElement, { paramNumber: param.number, type: elementType });
    return { value: { stringValue: literal }, sqlType: declared.castName };
  }
  const decode = BINARY_DECODERS.get(declared.oid);
  if (!decode) throw unsupportedBinary(param, declared.name);
  const decoded = decode(buf, ctx);
  const plan: ParameterPlan = { value: decoded.field ?? { stringValue: decoded.text }, sqlType: declared.castName };
  if (!decoded.field) {
    const hint = hintFor(declared, decoded.text);
    if (hint) plan.typeHint = hint;
  }
  return plan;
}

/** An enum's or a domain's binary value: read as the type it is made of, cast to the type itself. */
function planUserTypeBinary(param: BindParameter, buf: Buffer, userType: UserTypeWire): ParameterPlan {
  const wire = typeByOid(userType.wireOid);
  if (!wire || !hasBinaryInput(wire.oid)) throw unsupportedBinary(param, userType.castName);
  const plan = planBinary(param, buf, wire);
  // The value as text: a Field such as longValue would bind as a number the cast still reads.
  return { ...plan, sqlType: userType.castName };
}

function unsupportedBinary(param: BindParameter, typeName: string): TypeCodecError {
  return new TypeCodecError(
    SQLSTATE.featureNotSupported,
    `binary format for bind parameter ${param.number} of type ${typeName} is not supported by the proxy; send it in text format`,
    param.number,
  );
}

const MAXDIM = 6;

// array_recv: int32 ndim, int32 flags, uint32 element type, (int32 size, int32 lower bound) per
// dimension, then per element an int32 length (-1 for NULL) and that many bytes.
function decodeBinaryArray(buf: Buffer, elementType: PgType, decode: BinaryDecoder, ctx: DecodeContext): string {
  let at = 0;
  const readInt32 = (): number => {
    if (at + 4 > buf.length) throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, 'insufficient data left in message');
    const v = buf.readInt32BE(at);
    at += 4;
    return v;
  };
  const ndim = readInt32();
  const flags = readInt32();
  const elemOid = readInt32() >>> 0;
  if (ndim < 0) throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, `invalid number of dimensions: ${ndim}`);
  if (ndim > MAXDIM) {
    throw fail(ctx, '54000', `number of array dimensions (${ndim}) exceeds the maximum allowed (${MAXDIM})`);
  }
  if (flags !== 0 && flags !== 1) throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, 'invalid array flags');
  if (elemOid !== elementType.oid) {
    const given = displayName(typeByOid(elemOid)) ?? String(elemOid);
    throw fail(
      ctx,
      SQLSTATE.datatypeMismatch,
      `binary data has array element type ${elemOid} (${given}) instead of expected ${elementType.oid} (${displayName(elementType)})`,
    );
  }
  const dims: number[] = [];
  const lowerBounds: number[] = [];
  for (let i = 0; i < ndim; i++) {
    dims.push(readInt32());
    lowerBounds.push(readInt32());
  }
  if (dims.some((d) => d < 0)) throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, 'invalid array dimensions');
  const count = ndim === 0 ? 0 : dims.reduce((a, b) => a * b, 1);
  if (count > buf.length) throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, 'insufficient data left in message');
  const texts: (string | null)[] = [];
  for (let i = 0; i < count; i++) {
    const len = readInt32();
    if (len === -1) {
      texts.push(null);
      continue;
    }
    if (len < -1 || at + len > buf.length) throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, 'insufficient data left in message');
    const element = buf.subarray(at, at + len);
    at += len;
    try {
      texts.push(decode(element, ctx).text);
    } catch (err) {
      if (err instanceof TypeCodecError && err.message.startsWith('incorrect binary data format')) {
        throw fail(ctx, SQLSTATE.invalidBinaryRepresentation, `improper binary format in array element ${i + 1}`);
      }
      throw err;
    }
  }
  if (at !== buf.length) throw badFormat(ctx);
  return formatArrayFromFlat(texts, ndim === 0 ? [] : dims, lowerBounds, elementType.delimiter);
}

// format_type's SQL-standard spellings, which PostgreSQL uses in this message.
const DISPLAY_NAMES: ReadonlyMap<string, string> = new Map([
  ['int2', 'smallint'],
  ['int4', 'integer'],
  ['int8', 'bigint'],
  ['float4', 'real'],
  ['float8', 'double precision'],
  ['bool', 'boolean'],
  ['varchar', 'character varying'],
  ['bpchar', 'character'],
  ['varbit', 'bit varying'],
  ['time', 'time without time zone'],
  ['timetz', 'time with time zone'],
  ['timestamp', 'timestamp without time zone'],
  ['timestamptz', 'timestamp with time zone'],
  ['char', '"char"'],
]);

function displayName(t: PgType | undefined): string | undefined {
  return t && (DISPLAY_NAMES.get(t.name) ?? t.name);
}
