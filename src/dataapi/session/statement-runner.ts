// Runs one classified statement for a session and says what the client must be told: the rows
// (as a RowSource), the command tag, notices and changed parameters. Both the simple and the
// extended protocol go through here, so a statement behaves the same whichever way it came.
// Transaction control, settings and session commands are answered here; everything else is a
// generic statement (generic-statement.ts).
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../server/client-error.js';
import { commandTag, type ClassifiedStatement } from '../sql/index.js';
import { BufferedRows } from './row-source.js';
import { parseSetConfigCall } from '../sql/set-config-call.js';
import { castCursorColumns } from './cursor-casts.js';
import type { RenderedStatement } from './render.js';
import { displayName } from './settings.js';
import {
  StatementError,
  abortedTransactionError,
  allowedInFailedTransaction,
  simple,
  warning,
  type RunOptions,
  type RunnerContext,
  type StatementOutcome,
} from './outcome.js';
import { applyModes, beginWithSettings, modesStatement, passThrough, runGeneric, runSetConfig } from './generic-statement.js';

export { StatementError, abortedTransactionError, locateError, type RunnerContext, type StatementOutcome } from './outcome.js';
export { beginWithSettings } from './generic-statement.js';

export function runStatement(
  ctx: RunnerContext,
  statement: ClassifiedStatement,
  render: () => RenderedStatement,
  options: RunOptions = {},
): Promise<StatementOutcome> {
  // Hook (issue 9): temp objects, WITH HOLD cursors and table OIDs go through session-objects.ts.
  if (ctx.sessionObjects) return ctx.sessionObjects.run(ctx, statement, render, options, runClassified);
  return runClassified(ctx, statement, render, options);
}

async function runClassified(
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

