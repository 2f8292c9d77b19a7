// The rows of a set-based batch (batch-runner.ts) as JSON rows in chunks whose `:rows`
// parameter stays under the request limit (json-rows.ts).
import { EMPTY_ROWS_BYTES, JsonRowEncoder, ROWS_PARAMETER_BYTES, type EncodedRow } from './json-rows.js';

export function chunkRows(rows: readonly (string | null)[][], width: number, budget = ROWS_PARAMETER_BYTES): EncodedRow[][] {
  const encoder = new JsonRowEncoder(width);
  const chunks: EncodedRow[][] = [];
  let current: EncodedRow[] = [];
  let bytes = EMPTY_ROWS_BYTES;
  for (const values of rows) {
    const row = encoder.encode(values);
    if (current.length > 0 && bytes + row.wireBytes > budget) {
      chunks.push(current);
      current = [];
      bytes = EMPTY_ROWS_BYTES;
    }
    current.push(row);
    bytes += row.wireBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
