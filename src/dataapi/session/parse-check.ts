// The Data API's check of a statement whose ParseComplete is held (protocol/held-parse.ts):
// PREPARE, which analyses without running, where the statement would run.
import type { DataApiClient } from '../client/data-api-client.js';
import { toDataApiSql } from '../sql/index.js';
import { typeByOid } from '../types/index.js';
import { locateError } from './outcome.js';
import type { Transaction } from './transaction.js';

const CHECK = 'aurora_pg_proxy_parse_check';

/**
 * Statements (per Data API client, so per database) PREPARE accepted lately: a client that
 * prepares the same statement on every connection pays for the check once.
 */
const recentlyChecked = new WeakMap<DataApiClient, Set<string>>();
const MAX_REMEMBERED = 1000;

function remember(client: DataApiClient, key: string): void {
  let seen = recentlyChecked.get(client);
  if (!seen) recentlyChecked.set(client, (seen = new Set()));
  seen.add(key);
  if (seen.size > MAX_REMEMBERED) seen.delete(seen.values().next().value!);
}

/**
 * PREPAREs the statement where it would run (inside the client's transaction, under a
 * savepoint; otherwise in a throwaway transaction) and throws PostgreSQL's error when it fails.
 */
export async function checkStatement(
  client: DataApiClient,
  tx: Transaction,
  text: string,
  paramTypes: number[],
  onResuming: () => void,
): Promise<void> {
  // In a failed transaction PostgreSQL itself refuses the statement (25P02) when it runs.
  if (tx.open && tx.status === 'E') return;
  const key = `${paramTypes.join(',')}|${text}`;
  if (recentlyChecked.get(client)?.has(key)) return;
  const typeList = paramTypes.map((oid) => (oid === 0 ? 'unknown' : (typeByOid(oid)?.castName ?? 'unknown')));
  const prepared = toDataApiSql(text);
  const head = typeList.length > 0 ? `PREPARE ${CHECK} (${typeList.join(', ')}) AS ` : `PREPARE ${CHECK} AS `;
  const sql = head + prepared.sql;
  const located = (e: unknown) => locateError(e, sql, (o) => prepared.originalOffset(Math.max(0, o - head.length)));
  if (tx.open) {
    const run = (s: string) => tx.execute({ sql: s }, onResuming);
    await run(`SAVEPOINT ${CHECK}`);
    try {
      await run(sql);
      await run(`DEALLOCATE ${CHECK}`);
      remember(client, key);
    } catch (e) {
      await run(`ROLLBACK TO SAVEPOINT ${CHECK}`).catch(() => undefined);
      throw located(e);
    } finally {
      await run(`RELEASE SAVEPOINT ${CHECK}`).catch(() => undefined);
    }
    return;
  }
  const txId = await client.begin(onResuming);
  const run = (s: string) => client.execute({ sql: s, transactionId: txId });
  try {
    await run(sql).catch((e: unknown) => {
      throw located(e);
    });
    // A prepared statement outlives a rollback: drop it, or the pooled session keeps it.
    await run(`DEALLOCATE ${CHECK}`);
    remember(client, key);
  } finally {
    await client.rollback(txId).catch(() => undefined);
  }
}
