// EXECUTE of a statement made with SQL PREPARE (pg_dump prepares its per-object catalogue
// queries this way) cannot have its columns cast to text from outside, as a SELECT can when the
// Data API refuses a column type. The database still holds the PREPARE it ran: read its query
// back from pg_prepared_statements, put EXECUTE's arguments in place of its $n, and the caller
// runs that query as an ordinary SELECT.
import { classifyStatement, findPlaceholders, quoteLiteral, renderPlaceholders, toDataApiSql, type ClassifiedStatement } from '../sql/index.js';
import type { RenderedStatement } from './render.js';
import type { Transaction } from './transaction.js';

type ExecuteStatement = Extract<ClassifiedStatement, { kind: 'execute' }>;

const SELECT_LIKE = new Set(['SELECT', 'VALUES', 'TABLE']);

export interface ExpandedExecute {
  rendered: RenderedStatement;
  /** The prepared query, classified: its command tag is EXECUTE's. */
  prepared: ClassifiedStatement;
}

/**
 * The prepared query of `statement` with its arguments written in, or null when it is not a
 * plain query (running anything else twice could repeat its effects) or cannot be read back.
 */
export async function expandExecute(tx: Transaction, statement: ExecuteStatement, onResuming: () => void): Promise<ExpandedExecute | null> {
  // A prepared statement lives in one database session: only a transaction is sure to reach it.
  if (!tx.open || statement.arguments.some((a) => findPlaceholders(a).highest > 0)) return null;
  const out = await tx
    .execute(
      {
        sql:
          'SELECT p.statement, ARRAY(SELECT pg_catalog.format_type(u.t, NULL) FROM unnest(p.parameter_types) WITH ORDINALITY AS u(t, n) ORDER BY u.n)::text[] ' +
          `FROM pg_catalog.pg_prepared_statements p WHERE p.name = ${quoteLiteral(statement.name)}`,
      },
      onResuming,
    )
    .catch(() => null);
  const row = out?.records?.[0];
  const text = row?.[0]?.stringValue;
  const types = row?.[1]?.arrayValue?.stringValues;
  if (text === undefined || types === undefined || types.length !== statement.arguments.length) return null;
  const prepare = classifyStatement(text);
  if (prepare.kind !== 'prepare') return null;
  const prepared = classifyStatement(prepare.statement);
  if (prepared.kind !== 'generic' || !SELECT_LIKE.has(prepared.verb)) return null;
  const query = renderPlaceholders(prepare.statement, (n) => `CAST((${statement.arguments[n - 1] ?? 'NULL'}) AS ${types[n - 1] ?? 'text'})`).sql;
  return { rendered: { sql: toDataApiSql(query).sql, parameters: [], originalOffset: () => 0 }, prepared };
}
