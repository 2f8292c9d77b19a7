// The SQL of a set-based batch of one single-row INSERT (sql/set-based-insert.ts parses it): the
// VALUES row becomes the select list over the rows of the `:rows` JSON parameter, each `$n` the
// row source's column "n" typed as the parameter (json_to_recordset hands each value's text to
// that type's input function, as Bind does), the rows in the clients' order.
import { toDataApiSql } from '../sql/index.js';
import type { SingleRowInsert } from '../sql/set-based-insert.js';
import { orderedJsonRecordset } from './json-rows.js';

/** How one parameter's values travel. */
export interface ParameterColumn {
  /** The type of the row source's column: the parameter's type, or text for json-like ones. */
  definition: string;
  /** json, jsonb or a domain over one (json_to_recordset would keep the JSON string): cast from text. */
  castTo?: string;
}

const ROWS = 'apgp_batch_rows';
const ORDINALITY = 'apgp_batch_ordinality';

/**
 * The INSERT of all rows of the `:rows` parameter (a JSON array of objects keyed "1".."n" by
 * parameter number), in their order. `parameters[n - 1]` describes `$n`.
 */
export function setBasedInsertSql(insert: SingleRowInsert, parameters: readonly ParameterColumn[]): string {
  const reference = (n: number) => {
    const p = parameters[n - 1];
    if (!p) throw new RangeError(`no type for parameter $${n}`);
    const column = `${ROWS}."${n}"`;
    return p.castTo ? `CAST(${column} AS ${p.castTo})` : column;
  };
  const head = toDataApiSql(insert.head).sql;
  const row = toDataApiSql(insert.row, { renderParameter: reference }).sql;
  const source = orderedJsonRecordset(ROWS, parameters.map((p) => p.definition), ORDINALITY);
  return `${head}SELECT ${row} FROM ${source} ORDER BY ${ROWS}.${ORDINALITY}`;
}
