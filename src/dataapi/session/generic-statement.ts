// Statements the proxy does not answer itself go to the Data API as they are. Around that call:
// remembered settings applied in a transaction, results over 1 MiB read through a cursor,
// column types the Data API refuses fetched as text, SQL-level EXECUTE expanded when needed.
import { commandTag, type ClassifiedStatement } from '../sql/index.js';
import { DataApiError } from '../client/service-errors.js';
import { BufferedRows, CursorRows } from './row-source.js';
import { castStatement, planTextCasts } from './text-casts.js';
import { expandExecute } from './prepared-query.js';
import type { SetConfigCall } from '../sql/set-config-call.js';
import { runClientSetConfig } from './client-settings.js';
import { needsParts, runInsertInParts } from './long-insert.js';
import type { RenderedStatement } from './render.js';
import { SELECT_LIKE, locateError, simple, type RunOptions, type RunnerContext, type StatementOutcome } from './outcome.js';

/** `SELECT set_config(name, value, false)` is a SET written as a query: remembered as SET is. */
export async function runSetConfig(ctx: RunnerContext, statement: ClassifiedStatement, render: () => RenderedStatement, call: SetConfigCall): Promise<StatementOutcome> {
  const { settings } = ctx;
  if (settings.isClientSide(call.name)) return runClientSetConfig(ctx, statement, call);
  const outcome = await runGeneric(ctx, statement, render);
  settings.setServer(call.name, call.value);
  return outcome;
}

/** Runs a statement through the Data API, falling back to a cursor when its result is too large. */
export async function runGeneric(
  ctx: RunnerContext,
  statement: ClassifiedStatement,
  render: () => RenderedStatement,
  options: RunOptions = {},
): Promise<StatementOutcome> {
  const { tx } = ctx;
  const rendered = render();
  await ensureSettingsApplied(ctx);
  const tagFor = (n: number) => commandTag(statement, n, { transactionFailed: tx.status === 'E' });
  const selectLike = statement.kind === 'generic' && SELECT_LIKE.has(statement.verb);
  // A client that reads in pages (pg-cursor, pgJDBC's fetch size) expects a result that may be
  // large: read it through a cursor from the start, which works inside its own transaction too.
  // In a client's transaction a result over 1 MiB cannot be retried (the Data API ends the
  // transaction), so with --page-in-transactions every SELECT there goes through a cursor.
  const pageAnyway = ctx.pageInTransactions && tx.open && !tx.implicit && tx.status === 'T';
  if ((options.paged || pageAnyway) && selectLike) {
    try {
      return await openCursor(ctx, rendered, tagFor);
    } catch (err) {
      if (!(err instanceof DataApiError && err.outcome === 'unsupported_result')) throw err;
      // Columns the Data API cannot return: page through the statement with them cast to text.
      return runWithTextCasts(ctx, rendered, /multidimensional/i.test(err.message), tagFor, false, { paged: true });
    }
  }
  // The Data API ends a transaction in which a result exceeds 1 MiB. One the proxy opened and
  // ran nothing of the client's in can be begun again; the client's own cannot.
  const restartable = !tx.open || (tx.implicit && tx.untouched);
  if (needsParts(rendered) && statement.kind === 'generic' && statement.verb === 'INSERT') {
    const parts = await runInsertInParts(ctx, rendered, () => beginWithSettings(ctx, true));
    if (parts?.columns) return { ...simple(''), columns: parts.columns, rows: new BufferedRows(parts.columns, parts.records), tag: tagFor, affected: parts.affected };
    if (parts) return { ...simple(''), tag: (n) => tagFor(n || parts.affected), affected: parts.affected };
  }
  try {
    const out = await tx
      .execute({ sql: rendered.sql, parameters: rendered.parameters }, ctx.onResuming)
      .catch((e: unknown) => {
        throw locateError(e, rendered.sql, rendered.originalOffset);
      });
    // A SELECT of no columns (`SELECT`, `SELECT FROM t`) has rows all the same: empty ones.
    const zeroColumnRows = selectLike && out.columnMetadata?.length === 0 && out.records !== undefined;
    const columns = out.columnMetadata && (out.columnMetadata.length > 0 || zeroColumnRows) ? out.columnMetadata : null;
    const affected = out.numberOfRecordsUpdated ?? 0;
    if (columns) return { ...simple(''), columns, rows: new BufferedRows(columns, out.records ?? []), tag: tagFor, affected };
    return { ...simple(''), tag: (n) => tagFor(n || affected), affected };
  } catch (err) {
    if (selectLike && err instanceof DataApiError && err.outcome === 'unsupported_result') {
      return runWithTextCasts(ctx, rendered, /multidimensional/i.test(err.message), tagFor, false, { restartable });
    }
    if (statement.kind === 'execute' && err instanceof DataApiError && (err.outcome === 'unsupported_result' || err.outcome === 'internal_failure')) {
      const expanded = await expandExecute(tx, statement, ctx.onResuming);
      if (!expanded) throw err;
      const tagOfQuery = (n: number) => commandTag(expanded.prepared, n);
      if (err.outcome === 'internal_failure') return runWithTextCasts(ctx, expanded.rendered, false, tagOfQuery, true);
      return runWithTextCasts(ctx, expanded.rendered, /multidimensional/i.test(err.message), tagOfQuery);
    }
    if (selectLike && err instanceof DataApiError && err.outcome === 'internal_failure') {
      // The Data API's answer to an `infinity` date or timestamp; read such columns as text.
      const retried = await runWithTextCasts(ctx, rendered, false, tagFor, true, { restartable }).catch(() => null);
      if (retried) return retried;
      throw err;
    }
    const tooLarge = err instanceof DataApiError && err.outcome === 'result_too_large';
    if (!tooLarge || !selectLike || !restartable) throw err;
    if (tx.open) {
      await tx.rollback().catch(() => undefined);
      await beginWithSettings(ctx, true);
    }
    return openCursor(ctx, rendered, tagFor);
  }
}

