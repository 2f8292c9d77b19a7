// DECLARE, FETCH/MOVE and CLOSE of SQL cursors: run through the Data API, with the real column
// types of cursors the proxy re-declared with text casts (cursor-casts.ts).
import { castCursorColumns } from '../cursor-casts.js';
import { runGeneric } from '../generic-statement.js';
import type { StatementHandler, StatementHandlerTable, StatementOf } from './statement-run.js';

const declareCursor: StatementHandler<StatementOf<'declare-cursor'>> = async (ctx, statement, run) => {
  const { tx } = ctx;
  ctx.cursorColumns.delete(statement.name);
  const outcome = await runGeneric(ctx, statement, run.render, run.options);
  if (tx.open && !statement.binary) await castCursorColumns(tx, ctx.cursorColumns, statement, run.render(), ctx.onResuming);
  return outcome;
};

const fetch: StatementHandler<StatementOf<'fetch'>> = async (ctx, statement, run) => {
  const outcome = await runGeneric(ctx, statement, run.render, run.options);
  const real = ctx.cursorColumns.get(statement.cursor);
  return real && outcome.columns ? { ...outcome, columns: real } : outcome;
};

const closeCursor: StatementHandler<StatementOf<'close-cursor'>> = async (ctx, statement, run) => {
  const outcome = await runGeneric(ctx, statement, run.render, run.options);
  if (statement.name === null) ctx.cursorColumns.clear();
  else ctx.cursorColumns.delete(statement.name);
  return outcome;
};

export const cursorHandlers: StatementHandlerTable = { 'declare-cursor': declareCursor, fetch, 'close-cursor': closeCursor };
