// Runs one classified statement for a session and says what the client must be told: the rows
// (as a RowSource), the command tag, notices and changed parameters. Both the simple and the
// extended protocol go through here, so a statement behaves the same whichever way it came.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import type { NoticeFields } from '../../protocol/messages.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../server/client-error.js';
import { commandTag, positionToOffset, type ClassifiedStatement } from '../sql/index.js';
import { DataApiError } from '../client/service-errors.js';
import { BufferedRows, CursorRows, type RowSource } from './row-source.js';
import { castStatement, planTextCasts } from './text-casts.js';
import { expandExecute } from './prepared-query.js';
import { castCursorColumns, type CursorColumns } from './cursor-casts.js';
import { parseSetConfigCall, type SetConfigCall } from '../sql/set-config-call.js';
import type { RenderedStatement } from './render.js';
import type { SessionSettings } from './settings.js';
import { displayName } from './settings.js';
import type { Transaction } from './transaction.js';

export interface StatementOutcome {
  /** The result set's columns; null when the statement sends no rows. */
  columns: ColumnMetadata[] | null;
  rows: RowSource | null;
  /** The command tag once `rowCount` rows were sent (or affected). */
  tag(rowCount: number): string;
  /** Rows affected, for statements without a result set. */
  affected: number;
  notices: NoticeFields[];
  parameterStatus: [string, string][];
}

export interface RunnerContext {
  tx: Transaction;
  settings: SessionSettings;
  onResuming: () => void;
  /** Cursors declared again with text casts (see cursor-casts.ts). */
  cursorColumns: CursorColumns;
}

/** An error located in the client's statement text (an offset, not yet a Position). */
export class StatementError extends ClientFacingError {
  constructor(
    code: string,
    message: string,
    readonly statementOffset?: number,
    extra: ConstructorParameters<typeof ClientFacingError>[2] = {},
  ) {
    super(code, message, extra, 'ERROR');
  }
}

/**
 * Re-anchors the Position of a database error, which counts characters of the SQL that was
 * sent, to the client's own statement text.
 */
export function locateError(err: unknown, sentSql: string, toOriginal: (offset: number) => number): unknown {
  if (!(err instanceof ClientFacingError) || err.extra.position === undefined) return err;
  const offset = toOriginal(positionToOffset(sentSql, err.extra.position));
  const { position: _dropped, ...rest } = err.extra;
  return new StatementError(err.sqlstate, err.message, offset, rest);
}

const ABORTED = 'current transaction is aborted, commands ignored until end of transaction block';

export function abortedTransactionError(): ClientFacingError {
  return new ClientFacingError(SqlState.IN_FAILED_SQL_TRANSACTION, ABORTED, {}, 'ERROR');
}

/** Statements PostgreSQL still accepts in a failed transaction. */
export function allowedInFailedTransaction(s: ClassifiedStatement): boolean {
  return s.kind === 'rollback' || s.kind === 'commit' || s.kind === 'rollback-to-savepoint' || s.kind === 'empty' || (s.kind === 'two-phase' && s.action === 'prepare');
}

const SELECT_LIKE = new Set(['SELECT', 'VALUES', 'TABLE']);

function simple(tag: string, extra: Partial<StatementOutcome> = {}): StatementOutcome {
  return { columns: null, rows: null, tag: () => tag, affected: 0, notices: [], parameterStatus: [], ...extra };
}

function warning(message: string, code = '25001'): NoticeFields {
  return { severity: 'WARNING', code, message };
}

export interface RunOptions {
  /** The client reads the rows with a row limit (Execute maxRows), i.e. in pages. */
  paged?: boolean;
}

