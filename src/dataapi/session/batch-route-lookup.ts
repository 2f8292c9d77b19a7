// The route of one batchable INSERT (batch-route.ts) for the session: its parameter types made
// complete the way PostgreSQL infers them (the session's Describe, cached), then the catalog read
// once per statement and types and kept in the session's BatchRoutes.
import { parseStatement, type ParsedStatement } from '../sql/index.js';
import { parseSingleRowInsert, type SingleRowInsert } from '../sql/set-based-insert.js';
import { readBatchRoute, type BatchRoute } from './batch-route.js';
import type { RunnerContext } from './outcome.js';
import { isDatabaseError } from './first-failing-row.js';

export interface RoutedBatch {
  route: BatchRoute;
  /** The statement as the database must see it (a temp table qualified by the session's schema). */
  statement: ParsedStatement;
  /** Every parameter's type, inferred ones included (for set-based rows). */
  paramTypes: number[];
}

/** Null when nothing can be said (the table is unknown): the rounds then run one at a time. */
export async function lookUpBatchRoute(ctx: RunnerContext, statement: ParsedStatement, declared: readonly number[]): Promise<RoutedBatch | null> {
  const text = ctx.sessionObjects?.rewriteText(statement.text) ?? statement.text;
  const own = text === statement.text ? statement : parseStatement(text);
  const insert = parseSingleRowInsert(own.text, own.tokens);
  if (!insert) return { route: { kind: 'batch', reason: 'not a plain INSERT ... VALUES' }, statement: own, paramTypes: [...declared] };
  let paramTypes = [...declared];
  if (paramTypes.some((t) => t === 0) && ctx.describe) {
    // As Parse would infer them; a statement that cannot be described keeps today's batch path.
    paramTypes = await ctx.describe(statement, paramTypes).then((d) => d.paramTypes, () => paramTypes);
  }
  const key = `${own.text}\u0000${paramTypes.join(',')}`;
  const cached = ctx.batchRoutes?.get(key);
  if (cached) return { route: cached, statement: own, paramTypes };
  // A catalog read that fails (privileges on the catalog, say) leaves the rounds to run one at a time.
  const read = await readRouteKeepingTransaction(ctx, insert, paramTypes).catch((err: unknown) => {
    if (isDatabaseError(err)) return null;
    throw err;
  });
  if (!read) return null;
  const route = read.kind === 'set-based' && batchExecuteOnly() ? { kind: 'batch' as const, reason: 'APGP_BATCH_INSERT=batch-execute' } : read;
  ctx.batchRoutes?.set(key, route);
  return { route, statement: own, paramTypes };
}

const ROUTE_SAVEPOINT = 'aurora_pg_proxy_route';

/**
 * Inside the client's transaction (or one the proxy opened for the pipeline) a catalog read that
 * failed, on a statement_timeout say, would abort that transaction for a statement the client
 * never sent: there it runs under a savepoint, as describe.ts's probes do, and a failure is rolled
 * back to it. A transaction that has failed already gets no read: its rounds fail as PostgreSQL
 * fails them, one at a time.
 */
async function readRouteKeepingTransaction(ctx: RunnerContext, insert: SingleRowInsert, paramTypes: readonly number[]): Promise<BatchRoute | null> {
  const tx = ctx.tx;
  if (!tx.open) return readBatchRoute(ctx, insert, paramTypes);
  if (tx.status === 'E') return null;
  const run = (sql: string) => tx.execute({ sql }, ctx.onResuming);
  await run(`SAVEPOINT ${ROUTE_SAVEPOINT}`);
  let route: BatchRoute | null;
  try {
    route = await readBatchRoute(ctx, insert, paramTypes);
  } catch (err) {
    if (isDatabaseError(err)) {
      await run(`ROLLBACK TO SAVEPOINT ${ROUTE_SAVEPOINT}`);
      await run(`RELEASE SAVEPOINT ${ROUTE_SAVEPOINT}`);
    }
    throw err;
  }
  await run(`RELEASE SAVEPOINT ${ROUTE_SAVEPOINT}`);
  return route;
}

/**
 * The BatchExecuteStatement path kept for tables it suits, also reachable for every batch through
 * the internal APGP_BATCH_INSERT=batch-execute switch, to measure set-based batches against it
 * (bench/batch-insert.ts).
 */
function batchExecuteOnly(): boolean {
  return process.env.APGP_BATCH_INSERT === 'batch-execute';
}
