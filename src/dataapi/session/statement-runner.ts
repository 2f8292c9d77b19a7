// Runs one parsed statement for a session and says what the client must be told: the rows
// (as a RowSource), the command tag, notices and changed parameters. Both the simple and the
// extended protocol go through here, so a statement behaves the same whichever way it came.
// Each statement kind the proxy answers itself has a small handler (statements/); every other
// statement is a query for the Data API (statements/query.ts, generic-statement.ts).
import type { ClassifiedStatement, ParsedStatement } from '../sql/index.js';
import type { BoundValues } from './render.js';
import { abortedTransactionError, allowedInFailedTransaction, type RunOptions, type RunnerContext, type StatementOutcome } from './outcome.js';
import { runQuery, statementHandlers, StatementRun, type StatementHandler } from './statements/index.js';

export { StatementError, abortedTransactionError, locateError, type RunnerContext, type StatementOutcome } from './outcome.js';
export { beginWithSettings } from './generic-statement.js';

export async function runStatement(
  ctx: RunnerContext,
  statement: ParsedStatement,
  bound: BoundValues | null,
  options: RunOptions = {},
): Promise<StatementOutcome> {
  const classified = statement.classified;
  if (ctx.tx.status === 'E' && !allowedInFailedTransaction(classified)) throw abortedTransactionError();
  // Triggers, rules and constraints may change: batches read the catalog again (batch-route.ts).
  if (changesBatchRoutes(classified)) ctx.batchRoutes?.invalidate();
  const run = new StatementRun(statement, bound, options);
  // Temp objects, WITH HOLD cursors and table OIDs go through session-objects.ts first.
  if (ctx.sessionObjects) {
    return ctx.sessionObjects.run(ctx, classified, run.render, options, (c, s, render) => runClassified(c, s, run.withRender(render)));
  }
  return runClassified(ctx, classified, run);
}

function runClassified(ctx: RunnerContext, classified: ClassifiedStatement, run: StatementRun): Promise<StatementOutcome> {
  const handler = statementHandlers[classified.kind] as StatementHandler<ClassifiedStatement> | undefined;
  return handler ? handler(ctx, classified, run) : runQuery(ctx, classified, run);
}

function changesBatchRoutes(s: ClassifiedStatement): boolean {
  return (s.kind === 'generic' && /^(CREATE|ALTER|DROP)\b/.test(s.verb)) || s.kind === 'rollback' || s.kind === 'rollback-to-savepoint';
}
