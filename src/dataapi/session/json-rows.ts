// Rows that travel to the server as one JSON parameter and come back as a relation there:
// `json_to_recordset(CAST(:rows AS json)) AS r("1" type, "2" type, ...)`. Shared by the
// set-based COPY FROM STDIN (copy-chunk-sql.ts) and set-based batches of single-row INSERTs
// (set-based-batch.ts). Each value travels as a JSON string (or null): json_to_recordset hands a
// string to the column type's input function (json and jsonb excepted: they keep the JSON
// string, so those columns are read as text and cast by the caller).
import type { SqlParameter } from '@aws-sdk/client-rds-data';

/**
 * The rows' parameter as it travels (JSON inside the request's JSON), kept under 3 MiB: the
 * request limit is 4 MiB with headers, the SQL text (at most 64 KiB) and the envelope.
 */
export const ROWS_PARAMETER_BYTES = 3 * 1024 * 1024;

/** One row as a JSON object keyed "1", "2", ... and its size on the wire. */
export interface EncodedRow {
  json: string;
  /** Bytes the row adds to the request once its JSON is escaped again inside the request's JSON. */
  wireBytes: number;
}

/** Encodes rows of `width` values (text or null) as JSON objects keyed by 1-based position. */
export class JsonRowEncoder {
  private readonly keys: string[];

  constructor(width: number) {
    this.keys = Array.from({ length: width }, (_, i) => JSON.stringify(String(i + 1)) + ':');
  }

  /**
   * Every `"` and `\\` of the row's JSON gains a backslash inside the request's JSON (the row's
   * JSON holds no control characters: JSON.stringify escaped them).
   */
  encode(values: readonly (string | null)[]): EncodedRow {
    let json = '{';
    let escapes = 2 * values.length; // the quotes of the keys
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (i > 0) json += ',';
      if (v === null) {
        json += this.keys[i] + 'null';
        continue;
      }
      const quoted = JSON.stringify(v);
      json += this.keys[i] + quoted;
      escapes += quoted.length === v.length + 2 ? 2 : countQuotesAndBackslashes(quoted);
    }
    json += '}';
    // +1: the comma between rows.
    return { json, wireBytes: Buffer.byteLength(json) + escapes + 1 };
  }
}

/** Bytes of an empty rows parameter (`[]`). */
export const EMPTY_ROWS_BYTES = 2;

/** The single `:rows` parameter carrying the rows, in order. */
export function rowsParameter(rows: readonly { json: string }[]): SqlParameter[] {
  let json = '[';
  for (let i = 0; i < rows.length; i++) json += (i > 0 ? ',' : '') + rows[i].json;
  return [{ name: 'rows', value: { stringValue: json + ']' } }];
}

/** The `:rows` parameter expanded as a relation whose columns "1".."n" have the given definitions. */
export function jsonRecordset(alias: string, definitions: readonly string[]): string {
  const columns = definitions.map((type, i) => `"${i + 1}" ${type}`).join(', ');
  return `pg_catalog.json_to_recordset(CAST(:rows AS pg_catalog.json)) AS ${alias}(${columns})`;
}

/**
 * The same with the rows' position as column `ordinality` (1-based): a column definition list
 * goes inside ROWS FROM when WITH ORDINALITY is used.
 */
export function orderedJsonRecordset(alias: string, definitions: readonly string[], ordinality: string): string {
  const columns = definitions.map((type, i) => `"${i + 1}" ${type}`).join(', ');
  const names = definitions.map((_, i) => `"${i + 1}"`).concat(ordinality).join(', ');
  return `ROWS FROM (pg_catalog.json_to_recordset(CAST(:rows AS pg_catalog.json)) AS (${columns})) WITH ORDINALITY AS ${alias}(${names})`;
}

function countQuotesAndBackslashes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) n++;
  }
  return n;
}
