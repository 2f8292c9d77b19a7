// Describe of a prepared statement (ParameterDescription + RowDescription) before any values are
// bound. The Data API has no such call, so the proxy asks PostgreSQL in a throwaway
// transaction: PREPARE the statement, read the parameter types PostgreSQL inferred from
// pg_prepared_statements, and for a statement with rows run it with NULL parameters under
// LIMIT 0 (a SELECT) or as is (rolled back) to learn its columns. The answer is cached per
// statement text and declared types, so only the first Describe costs calls.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import type { DataApiClient } from '../client/data-api-client.js';
import { renderPlaceholders, toDataApiSql, type ClassifiedStatement } from '../sql/index.js';
import { typeByOid } from '../types/index.js';

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

interface StatementToDescribe {
  text: string;
  classified: ClassifiedStatement;
  paramTypes: number[];
  paramCount: number;
}

const PROBE = 'aurora_pg_proxy_describe';
const SELECT_LIKE = new Set(['SELECT', 'VALUES', 'TABLE']);

export async function describeStatement(
  cache: DescribeCache,
  client: DataApiClient,
  st: StatementToDescribe,
  onResuming: () => void,
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

  const txId = await client.begin(onResuming);
  try {
    let paramTypes = declared;
    if (needsTypes) {
      const typeList = declared.map((oid) => (oid === 0 ? 'unknown' : (typeByOid(oid)?.castName ?? 'unknown')));
      const prepared = toDataApiSql(st.text).sql;
      const head = typeList.length > 0 ? `PREPARE ${PROBE} (${typeList.join(', ')}) AS ` : `PREPARE ${PROBE} AS `;
      await client.execute({ sql: head + prepared, transactionId: txId });
      const out = await client.execute({
        sql: `SELECT array_to_string(ARRAY(SELECT t::oid FROM unnest(parameter_types) AS t), ',') FROM pg_catalog.pg_prepared_statements WHERE name = '${PROBE}'`,
        transactionId: txId,
      });
      const text = out.records?.[0]?.[0]?.stringValue ?? '';
      const inferred = text === '' ? [] : text.split(',').map(Number);
      paramTypes = declared.map((oid, i) => (oid !== 0 ? oid : (inferred[i] ?? 25)));
    }
    let columns: ColumnMetadata[] | null = null;
    if (needsColumns) {
      const nulls = (n: number) => {
        const t = typeByOid(paramTypes[n - 1] ?? 0);
        return t ? `CAST(NULL AS ${t.castName})` : 'NULL';
      };
      const isSelect = st.classified.kind === 'generic' && SELECT_LIKE.has(st.classified.verb);
      const body = toDataApiSql(renderPlaceholders(st.text, nulls).sql).sql;
      const sql = isSelect ? `SELECT * FROM (${body}) AS ${PROBE} LIMIT 0` : body;
      const out = await client.execute({ sql, transactionId: txId });
      columns = out.columnMetadata && out.columnMetadata.length > 0 ? out.columnMetadata : null;
    }
    const result = { paramTypes, columns };
    cache.set(key, result);
    return result;
  } finally {
    await client.rollback(txId).catch(() => undefined);
  }
}
