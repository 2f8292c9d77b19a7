// Describe of a prepared statement (ParameterDescription + RowDescription) before any values are
// bound. The Data API has no such call, so the proxy asks PostgreSQL in a throwaway
// transaction (or, inside the client's transaction, under a savepoint): PREPARE the statement,
// read the parameter types PostgreSQL inferred from pg_prepared_statements, and for a statement
// with rows run it with NULL parameters under LIMIT 0 (a SELECT) or as is (rolled back) to learn
// its columns. Rolling back undoes the probe's changes, but not what is not transactional: an
// INSERT ... RETURNING probed this way still takes values from its sequences. The answer is
// cached per statement text and declared types, so only the first Describe costs calls.
import type { ColumnMetadata, ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';
import type { DataApiClient } from '../client/data-api-client.js';
import { offsetToPosition, renderPlaceholders, toDataApiSql, type ParsedStatement } from '../sql/index.js';
import { typeByOid } from '../types/index.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { abortedTransactionError, locateError, StatementError } from './statement-runner.js';
import type { Transaction } from './transaction.js';
import { insertParameterTypes } from './insert-param-types.js';
import { bareTargetParameters } from '../sql/bare-targets.js';

export interface DescribedStatement {
  paramTypes: number[];
  columns: ColumnMetadata[] | null;
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

  const needsTypes = declared.some((t) => t === 0);
  const needsColumns = st.classified.returnsRows !== false && st.classified.kind !== 'empty';
  if (!needsTypes && !needsColumns) {
    const result = { paramTypes: declared, columns: null };
    cache.set(key, result);
    return result;
  }
  if (!needsColumns && tx?.status !== 'E') {
    // A plain INSERT ... VALUES: one catalog read instead of the probe's five calls.
    const read = (sql: string) => (tx?.open ? tx.execute({ sql }, onResuming) : client.execute({ sql }, onResuming));
    const paramTypes = await insertParameterTypes(st.text, declared, read, st.tokens);
    if (paramTypes) {
      const result = { paramTypes, columns: null };
      cache.set(key, result);
      return result;
    }
  }

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
    if (needsTypes) {
      const typeList = declared.map((oid) => (oid === 0 ? 'unknown' : (typeByOid(oid)?.castName ?? 'unknown')));
      const prepared = toDataApiSql(st.text, {}, st.tokens);
      const head = typeList.length > 0 ? `PREPARE ${PROBE} (${typeList.join(', ')}) AS ` : `PREPARE ${PROBE} AS `;
      await run(head + prepared.sql).catch((e: unknown) => {
        throw locateError(e, head + prepared.sql, (o) => prepared.originalOffset(Math.max(0, o - head.length)));
      });
      // A prepared statement outlives a rollback: drop it, or the backend keeps it.
      const out = await run(
        `SELECT array_to_string(ARRAY(SELECT t::oid FROM unnest(parameter_types) AS t), ',') FROM pg_catalog.pg_prepared_statements WHERE name = '${PROBE}'`,
      ).finally(() => run(`DEALLOCATE ${PROBE}`).catch(() => undefined));
      const text = out.records?.[0]?.[0]?.stringValue ?? '';
      const inferred = text === '' ? [] : text.split(',').map(Number);
      paramTypes = declared.map((oid, i) => (oid !== 0 ? oid : (inferred[i] ?? 25)));
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
      const isSelect = st.classified.kind === 'generic' && SELECT_LIKE.has(st.classified.verb);
      const withNulls = renderPlaceholders(st.text, nulls, st.tokens);
      const body = toDataApiSql(withNulls.sql);
      const head = isSelect ? 'SELECT * FROM (' : '';
      // The newline ends a `--` comment the statement may end with.
      const sql = isSelect ? `${head}${body.sql}\n) AS ${PROBE} LIMIT 0` : body.sql;
      const closing = head.length + body.sql.length + 1;
      const out = await run(sql).catch((e: unknown) => {
        // The statement ended too early: PostgreSQL, reading it alone, reaches the end of input.
        if (isSelect && e instanceof ClientFacingError && e.sqlstate === SqlState.SYNTAX_ERROR && e.extra.position === offsetToPosition(sql, closing)) {
          throw new StatementError(SqlState.SYNTAX_ERROR, 'syntax error at end of input', st.text.length);
        }
        throw locateError(e, sql, (o) => withNulls.originalOffset(body.originalOffset(Math.max(0, o - head.length))));
      });
      // A SELECT of no columns (`SELECT FROM t`) still describes a row: with no columns.
      const hasRows = out.columnMetadata !== undefined && (out.columnMetadata.length > 0 || (isSelect && out.records !== undefined));
      columns = hasRows ? (out.columnMetadata ?? []) : null;
    }
    const result = { paramTypes, columns };
    cache.set(key, result);
    return result;
  } finally {
    await finish().catch(() => undefined);
  }
}
