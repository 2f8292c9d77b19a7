// The JSON body of an ExecuteStatement request, byte for byte as the AWS SDK writes it (its
// restJson1 serializer: members in schema order, undefined members left out, blobs as base64),
// for the values the proxy sends. Anything the SDK might write differently (a null member or
// list element, a non-finite double, a union with no or several members, a member the schema
// does not know, a blob that is not bytes) makes it return null: that request goes through the
// SDK. test/unit/dataapi-lean-execute.test.ts compares both.
import type { ExecuteStatementCommandInput } from '@aws-sdk/client-rds-data';
import { wireContentOf } from './wire-string-value.js';

/** Thrown inside, turned into null: the request holds something only the SDK writes. */
class NotLean extends Error {}

/**
 * Stands in the body string for the bytes of a pre-encoded string (wire-string-value.ts), which
 * are spliced in at the end: a raw NUL appears nowhere else, since JSON.stringify escapes it.
 */
const SPLICE = '\u0000';
/** The pre-encoded strings met while serializing the current request, in order. */
let spliced: Uint8Array[] = [];

const REQUEST_MEMBERS = [
  'resourceArn',
  'secretArn',
  'sql',
  'database',
  'schema',
  'parameters',
  'transactionId',
  'includeResultMetadata',
  'continueAfterTimeout',
  'resultSetOptions',
  'formatRecordsAs',
] as const;

const FIELD_MEMBERS = ['isNull', 'booleanValue', 'longValue', 'doubleValue', 'stringValue', 'blobValue', 'arrayValue'] as const;
const ARRAY_MEMBERS = ['booleanValues', 'longValues', 'doubleValues', 'stringValues', 'arrayValues'] as const;

function string(value: unknown): string {
  if (typeof value !== 'string') throw new NotLean();
  return JSON.stringify(value);
}

function boolean(value: unknown): string {
  if (typeof value !== 'boolean') throw new NotLean();
  return value ? 'true' : 'false';
}

function number(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new NotLean();
  return JSON.stringify(value);
}

function blob(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new NotLean();
  return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
}

function list(value: unknown, element: (v: unknown) => string): string {
  if (!Array.isArray(value)) throw new NotLean();
  let out = '[';
  for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + element(value[i]);
  return `${out}]`;
}

/** Keys of `value` must all be in `known`; returns how many hold a defined value. */
function checkKeys(value: Record<string, unknown>, known: readonly string[]): number {
  let defined = 0;
  for (const key in value) {
    if (!known.includes(key)) throw new NotLean();
    if (value[key] !== undefined) defined++;
  }
  return defined;
}

function object(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new NotLean();
  return value as Record<string, unknown>;
}

/** One member of a union holding exactly one defined member. */
function unionMember(value: unknown, members: readonly string[]): [string, unknown] {
  const record = object(value);
  if (checkKeys(record, members) !== 1) throw new NotLean();
  for (const key of members) if (record[key] !== undefined) return [key, record[key]];
  throw new NotLean();
}

function arrayValue(value: unknown): string {
  const [key, member] = unionMember(value, ARRAY_MEMBERS);
  switch (key) {
    case 'booleanValues':
      return `{"booleanValues":${list(member, boolean)}}`;
    case 'longValues':
      return `{"longValues":${list(member, number)}}`;
    case 'doubleValues':
      return `{"doubleValues":${list(member, number)}}`;
    case 'stringValues':
      return `{"stringValues":${list(member, string)}}`;
    default:
      return `{"arrayValues":${list(member, arrayValue)}}`;
  }
}

function field(value: unknown): string {
  const wire = wireContentOf(value);
  if (wire !== undefined) {
    spliced.push(wire);
    return `{"stringValue":"${SPLICE}"}`;
  }
  const [key, member] = unionMember(value, FIELD_MEMBERS);
  switch (key) {
    case 'isNull':
    case 'booleanValue':
      return `{"${key}":${boolean(member)}}`;
    case 'longValue':
    case 'doubleValue':
      return `{"${key}":${number(member)}}`;
    case 'stringValue':
      return `{"stringValue":${string(member)}}`;
    case 'blobValue':
      return `{"blobValue":${blob(member)}}`;
    default:
      return `{"arrayValue":${arrayValue(member)}}`;
  }
}

function parameter(value: unknown): string {
  const p = object(value);
  checkKeys(p, ['name', 'value', 'typeHint']);
  const parts: string[] = [];
  if (p.name !== undefined) parts.push(`"name":${string(p.name)}`);
  if (p.value !== undefined) parts.push(`"value":${field(p.value)}`);
  if (p.typeHint !== undefined) parts.push(`"typeHint":${string(p.typeHint)}`);
  return `{${parts.join(',')}}`;
}

function resultSetOptions(value: unknown): string {
  const o = object(value);
  checkKeys(o, ['decimalReturnType', 'longReturnType']);
  const parts: string[] = [];
  if (o.decimalReturnType !== undefined) parts.push(`"decimalReturnType":${string(o.decimalReturnType)}`);
  if (o.longReturnType !== undefined) parts.push(`"longReturnType":${string(o.longReturnType)}`);
  return `{${parts.join(',')}}`;
}

/**
 * The request body as the SDK writes it, or null when only the SDK should write it; a Buffer
 * when it holds a pre-encoded string (wire-string-value.ts).
 */
export function serializeExecuteStatement(input: ExecuteStatementCommandInput): string | Buffer | null {
  spliced = [];
  try {
    const record = object(input);
    checkKeys(record, REQUEST_MEMBERS);
    const parts: string[] = [];
    for (const key of REQUEST_MEMBERS) {
      const value = record[key];
      if (value === undefined) continue;
      switch (key) {
        case 'includeResultMetadata':
        case 'continueAfterTimeout':
          parts.push(`"${key}":${boolean(value)}`);
          break;
        case 'parameters':
          parts.push(`"parameters":${list(value, parameter)}`);
          break;
        case 'resultSetOptions':
          parts.push(`"resultSetOptions":${resultSetOptions(value)}`);
          break;
        default:
          parts.push(`"${key}":${string(value)}`);
      }
    }
    const body = `{${parts.join(',')}}`;
    return spliced.length === 0 ? body : splice(body, spliced);
  } catch (e) {
    if (e instanceof NotLean) return null;
    throw e;
  } finally {
    spliced = [];
  }
}

/** The body with each placeholder replaced by its pre-encoded bytes, as one Buffer. */
function splice(body: string, wires: readonly Uint8Array[]): Buffer {
  const pieces = body.split(SPLICE).map((text) => Buffer.from(text, 'utf8'));
  let length = 0;
  for (const p of pieces) length += p.length;
  for (const w of wires) length += w.length;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (let i = 0; i < pieces.length; i++) {
    out.set(pieces[i], at);
    at += pieces[i].length;
    if (i < wires.length) {
      out.set(wires[i], at);
      at += wires[i].length;
    }
  }
  return out;
}
