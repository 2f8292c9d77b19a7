// Turns the JSON body of a successful ExecuteStatement or BatchExecuteStatement response into
// the same output object the AWS SDK's generic deserializer builds, at a fraction of its cost.
// The SDK walks every value of every row through its schema machinery (a normalized-schema
// lookup, a member iterator and a union bookkeeping Set per Field): on a 1000-row result that
// was about a third of the proxy's CPU. Here the body is parsed once and a row's Fields are
// kept as parsed whenever they already have the SDK's shape, which is almost always; anything
// else (blobs, nulls inside members, "NaN" numbers, arrays, unknown members) takes a slow path
// that follows the SDK's rules one by one. test/unit/dataapi-lean-decoder.test.ts compares
// both on a corpus of responses.

/** The few shapes of the Data API's response schema that matter for decoding. */
type Shape =
  | 'string'
  | 'boolean'
  | 'number'
  | 'blob'
  | { readonly list: Shape }
  | { readonly struct: Readonly<Record<string, Shape>>; readonly union?: boolean };

const ARRAY_VALUE: { struct: Record<string, Shape>; union: true } = {
  union: true,
  struct: {
    booleanValues: { list: 'boolean' },
    longValues: { list: 'number' },
    doubleValues: { list: 'number' },
    stringValues: { list: 'string' },
    // Filled in below: an array of arrays holds ArrayValues.
    arrayValues: { list: 'string' },
  },
};
ARRAY_VALUE.struct.arrayValues = { list: ARRAY_VALUE };

const FIELD: Shape = {
  union: true,
  struct: {
    isNull: 'boolean',
    booleanValue: 'boolean',
    longValue: 'number',
    doubleValue: 'number',
    stringValue: 'string',
    blobValue: 'blob',
    arrayValue: ARRAY_VALUE,
  },
};

const COLUMN_METADATA: Shape = {
  struct: {
    name: 'string',
    type: 'number',
    typeName: 'string',
    label: 'string',
    schemaName: 'string',
    tableName: 'string',
    isAutoIncrement: 'boolean',
    isSigned: 'boolean',
    isCurrency: 'boolean',
    isCaseSensitive: 'boolean',
    nullable: 'number',
    precision: 'number',
    scale: 'number',
    arrayBaseColumnType: 'number',
  },
};

const FIELD_LIST: Shape = { list: FIELD };

export const EXECUTE_STATEMENT_OUTPUT: Readonly<Record<string, Shape>> = {
  records: { list: FIELD_LIST },
  columnMetadata: { list: COLUMN_METADATA },
  numberOfRecordsUpdated: 'number',
  generatedFields: FIELD_LIST,
  formattedRecords: 'string',
};

export const BATCH_EXECUTE_STATEMENT_OUTPUT: Readonly<Record<string, Shape>> = {
  updateResults: { list: { struct: { generatedFields: FIELD_LIST } } },
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A blob member's base64 text as bytes, refusing what the SDK refuses. */
function fromBase64(text: string): Uint8Array {
  if ((text.length * 3) % 4 !== 0) throw new TypeError('Incorrect padding on base64 string.');
  if (!BASE64.test(text)) throw new TypeError('Invalid base64 string.');
  const bytes = Buffer.from(text, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The SDK spells the non-finite doubles as strings in JSON. */
function readNumberText(text: string): number | string {
  switch (text) {
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return text;
  }
}

/** Whether a list's elements can change when read (strings and booleans are kept as they are). */
function elementsChange(shape: Shape): boolean {
  return shape !== 'string' && shape !== 'boolean';
}

function readValue(shape: Shape, value: unknown): unknown {
  if (value !== null && typeof value === 'object') {
    if (typeof shape === 'object') {
      if ('struct' in shape) return shape === FIELD ? readField(value as Record<string, unknown>) : readStruct(shape, value as Record<string, unknown>);
      if (Array.isArray(value)) {
        if (elementsChange(shape.list)) for (let i = 0; i < value.length; i++) value[i] = readValue(shape.list, value[i]);
        return value;
      }
    }
    return value;
  }
  if (typeof value === 'string') {
    if (shape === 'blob') return fromBase64(value);
    if (shape === 'number') return readNumberText(value);
  }
  return value;
}

function readStruct(shape: { struct: Readonly<Record<string, Shape>>; union?: boolean }, record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name in shape.struct) {
    const value = record[name];
    if (value !== null && value !== undefined) out[name] = readValue(shape.struct[name]!, value);
  }
  if (shape.union) {
    // A union member this schema does not know, alone in the object, is kept as `$unknown`.
    let unknown: string | undefined;
    let unknownCount = 0;
    for (const key of Object.keys(record)) {
      if (key === '__type' || key in shape.struct) continue;
      unknown = key;
      unknownCount++;
    }
    if (unknownCount === 1 && Object.keys(out).length === 0) out.$unknown = [unknown, record[unknown!]];
  } else if (typeof record.__type === 'string') {
    // A typed structure keeps its members the schema does not name.
    for (const key of Object.keys(record)) if (!(key in out)) out[key] = record[key];
  }
  return out;
}

/**
 * One Field. The parsed object itself when it already is what the SDK would build: only scalar
 * members it keeps unchanged, none of them null.
 */
function readField(field: Record<string, unknown>): Record<string, unknown> {
  for (const key in field) {
    const value = field[key];
    if (value === null) return readStruct(FIELD as { struct: Record<string, Shape>; union: true }, field);
    switch (key) {
      case 'stringValue':
      case 'isNull':
      case 'booleanValue':
        continue;
      case 'longValue':
      case 'doubleValue':
        if (typeof value === 'string') return readStruct(FIELD as { struct: Record<string, Shape>; union: true }, field);
        continue;
      default:
        // blobValue (base64), arrayValue (nested), or a member the schema does not know.
        return readStruct(FIELD as { struct: Record<string, Shape>; union: true }, field);
    }
  }
  return field;
}

/**
 * The output members (without `$metadata`) of a 2xx response body, or null when the body is not
 * a JSON object (then the SDK's own deserializer decides what to make of it).
 */
export function decodeResponseBody(members: Readonly<Record<string, Shape>>, body: Uint8Array): Record<string, unknown> | null {
  if (body.byteLength === 0) return {};
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const parsed: unknown = JSON.parse(buffer.toString('utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name in members) {
    const value = record[name];
    if (value !== null && value !== undefined) out[name] = readValue(members[name]!, value);
  }
  return out;
}