/** The statement's rows read through a server-side cursor, a page at a time. */
export async function openCursor(ctx: RunnerContext, rendered: RenderedStatement, tagFor: (n: number) => string): Promise<StatementOutcome> {
  const rows = await CursorRows.open(ctx.tx, rendered, ctx.onResuming).catch((e: unknown) => {
    throw locateError(e, CursorRows.declarePrefix(rendered.sql), (o) => rendered.originalOffset(Math.max(0, o - CursorRows.prefixLength)));
  });
  return { ...simple(''), columns: rows.columns, rows, tag: tagFor, affected: 0 };
}

/** How runWithTextCasts may read a result too large for one Data API response. */
interface TextCastReading {
  /** The client reads in pages: read through a cursor from the start. */
  paged?: boolean;
  /** A result over 1 MiB may be read again through a cursor (see runGeneric's `restartable`). */
  restartable?: boolean;
}

/** Runs again with the columns the Data API cannot return fetched as text; keeps their real types. */
async function runWithTextCasts(
  ctx: RunnerContext,
  rendered: RenderedStatement,
  multidimensional: boolean,
  tagFor: (n: number) => string,
  datetimes = false,
  reading: TextCastReading = {},
): Promise<StatementOutcome> {
  const plan = await planTextCasts(ctx.tx, rendered, multidimensional, ctx.onResuming, datetimes);
  if (datetimes && plan.castToText.length === 0) throw new Error('no date or timestamp column to read as text');
  const casted = castStatement(rendered, plan);
  const columns = plan.columns;
  const infinityFailure = (e: unknown) => !datetimes && e instanceof DataApiError && e.outcome === 'internal_failure';
  // The first refusal named another type; a multidimensional array turned up only now.
  const arrayFailure = (e: unknown) =>
    !multidimensional && e instanceof DataApiError && e.outcome === 'unsupported_result' && /multidimensional/i.test(e.message);
  const throughCursor = async (): Promise<StatementOutcome> => ({ ...(await openCursor(ctx, casted, tagFor)), columns });
  if (reading.paged) {
    return throughCursor().catch((e: unknown) => {
      if (infinityFailure(e)) return runWithTextCasts(ctx, rendered, multidimensional, tagFor, true, reading);
      if (arrayFailure(e)) return runWithTextCasts(ctx, rendered, true, tagFor, datetimes, reading);
      throw e;
    });
  }
  const out = await ctx.tx.execute({ sql: casted.sql, parameters: casted.parameters }, ctx.onResuming).catch((e: unknown) => {
    if (infinityFailure(e)) return null;
    if (arrayFailure(e)) return 'multidimensional' as const;
    if (reading.restartable && e instanceof DataApiError && e.outcome === 'result_too_large') return 'too large' as const;
    throw e;
  });
  // An `infinity` date or timestamp among the remaining columns: read those as text as well.
  if (out === null) return runWithTextCasts(ctx, rendered, multidimensional, tagFor, true, reading);
  if (out === 'multidimensional') return runWithTextCasts(ctx, rendered, true, tagFor, datetimes, reading);
  if (out === 'too large') {
    // As runGeneric does for a large result: the Data API ended the transaction, so begin again.
    if (ctx.tx.open) {
      await ctx.tx.rollback().catch(() => undefined);
      await beginWithSettings(ctx, true);
    }
    return throughCursor();
  }
  return { ...simple(''), columns, rows: new BufferedRows(columns, out.records ?? []), tag: tagFor, affected: 0 };
}

