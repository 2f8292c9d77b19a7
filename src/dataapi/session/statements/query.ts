// Every statement without a handler of its own (queries, DML, DDL, PREPARE/EXECUTE, NOTIFY...)
// goes to the Data API as it is; `SELECT set_config(name, value, false)` is remembered as a SET.
import type { ClassifiedStatement } from '../../sql/index.js';
import { mayCallSetConfig, parseSetConfigCall } from '../../sql/set-config-call.js';
import { runGeneric, runSetConfig } from '../generic-statement.js';
import type { RunnerContext, StatementOutcome } from '../outcome.js';
import type { StatementRun } from './statement-run.js';
import { planReturningCasts } from '../returning-casts.js';

export async function runQuery(ctx: RunnerContext, statement: ClassifiedStatement, run: StatementRun): Promise<StatementOutcome> {
  // The call is read from the rendered text (its arguments may be bound values); the tokens
  // already say whether there can be one, so other statements are not lexed again.
  const isSelect = statement.kind === 'generic' && statement.verb === 'SELECT';
  const setConfig = isSelect && mayCallSetConfig(run.statement.tokens) ? parseSetConfigCall(run.render().sql) : null;
  if (setConfig && (!setConfig.local || ctx.settings.isClientSide(setConfig.name))) return runSetConfig(ctx, statement, run.render, setConfig);
  const paramTypes = Array.from({ length: run.statement.placeholders.highest }, (_, i) => run.bound?.types[i] ?? 0);
  const casts = await planReturningCasts(ctx, run.statement, paramTypes, run.render);
  if (casts) {
    const outcome = await runGeneric(ctx, statement, casts.render, run.options);
    return outcome.columns ? { ...outcome, columns: casts.columns } : outcome;
  }
  return runGeneric(ctx, statement, run.render, run.options);
}