export async function runStatement(
  ctx: RunnerContext,
  statement: ClassifiedStatement,
  render: () => RenderedStatement,
  options: RunOptions = {},
): Promise<StatementOutcome> {
  const { tx, settings } = ctx;
  if (tx.status === 'E' && !allowedInFailedTransaction(statement)) throw abortedTransactionError();

  switch (statement.kind) {
    case 'empty':
      return simple('');
    case 'invalid':
      throw new StatementError(statement.sqlState, statement.message, statement.offset ?? undefined);
    case 'begin': {
      if (tx.open && !tx.implicit) {
        return simple(statement.form, { notices: [warning('there is already a transaction in progress', SqlState.ACTIVE_SQL_TRANSACTION)] });
      }
      if (tx.open) {
        tx.implicit = false; // BEGIN inside an implicit block makes it a real one
        await applyModes(ctx, statement.modes);
      } else {
        // The modes go first: the remembered settings' SELECT takes a snapshot, after which
        // PostgreSQL refuses to change the isolation level.
        const modes = modesStatement(statement.modes);
        await beginWithSettings(ctx, false, modes ? [modes] : []);
      }
      return simple(statement.form);
    }
    case 'commit':
    case 'rollback': {
      if (!tx.open || tx.implicit) {
        const tag = statement.kind === 'commit' ? 'COMMIT' : 'ROLLBACK';
        if (tx.open) await tx.commit();
        return simple(tag, { notices: [warning('there is no transaction in progress', SqlState.NO_ACTIVE_SQL_TRANSACTION)] });
      }
      const failed = tx.status === 'E';
      if (statement.kind === 'commit' && !failed) await tx.commit();
      else await tx.rollback();
      if (statement.chain) await beginWithSettings(ctx, false);
      return simple(commandTag(statement, 0, { transactionFailed: failed }));
    }
    case 'savepoint':
    case 'release-savepoint':
    case 'rollback-to-savepoint': {
      if (!tx.open || tx.implicit) {
        const word = statement.kind === 'savepoint' ? 'SAVEPOINT' : statement.kind === 'release-savepoint' ? 'RELEASE SAVEPOINT' : 'ROLLBACK TO SAVEPOINT';
        throw new ClientFacingError(SqlState.NO_ACTIVE_SQL_TRANSACTION, `${word} can only be used in transaction blocks`, {}, 'ERROR');
      }
      await passThrough(ctx, render);
      let parameterStatus: [string, string][] = [];
      if (statement.kind === 'savepoint') settings.savepoint(statement.name);
      else if (statement.kind === 'release-savepoint') settings.releaseSavepoint(statement.name);
      else parameterStatus = settings.rollbackToSavepoint(statement.name);
      if (statement.kind === 'rollback-to-savepoint') tx.markRecovered();
      return simple(commandTag(statement), { parameterStatus });
    }
    case 'two-phase':
      throw new ClientFacingError(SqlState.FEATURE_NOT_SUPPORTED, 'two-phase commit is not available through the RDS Data API', {}, 'ERROR');
    case 'set': {
      if (settings.isClientSide(statement.name)) {
        if (statement.value.type === 'expression' || statement.value.type === 'from-current') {
          throw new ClientFacingError(SqlState.FEATURE_NOT_SUPPORTED, `aurora-pg-proxy cannot evaluate this value for "${statement.name}"`, {}, 'ERROR');
        }
        const changed = settings.setClient(statement.name, statement.value.type === 'default' ? null : statement.value.value);
        return simple('SET', { parameterStatus: changed ? [changed] : [] });
      }
      if (statement.local) {
        if (!tx.open || tx.implicit) {
          return simple('SET', { notices: [warning('SET LOCAL can only be used in transaction blocks')] });
        }
        await passThrough(ctx, render);
        return simple('SET');
      }
      // Run it once so that a bad name or value fails as PostgreSQL would, then remember it.
      await passThrough(ctx, render);
      if (statement.value.type === 'default') settings.resetServer(statement.name);
      else settings.setServer(statement.name, statement.value.type === 'value' ? statement.value.value : statement.valueText);
      return simple('SET');
    }
    case 'reset': {
      if (statement.name === null) {
        settings.resetServer(null);
        const changed = settings.resetAllClient();
        if (tx.open) await passThrough(ctx, render);
        return simple('RESET', { parameterStatus: changed });
      }
      if (settings.isClientSide(statement.name)) {
        const changed = settings.setClient(statement.name, null);
        return simple('RESET', { parameterStatus: changed ? [changed] : [] });
      }
      settings.resetServer(statement.name);
      if (tx.open) await passThrough(ctx, render);
      return simple('RESET');
    }
    case 'show': {
      if (statement.name !== null && settings.isClientSide(statement.name)) {
        const value = settings.clientValue(statement.name) ?? '';
        const columns: ColumnMetadata[] = [{ name: displayName(statement.name), label: displayName(statement.name), typeName: 'text' }];
        return { ...simple('SHOW'), columns, rows: new BufferedRows(columns, [[{ stringValue: value }]]) };
      }
      return runGeneric(ctx, statement, render);
    }
    case 'set-transaction':
      if (statement.scope === 'session') {
        await passThrough(ctx, render);
        // SET SESSION CHARACTERISTICS sets these defaults: remembered as a SET of them is.
        const { isolationLevel, readOnly, deferrable } = statement.modes;
        if (isolationLevel) settings.setServer('default_transaction_isolation', isolationLevel);
        if (deferrable !== undefined) settings.setServer('default_transaction_deferrable', deferrable ? 'on' : 'off');
        const changed = readOnly === undefined ? null : settings.setClient('default_transaction_read_only', readOnly ? 'on' : 'off');
        return simple('SET', { parameterStatus: changed ? [changed] : [] });
      }
      if (!tx.open || tx.implicit) {
        return simple('SET', { notices: [warning('SET TRANSACTION can only be used in transaction blocks')] });
      }
      if (tx.untouched && tx.setupRan) {
        // Only the proxy's own set_config SELECT ran, and it took the snapshot that makes
        // PostgreSQL refuse SET TRANSACTION (BEGIN; SET TRANSACTION ... as pg_dump sends it):
        // begin again with the client's SET TRANSACTIONs first.
        const leading = [...tx.leadingStatements, render().sql];
        await tx.rollback();
        await beginWithSettings(ctx, false, leading);
        return simple('SET');
      }
      await passThrough(ctx, render);
      return simple('SET');
    case 'listen':
      throw new ClientFacingError(
        SqlState.FEATURE_NOT_SUPPORTED,
        'LISTEN is not available through the RDS Data API',
        { hint: 'The Data API holds no connection open between calls, so notifications cannot be delivered.' },
        'ERROR',
      );
    case 'unlisten':
      return simple('UNLISTEN');
    case 'discard':
      if (tx.open && !tx.implicit) {
        throw new ClientFacingError(SqlState.ACTIVE_SQL_TRANSACTION, 'DISCARD ALL cannot run inside a transaction block', {}, 'ERROR');
      }
      if (statement.target === 'all') {
        settings.resetServer(null);
        return simple('DISCARD ALL', { parameterStatus: settings.resetAllClient() });
      }
      return simple(`DISCARD ${statement.target.toUpperCase()}`);
    case 'copy':
      throw new ClientFacingError(SqlState.INTERNAL_ERROR, 'COPY must be handled by the session', {}, 'ERROR');
    case 'declare-cursor': {
      ctx.cursorColumns.delete(statement.name);
      const outcome = await runGeneric(ctx, statement, render, options);
      if (tx.open && !statement.binary) await castCursorColumns(tx, ctx.cursorColumns, statement, render(), ctx.onResuming);
      return outcome;
    }
    case 'fetch': {
      const outcome = await runGeneric(ctx, statement, render, options);
      const real = ctx.cursorColumns.get(statement.cursor);
      return real && outcome.columns ? { ...outcome, columns: real } : outcome;
    }
    case 'close-cursor': {
      const outcome = await runGeneric(ctx, statement, render, options);
      if (statement.name === null) ctx.cursorColumns.clear();
      else ctx.cursorColumns.delete(statement.name);
      return outcome;
    }
    default: {
      const setConfig = statement.kind === 'generic' && statement.verb === 'SELECT' ? parseSetConfigCall(render().sql) : null;
      if (setConfig && !setConfig.local) return runSetConfig(ctx, statement, render, setConfig);
      return runGeneric(ctx, statement, render, options);
    }
  }
}

