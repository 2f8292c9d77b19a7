// Errors at Parse. PostgreSQL parses and analyses a statement when Parse arrives and answers a
// bad one (syntax error, unknown table, column or function) with an ErrorResponse in place of
// ParseComplete, keeping no statement of that name. Clients rely on it: node-postgres records a
// named statement as prepared when ParseComplete arrives, and later skips its Parse.
//
// The proxy answers Parse without a Data API call. To say the same thing without a call per
// Parse, the session holds ParseComplete (and what follows it) back until the statement proves
// itself: its Describe or Execute in the same pipeline reaches the database anyway. When that
// call fails with a parse-analysis error, the held messages are dropped, the error takes
// ParseComplete's place, and the statement is forgotten. Only when something else comes first
// (Sync, Flush, another statement's messages) does the proxy check the statement on its own,
// with PREPARE, which analyses without running.
import type { DataApiClient } from '../client/data-api-client.js';
import { toDataApiSql, type ClassifiedStatement } from '../sql/index.js';
import { typeByOid } from '../types/index.js';
import { ClientFacingError } from '../../server/client-error.js';
import { locateError } from './outcome.js';
import type { Transaction } from './transaction.js';
import type { ClientWriter } from './client-writer.js';
import type { FrontendMessage } from '../../protocol/messages.js';

/** The one statement whose ParseComplete (and what followed it) the session holds back. */
export class HeldParse<S extends { name: string }> {
  private pending: S | null = null;

  constructor(private readonly out: ClientWriter) {}

  get statement(): S | null {
    return this.pending;
  }

  /** Called just before ParseComplete is queued. */
  hold(statement: S): void {
    this.out.hold();
    this.pending = statement;
  }

  /** Whether `msg` is the held statement's own Bind, Describe or Execute (which may prove it). */
  isOwn(msg: FrontendMessage, statementOfPortal: (portal: string) => S | undefined): boolean {
    const pending = this.pending;
    if (msg.type === 'Bind') return msg.statement === pending?.name;
    if (msg.type === 'Describe') return msg.target === 'S' ? msg.name === pending?.name : statementOfPortal(msg.name) === pending;
    if (msg.type === 'Execute') return statementOfPortal(msg.portal) === pending;
    return false;
  }

  /** The database accepted the statement: what was held goes out. */
  confirm(statement: S): void {
    if (this.pending !== statement) return;
    this.pending = null;
    this.out.release();
  }

  /**
   * A failure while the statement is held. A parse-analysis error drops the held messages (the
   * error takes ParseComplete's place) and returns the statement, which the session forgets;
   * any other error lets them go first and returns null.
   */
  settle(err: unknown): S | null {
    const pending = this.pending;
    if (!pending) return null;
    this.pending = null;
    if (!isParseAnalysisError(err)) {
      this.out.release();
      return null;
    }
    this.out.discardHeld();
    return pending;
  }
}

/** Statements PREPARE accepts, and so PostgreSQL analyses at Parse; utility statements wait for Execute. */
const PREPARABLE = new Set(['SELECT', 'VALUES', 'TABLE', 'INSERT', 'UPDATE', 'DELETE', 'MERGE']);

export function holdsParseComplete(s: ClassifiedStatement): boolean {
  return s.kind === 'generic' && PREPARABLE.has(s.verb);
}

/**
 * Whether an error from running or describing a statement is one PostgreSQL raises at Parse:
 * class 42 (syntax error, undefined object, type mismatch...) except missing privileges, which
 * the executor checks.
 */
export function isParseAnalysisError(err: unknown): boolean {
  return err instanceof ClientFacingError && err.sqlstate.startsWith('42') && err.sqlstate !== '42501';
}

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
