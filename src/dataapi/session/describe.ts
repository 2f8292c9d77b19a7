// Describe of a prepared statement (ParameterDescription + RowDescription) before any values are
// bound. The Data API has no such call, so the proxy asks PostgreSQL in a throwaway
// transaction (or, inside the client's transaction, under a savepoint), and never by running
// a statement that changes data:
// - parameter types: PREPARE (parse analysis only) and pg_prepared_statements.parameter_types;
// - result columns of a SELECT: the statement under `SELECT * FROM (...) LIMIT 0`, which reads no
//   row, so its target list (volatile functions, FOR UPDATE locks) is never evaluated;
// - result columns of INSERT / UPDATE / DELETE / MERGE ... RETURNING, or of a statement with a
//   data-modifying WITH: the SELECT over the same relations that returning-probe.ts writes,
//   under the same LIMIT 0. A data-changing statement is always PREPAREd first, so that its own
//   errors come back as PostgreSQL reports them; on PostgreSQL 16+ the column count is checked
//   against pg_prepared_statements.result_types. What cannot be rewritten is refused (0A000).
// - EXPLAIN: answered without a call (one column, QUERY PLAN);
// - CALL and SQL EXECUTE: from the catalogues (describe-call.ts).
// The answer is cached per statement text and declared types, so only the first Describe costs calls.
import type { ColumnMetadata, ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';
import type { DataApiClient } from '../client/data-api-client.js';
import { offsetToPosition, parseStatement, renderPlaceholders, toDataApiSql, type ParsedStatement } from '../sql/index.js';
import { typeByOid } from '../types/index.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { abortedTransactionError, locateError, StatementError } from './statement-runner.js';
import type { Transaction } from './transaction.js';
import { insertParameterTypes } from './insert-param-types.js';
import { bareTargetParameters } from '../sql/bare-targets.js';
import { returningProbe } from '../sql/returning-probe.js';
import { describeCall, preparedBehindExecute } from './describe-call.js';
import { tokenize, isTrivia } from '../sql/lexer.js';

export interface DescribedStatement {
  paramTypes: number[];
  columns: ColumnMetadata[] | null;
  /** Whether PostgreSQL parsed the statement to answer (PREPARE or the probe ran on it). */
  checked: boolean;
}

export class DescribeCache {
  private readonly entries = new Map<string, DescribedStatement>();

  constructor(private readonly maxEntries = 1000) {}

  get(key: string): DescribedStatement | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: DescribedStatement): void {
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** The statement as parsed once (its tokens are read, not lexed again), with the types known so far. */
type StatementToDescribe = ParsedStatement & {
  paramTypes: number[];
  paramCount: number;
};

const PROBE = 'aurora_pg_proxy_describe';
const SELECT_LIKE = new Set(['SELECT', 'VALUES', 'TABLE']);

export async function describeStatement(
  cache: DescribeCache,
  client: DataApiClient,
  st: StatementToDescribe,
  onResuming: () => void,
  /** The session's transaction: when one is open, the probe runs inside it (under a savepoint). */
  tx?: Transaction,
): Promise<DescribedStatement> {
  const declared = Array.from({ length: st.paramCount }, (_, i) => st.paramTypes[i] ?? 0);
  const key = `${declared.join(',')}|${st.text}`;
  const cached = cache.get(key);
  if (cached) return cached;

  // CALL and SQL EXECUTE: answered from the catalogues, never by running them (describe-call.ts).
  const readCatalog = (sql: string) => (tx?.open ? tx.execute({ sql }, onResuming) : client.execute({ sql }, onResuming));
  if (st.classified.kind === 'execute' || (st.classified.kind === 'generic' && st.classified.verb === 'CALL')) {
    if (tx?.status === 'E') throw abortedTransactionError();
    if (st.classified.kind === 'execute') {
      // Not cached: the name may be prepared again with another query.
      const behind = await preparedBehindExecute(st.classified, tx?.open ? readCatalog : null);
      return describeStatement(cache, client, { ...behind, paramTypes: declared, paramCount: st.paramCount }, onResuming, tx);
    }
    const shape = await describeCall(st, declared, readCatalog, async (expressions, known) => {
      const select = parseStatement(`SELECT ${expressions.map((e) => `(${e})`).join(', ')}`);
      const inferred = await describeStatement(cache, client, { ...select, paramTypes: known, paramCount: known.length }, onResuming, tx);
      return inferred.paramTypes;
    });
    const result = { ...shape, checked: true };
    cache.set(key, result);
    return result;
  }

  const needsTypes = declared.some((t) => t === 0);
  const needsColumns = st.classified.returnsRows !== false && st.classified.kind !== 'empty';
  if (!needsTypes && !needsColumns) {
    const result = { paramTypes: declared, columns: null, checked: false };
    cache.set(key, result);
    return result;
  }
  if (needsColumns && !needsTypes && st.classified.kind === 'generic' && st.classified.verb === 'EXPLAIN') {
    const result = { paramTypes: declared, columns: explainColumns(st.text), checked: false };
    cache.set(key, result);
    return result;
  }
  if (!needsColumns && tx?.status !== 'E') {
    // A plain INSERT ... VALUES: one catalog read instead of the probe's five calls.
    let checked = false;
    const paramTypes = await insertParameterTypes(st.text, declared, readCatalog, () => (checked = true), st.tokens);
    if (paramTypes) {
      const result = { paramTypes, columns: null, checked };
      cache.set(key, result);
      return result;
    }
  }
  // Whether the statement changes data: then it is only ever PREPAREd and rewritten, never run.
  const rewrite = st.classified.kind === 'generic' ? returningProbe(st.text) : ({ kind: 'no-dml' } as const);
  const changesData = rewrite.kind !== 'no-dml';
  if (needsColumns && rewrite.kind === 'unsupported') throw cannotDescribe(rewrite.reason);

  // Inside the client's transaction the statement may use what the transaction created, so the
  // probe runs there, between a savepoint and a rollback to it; otherwise in a throwaway one.
  const inClientTx = tx?.open === true;
  if (inClientTx && tx.status === 'E') throw abortedTransactionError();
  let run: (sql: string) => Promise<ExecuteStatementCommandOutput>;
  let finish: () => Promise<void>;
  if (inClientTx) {
    run = (sql) => tx.execute({ sql }, onResuming);
    await run(`SAVEPOINT ${PROBE}`);
    finish = async () => {
      await run(`ROLLBACK TO SAVEPOINT ${PROBE}`);
      await run(`RELEASE SAVEPOINT ${PROBE}`);
    };
  } else {
    const txId = await client.begin(onResuming);
    run = (sql) => client.execute({ sql, transactionId: txId });
    finish = () => client.rollback(txId);
  }
  try {
    let paramTypes = declared;
    let resultTypeCount: number | null = null;
    if (needsTypes || changesData) {
      const typeList = declared.map((oid) => (oid === 0 ? 'unknown' : (typeByOid(oid)?.castName ?? 'unknown')));
      const prepared = toDataApiSql(st.text, {}, st.tokens);
      const head = typeList.length > 0 ? `PREPARE ${PROBE} (${typeList.join(', ')}) AS ` : `PREPARE ${PROBE} AS `;
      await run(head + prepared.sql).catch((e: unknown) => {
        throw locateError(e, head + prepared.sql, (o) => prepared.originalOffset(Math.max(0, o - head.length)));
      });
      // A prepared statement outlives a rollback: drop it, or the backend keeps it.
      // result_types exists from PostgreSQL 16 on; read through to_jsonb, the query works on 13 too.
      const out = await run(
        `SELECT array_to_string(ARRAY(SELECT t::oid FROM unnest(p.parameter_types) AS t), ','), ` +
          `CASE WHEN jsonb_typeof(to_jsonb(p) -> 'result_types') = 'array' THEN jsonb_array_length(to_jsonb(p) -> 'result_types') END FROM pg_catalog.pg_prepared_statements p WHERE p.name = '${PROBE}'`,
      ).finally(() => run(`DEALLOCATE ${PROBE}`).catch(() => undefined));
      const text = out.records?.[0]?.[0]?.stringValue ?? '';
      const inferred = text === '' ? [] : text.split(',').map(Number);
      paramTypes = declared.map((oid, i) => (oid !== 0 ? oid : (inferred[i] ?? 25)));
      const count = out.records?.[0]?.[1];
      resultTypeCount = count?.longValue ?? (count?.stringValue !== undefined ? Number(count.stringValue) : null);
    }
    let columns: ColumnMetadata[] | null = null;
    if (needsColumns) {
      // `SELECT $1` names its column ?column?; a CAST would name it after the type.
      const bare = bareTargetParameters(st.text, st.tokens);
      let occurrence = 0;
      const nulls = (n: number) => {
        const t = typeByOid(paramTypes[n - 1] ?? 0);
        const alias = bare[occurrence++] === true ? ' AS "?column?"' : '';
        return t ? `CAST(NULL AS ${t.castName})${alias}` : 'NULL';
      };
      const withNulls = renderPlaceholders(st.text, nulls, st.tokens);
      let probeText = withNulls.sql;
      let toOriginal = (o: number) => withNulls.originalOffset(o);
      if (changesData) {
        const rewritten = returningProbe(withNulls.sql);
        if (rewritten.kind !== 'probe') throw cannotDescribe(rewritten.kind === 'unsupported' ? rewritten.reason : 'the statement changed shape');
        probeText = rewritten.sql;
        toOriginal = () => 0; // the rewritten text has no place in the client's
      }
      // A data-changing statement, rewritten, is a SELECT: it too is read under LIMIT 0 only.
      const isSelect = changesData || (st.classified.kind === 'generic' && SELECT_LIKE.has(st.classified.verb));
      const body = toDataApiSql(probeText);
      const head = isSelect ? 'SELECT * FROM (' : '';
      // The newline ends a `--` comment the statement may end with.
      const sql = isSelect ? `${head}${body.sql}\n) AS ${PROBE} LIMIT 0` : body.sql;
      const closing = head.length + body.sql.length + 1;
      const out = await run(sql).catch((e: unknown) => {
        // The statement ended too early: PostgreSQL, reading it alone, reaches the end of input.
        if (isSelect && e instanceof ClientFacingError && e.sqlstate === SqlState.SYNTAX_ERROR && e.extra.position === offsetToPosition(sql, closing)) {
          throw new StatementError(SqlState.SYNTAX_ERROR, 'syntax error at end of input', st.text.length);
        }
        throw locateError(e, sql, (o) => toOriginal(body.originalOffset(Math.max(0, o - head.length))));
      });
      // A SELECT of no columns (`SELECT FROM t`) still describes a row: with no columns.
      const hasRows = out.columnMetadata !== undefined && (out.columnMetadata.length > 0 || (isSelect && out.records !== undefined));
      columns = hasRows ? (out.columnMetadata ?? []) : null;
      if (changesData && resultTypeCount !== null && resultTypeCount !== (columns?.length ?? 0)) {
        throw cannotDescribe(`the rewritten statement has ${columns?.length ?? 0} columns, PostgreSQL reports ${resultTypeCount}`);
      }
    }
    const result = { paramTypes, columns, checked: true };
    cache.set(key, result);
    return result;
  } finally {
    await finish().catch(() => undefined);
  }
}

function cannotDescribe(reason: string): StatementError {
  return new StatementError(
    SqlState.FEATURE_NOT_SUPPORTED,
    `cannot describe the result columns of this statement without running it (${reason})`,
    undefined,
    {
      hint:
        'In Data API mode the proxy describes a RETURNING list by reading it as a SELECT; describe the portal after Bind instead ' +
        '(the statement then runs once, for real), or write the statement in a simpler form.',
    },
  );
}

/** EXPLAIN's one column, as PostgreSQL names and types it for the FORMAT asked for. */
function explainColumns(text: string): ColumnMetadata[] {
  const words = tokenize(text)
    .filter((t) => !isTrivia(t))
    .map((t) => (t.kind === 'identifier' ? t.word : t.text));
  const format = words.indexOf('format');
  const kind = format >= 0 && words[1] === '(' ? words[format + 1] : 'text';
  const typeName = kind === 'json' ? 'json' : kind === 'xml' ? 'xml' : 'text';
  return [{ name: 'QUERY PLAN', label: 'QUERY PLAN', typeName }];
}
