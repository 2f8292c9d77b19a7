// Turns `:name` placeholders and their SqlParameters into PostgreSQL positional parameters with
// declared types. The types are what make the emulator as strict as the service: a stringValue
// is declared `text`, so `int_col = :p` fails with 42883 exactly as it does on Aurora.

import { validationError } from './errors.js';
import { findPlaceholders } from './placeholders.js';
import type { WireField, WireSqlParameter } from './wire-types.js';

export interface BoundStatement {
  /** The SQL with `$n` in place of each `:name`. */
  text: string;
  /** One value per supplied parameter; Buffers travel in binary format (bytea). */
  values: (string | Buffer | null)[];
  /** Parameter type OIDs for Parse; 0 lets PostgreSQL infer (NULLs). */
  types: number[];
}

const OID = {
  unknown: 0,
  bool: 16,
  bytea: 17,
  int8: 20,
  text: 25,
  json: 114,
  float8: 701,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  numeric: 1700,
  uuid: 2950,
} as const;

const TYPE_HINT_OIDS: Record<string, number> = {
  DATE: OID.date,
  TIME: OID.time,
  TIMESTAMP: OID.timestamp,
  DECIMAL: OID.numeric,
  JSON: OID.json,
  UUID: OID.uuid,
};

export function rejectArrayParameters(parameters: WireSqlParameter[] | undefined): void {
  if (parameters?.some((p) => p?.value?.arrayValue !== undefined)) {
    throw validationError('Array parameters are not supported.');
  }
}

/**
 * Supplied names are numbered first, in order of appearance, then names nobody supplied. The
 * statement is still sent, as the service does: a bad placeholder such as the slice `a[1:2]`
 * surfaces as PostgreSQL's syntax error at "$1", and a missing value as its bind-count error.
 */
export function bindParameters(sql: string, parameters: WireSqlParameter[] = []): BoundStatement {
  const byName = new Map<string, WireSqlParameter>();
  for (const p of parameters) {
    if (p && typeof p.name === 'string' && !byName.has(p.name)) byName.set(p.name, p);
  }
  const placeholders = findPlaceholders(sql);
  const numbers = new Map<string, number>();
  const values: BoundStatement['values'] = [];
  const types: number[] = [];
  for (const ph of placeholders) {
    const param = byName.get(ph.name);
    if (param && !numbers.has(ph.name)) {
      numbers.set(ph.name, numbers.size + 1);
      const bound = bindField(param.value, param.typeHint);
      values.push(bound.value);
      types.push(bound.type);
    }
  }
  for (const ph of placeholders) {
    if (!numbers.has(ph.name)) numbers.set(ph.name, numbers.size + 1);
  }
  let text = '';
  let last = 0;
  for (const ph of placeholders) {
    text += sql.slice(last, ph.start) + '$' + numbers.get(ph.name);
    last = ph.end;
  }
  text += sql.slice(last);
  return { text, values, types };
}

export function bindField(field: WireField | undefined, typeHint?: string): { value: string | Buffer | null; type: number } {
  if (!field || field.isNull !== undefined) return { value: null, type: OID.unknown };
  if (field.stringValue !== undefined) {
    return { value: field.stringValue, type: (typeHint && TYPE_HINT_OIDS[typeHint]) || OID.text };
  }
  if (field.longValue !== undefined) {
    const n = Number(field.longValue);
    return { value: Number.isInteger(n) ? BigInt(n).toString() : String(field.longValue), type: OID.int8 };
  }
  if (field.doubleValue !== undefined) return { value: String(field.doubleValue), type: OID.float8 };
  if (field.booleanValue !== undefined) return { value: field.booleanValue ? 'true' : 'false', type: OID.bool };
  if (field.blobValue !== undefined) return { value: Buffer.from(field.blobValue, 'base64'), type: OID.bytea };
  return { value: null, type: OID.unknown };
}

const TYPE_NAMES: Record<number, string> = {
  [OID.bool]: 'bool',
  [OID.bytea]: 'bytea',
  [OID.int8]: 'int8',
  [OID.json]: 'json',
  [OID.float8]: 'float8',
  [OID.date]: 'date',
  [OID.time]: 'time',
  [OID.timestamp]: 'timestamp',
  [OID.numeric]: 'numeric',
  [OID.uuid]: 'uuid',
};

/** The statement with its values written in, as pgJDBC shows a failed batch entry. */
export function renderWithLiterals(sql: string, parameters: WireSqlParameter[] = []): string {
  const byName = new Map<string, WireSqlParameter>();
  for (const p of parameters) if (p && typeof p.name === 'string' && !byName.has(p.name)) byName.set(p.name, p);
  let text = '';
  let last = 0;
  for (const ph of findPlaceholders(sql)) {
    const param = byName.get(ph.name);
    text += sql.slice(last, ph.start) + (param ? literal(param) : sql.slice(ph.start, ph.end));
    last = ph.end;
  }
  return text + sql.slice(last);
}

function literal(param: WireSqlParameter): string {
  const { value, type } = bindField(param.value, param.typeHint);
  if (value === null) return 'NULL';
  const text = Buffer.isBuffer(value) ? '\\x' + value.toString('hex') : value;
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return type === OID.text ? quoted : `${quoted}::${TYPE_NAMES[type] ?? 'unknown'}`;
}
