// A multi-row INSERT ... VALUES longer than the 65536 characters the Data API accepts in one
// statement runs as several INSERTs of the same target, columns and tail, in one transaction
// (the client's, or one opened for it), so it still succeeds or fails whole. Rows keep their
// order, RETURNING rows come back in that order, and the row count is the sum. What differs from
// one statement: statement-level triggers fire once per part.
import type { ColumnMetadata, Field, SqlParameter } from '@aws-sdk/client-rds-data';
import { tokenize } from '../sql/lexer.js';
import { chunkValuesRows, valuesRows } from '../sql/values-rows.js';
import type { RenderedStatement } from './render.js';
import { locateError, type RunnerContext } from './outcome.js';

/** The service's limit on a statement's length, in characters. */
export const DATA_API_SQL_LIMIT = 65536;
/** Each part stays this far under it: room for what the transport or settings add. */
const PART_LIMIT = 60000;

export interface LongInsertResult {
  columns: ColumnMetadata[] | null;
  records: Field[][];
  affected: number;
}

/** Whether `rendered` is too long for one call and can be sent in parts. */
export function needsParts(rendered: RenderedStatement): boolean {
  return rendered.sql.length > DATA_API_SQL_LIMIT;
}

/**
 * Runs the INSERT in parts; null when it is not a multi-row INSERT ... VALUES that can be split
 * (the caller then sends it whole and the service refuses it with a clear 54000).
 */
export async function runInsertInParts(
  ctx: RunnerContext,
  rendered: RenderedStatement,
  begin: () => Promise<void>,
): Promise<LongInsertResult | null> {
  const tokens = tokenize(rendered.sql);
  const split = valuesRows(rendered.sql, tokens);
  const parts = split && chunkValuesRows(rendered.sql, split, PART_LIMIT);
  if (!parts || parts.length < 2) return null;
  const { tx } = ctx;
  const own = !tx.open;
  if (own) await begin();
  const result: LongInsertResult = { columns: null, records: [], affected: 0 };
  try {
    for (const part of parts) {
      const out = await tx
        .execute({ sql: part.sql, parameters: parametersUsed(part.sql, rendered.parameters) }, ctx.onResuming)
        .catch((e: unknown) => {
          throw locateError(e, part.sql, (o) => rendered.originalOffset(part.originalOffset(o)));
        });
      result.affected += out.numberOfRecordsUpdated ?? 0;
      if (out.columnMetadata && out.columnMetadata.length > 0) {
        result.columns ??= out.columnMetadata;
        for (const record of out.records ?? []) result.records.push(record);
      }
    }
    if (own) await tx.commit();
  } catch (err) {
    if (own && tx.open) await tx.rollback().catch(() => undefined);
    throw err;
  }
  return result;
}

/** The `:name` parameters a part refers to: the service refuses parameters a statement does not use. */
function parametersUsed(sql: string, parameters: SqlParameter[] | undefined): SqlParameter[] | undefined {
  if (!parameters || parameters.length === 0) return parameters;
  const names = new Set<string>();
  const tokens = tokenize(sql);
  for (let i = 0; i + 1 < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1]!;
    if (t.kind === 'operator' && t.text === ':' && next.kind === 'identifier' && next.start === t.end) names.add(next.text);
  }
  return parameters.filter((p) => p.name !== undefined && names.has(p.name));
}
