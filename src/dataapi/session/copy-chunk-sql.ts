// The SQL of a set-based COPY FROM STDIN: the parsed rows go to the Data API in chunks, each chunk one
// ExecuteStatement whose single parameter is a JSON array of rows expanded on the server by
// json_to_recordset(). Each value travels as a JSON string (or null) and json_to_recordset
// hands a string to the column type's input function with the column's typmod, which is what
// COPY does with the field's text (an explicit CAST would not do: it truncates varchar(n)).
// json_to_recordset rather than jsonb_to_recordset: it skips building a jsonb of the whole chunk
// and loads about twice as fast.
// Chunks stay under the 4 MiB request limit. A chunk that fails is handed to copy-failure.ts,
// which finds the row (and column) PostgreSQL would have named.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { quoteIdentifier } from '../sql/index.js';
import type { CopyRow } from '../copy/index.js';
import type { CopyTarget } from './copy-target.js';
import { JsonRowEncoder, ROWS_PARAMETER_BYTES, jsonRecordset, rowsParameter } from './json-rows.js';

/** The chunk's parameter stays under 3 MiB (json-rows.ts). */
export const CHUNK_PARAMETER_BYTES = ROWS_PARAMETER_BYTES;

export interface PendingRow {
  /** The row as a JSON object of the chunk ({"1": "text", "2": null, ...}). */
  json: string;
  values: CopyRow;
  /** PostgreSQL's line number of the row, and the line's text, for CONTEXT lines. */
  line: number;
  text: string;
}

/** The SQL of one target table's loads and probes; built once per COPY. */
export class ChunkStatements {
  private readonly encoder: JsonRowEncoder;

  constructor(
    private readonly target: CopyTarget,
    /** COPY ... FROM STDIN WHERE condition, as written: rows that fail it are not inserted. */
    private readonly where: string | null = null,
  ) {
    this.encoder = new JsonRowEncoder(target.columns.length);
  }

  /** The JSON object of one row ({"1": "text", "2": null, ...}) and its size on the wire. */
  rowJson(values: CopyRow): { json: string; wireBytes: number } {
    return this.encoder.encode(values);
  }

  /** INSERT of the chunk's rows, in order, into the COPY's columns; others take their defaults. */
  insert(): string {
    const { table, columns } = this.target;
    // A table of no columns (CREATE TABLE t ()) takes rows with nothing in them: one per element.
    if (columns.length === 0) {
      const filter = this.where === null ? '' : ` WHERE ${this.where}`;
      return `INSERT INTO ${table} SELECT FROM pg_catalog.json_array_elements(CAST(:rows AS pg_catalog.json)) AS e${filter}`;
    }
    const names = columns.map((c) => quoteIdentifier(c.name));
    // COPY writes identity columns as given, GENERATED ALWAYS ones too (pg_dump's data does).
    const head = `INSERT INTO ${table} (${names.join(', ')}) OVERRIDING SYSTEM VALUE SELECT `;
    if (this.where === null) return head + `${this.selectList(columns.length)} ${this.from(columns.length)}`;
    // The condition names the table's columns (or the table): the rows get those names first.
    const named = this.selectItems(columns.length)
      .map((value, i) => `${value} AS ${names[i]}`)
      .join(', ');
    const relation = quoteIdentifier(this.target.relationName);
    return head + `${names.map((n) => `${relation}.${n}`).join(', ')} FROM (SELECT ${named} ${this.from(columns.length)}) AS ${relation} WHERE ${this.where}`;
  }

  /**
   * Converts the first `columnCount` values of the rows without inserting anything: it fails as
   * the first failing column's input function does (count() makes every cast run).
   */
  convertOnly(columnCount: number): string {
    return `SELECT pg_catalog.count(ROW(${this.selectList(columnCount)})) ${this.from(columnCount)}`;
  }

  parameter(rows: readonly PendingRow[]): SqlParameter[] {
    return rowsParameter(rows);
  }

  private selectList(columnCount: number): string {
    return this.selectItems(columnCount).join(', ');
  }

  private selectItems(columnCount: number): string[] {
    return this.target.columns.slice(0, columnCount).map((c, i) => (c.jsonLike ? `CAST(r."${i + 1}" AS ${c.type})` : `r."${i + 1}"`));
  }

  private from(columnCount: number): string {
    const definitions = this.target.columns.slice(0, columnCount).map((c) => (c.jsonLike ? 'pg_catalog.text' : c.type));
    return `FROM ${jsonRecordset('r', definitions)}`;
  }
}