/** Runs the statement as written (SET, RESET...), in the transaction when there is one. */
export async function passThrough(ctx: RunnerContext, render: () => RenderedStatement): Promise<void> {
  const rendered = render();
  await ctx.tx.execute({ sql: rendered.sql, parameters: rendered.parameters }, ctx.onResuming).catch((e: unknown) => {
    throw locateError(e, rendered.sql, rendered.originalOffset);
  });
}

/**
 * Outside a transaction, remembered settings only hold if the statement runs in a transaction
 * that applies them first: open an implicit one (the session ends it after the statement).
 */
async function ensureSettingsApplied(ctx: RunnerContext): Promise<void> {
  if (ctx.tx.open || !ctx.settings.hasServerSettings) return;
  await beginWithSettings(ctx, true);
}

/** `leading` (the client's SET TRANSACTIONs) runs before the settings: it must precede any query. */
export async function beginWithSettings(ctx: RunnerContext, implicit: boolean, leading: string[] = []): Promise<void> {
  await ctx.tx.begin(ctx.onResuming, implicit);
  const defaults = ctx.settings.transactionDefaults();
  for (const sql of defaults ? [defaults, ...leading] : leading) await ctx.tx.execute({ sql }, ctx.onResuming);
  const apply = ctx.settings.applyStatement();
  if (apply) await ctx.tx.execute({ sql: apply }, ctx.onResuming);
  ctx.tx.markSetupDone(leading);
}

type TransactionModes = { isolationLevel?: string; readOnly?: boolean; deferrable?: boolean };

export async function applyModes(ctx: RunnerContext, modes: TransactionModes): Promise<void> {
  const sql = modesStatement(modes);
  if (sql) await ctx.tx.execute({ sql }, ctx.onResuming);
}

export function modesStatement(modes: TransactionModes): string | null {
  const parts: string[] = [];
  if (modes.isolationLevel) parts.push(`ISOLATION LEVEL ${modes.isolationLevel.toUpperCase()}`);
  if (modes.readOnly !== undefined) parts.push(modes.readOnly ? 'READ ONLY' : 'READ WRITE');
  if (modes.deferrable !== undefined) parts.push(modes.deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE');
  return parts.length > 0 ? `SET TRANSACTION ${parts.join(', ')}` : null;
}