/** `SELECT set_config(name, value, false)` is a SET written as a query: remembered as SET is. */
async function runSetConfig(ctx: RunnerContext, statement: ClassifiedStatement, render: () => RenderedStatement, call: SetConfigCall): Promise<StatementOutcome> {
  const { settings } = ctx;
  if (settings.isClientSide(call.name)) {
    const changed = settings.setClient(call.name, call.value);
    const columns: ColumnMetadata[] = [{ name: 'set_config', label: 'set_config', typeName: 'text' }];
    const rows = new BufferedRows(columns, [[{ stringValue: settings.clientValue(call.name) ?? '' }]]);
    return { ...simple(''), columns, rows, tag: (n) => commandTag(statement, n), parameterStatus: changed ? [changed] : [] };
  }
  const outcome = await runGeneric(ctx, statement, render);
  settings.setServer(call.name, call.value);
  return outcome;
}

/** Runs a statement through the Data API, falling back to a cursor when its result is too large. */
async function runGeneric(
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
  if (options.paged && selectLike) {
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
async function openCursor(ctx: RunnerContext, rendered: RenderedStatement, tagFor: (n: number) => string): Promise<StatementOutcome> {
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
async function passThrough(ctx: RunnerContext, render: () => RenderedStatement): Promise<void> {
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

async function applyModes(ctx: RunnerContext, modes: TransactionModes): Promise<void> {
  const sql = modesStatement(modes);
  if (sql) await ctx.tx.execute({ sql }, ctx.onResuming);
}

function modesStatement(modes: TransactionModes): string | null {
  const parts: string[] = [];
  if (modes.isolationLevel) parts.push(`ISOLATION LEVEL ${modes.isolationLevel.toUpperCase()}`);
  if (modes.readOnly !== undefined) parts.push(modes.readOnly ? 'READ ONLY' : 'READ WRITE');
  if (modes.deferrable !== undefined) parts.push(modes.deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE');
  return parts.length > 0 ? `SET TRANSACTION ${parts.join(', ')}` : null;
}
