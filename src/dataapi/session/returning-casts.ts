// A data-changing statement whose RETURNING list holds a type the Data API refuses to return
// (interval, money, xml...). The service runs such a statement and only then refuses its result,
// so outside a transaction the write is committed while the client gets an error, and running it
// again would write twice. So the proxy learns the RETURNING columns first, without running
// anything (describe.ts, cached per statement text), and when one needs it, runs the statement
// once as `WITH q(c1, ...) AS (<statement>) SELECT c1, c2::text ... FROM q`: PostgreSQL's text
// output of those columns, sent with their real types as a SELECT of them would be.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import type { ClassifiedStatement, ParsedStatement } from '../sql/index.js';
import type { RenderedStatement } from './render.js';
import { columnsToCast } from './text-casts.js';
import type { RunnerContext } from './outcome.js';

const WRAP = 'aurora_pg_proxy_returning';

/** Whether the statement changes data and returns rows (a RETURNING list, a data-modifying WITH). */
export function returnsChangedRows(statement: ClassifiedStatement): boolean {
  return statement.kind === 'generic' && ['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'WITH'].includes(statement.verb) && statement.returnsRows === true;
}

export interface ReturningCasts {
  columns: ColumnMetadata[];
  render: () => RenderedStatement;
}

/**
 * The columns and the rewritten statement when some RETURNING column must be read as text;
 * null when the statement runs as it is.
 */
export async function planReturningCasts(
  ctx: RunnerContext,
  statement: ParsedStatement,
  paramTypes: number[],
  render: () => RenderedStatement,
): Promise<ReturningCasts | null> {
  if (!ctx.describe || !returnsChangedRows(statement.classified)) return null;
  // A statement the probe cannot describe runs as it is, and fails (or not) on its own.
  const described = await ctx.describe(statement, paramTypes).catch(() => null);
  const columns = described?.columns;
  if (!columns || columns.length === 0) return null;
  const castToText = new Set(columnsToCast(columns));
  if (castToText.size === 0) return null;
  const aliases = columns.map((_, i) => `c${i + 1}`);
  // A timestamptz read as text comes as UTC wall time, as the Data API sends one.
  const asText = (a: string, i: number) =>
    columns[i]?.typeName?.toLowerCase() === 'timestamptz' ? `(${a} AT TIME ZONE 'UTC')::text` : `${a}::text`;
  const list = aliases.map((a, i) => (castToText.has(i) ? asText(a, i) : a)).join(', ');
  return {
    columns,
    render: () => {
      const base = render();
      // The newline ends a `--` comment the statement may end with.
      return { sql: `WITH ${WRAP}(${aliases.join(', ')}) AS (${base.sql}\n) SELECT ${list} FROM ${WRAP}`, parameters: base.parameters, originalOffset: () => 0 };
    },
  };
}
