// SET, RESET, SHOW and SET TRANSACTION: settings the client side keeps (reported ones, client
// defaults) are answered here; server settings run once and are remembered for later calls.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import { BufferedRows } from '../row-source.js';
import { displayName } from '../settings.js';
import { simple, warning } from '../outcome.js';
import { beginWithSettings, passThrough, runGeneric } from '../generic-statement.js';
import { runClientSet } from '../client-settings.js';
import type { StatementHandler, StatementHandlerTable, StatementOf } from './statement-run.js';

const set: StatementHandler<StatementOf<'set'>> = async (ctx, statement, run) => {
  const { tx, settings } = ctx;
  if (settings.isClientSide(statement.name)) return runClientSet(ctx, statement);
  if (statement.local) {
    if (!tx.open || tx.implicit) {
      return simple('SET', { notices: [warning('SET LOCAL can only be used in transaction blocks')] });
    }
    await passThrough(ctx, run.render);
    return simple('SET');
  }
  // Run it once so that a bad name or value fails as PostgreSQL would, then remember it.
  await passThrough(ctx, run.render);
  if (statement.value.type === 'default') settings.resetServer(statement.name);
  else settings.setServer(statement.name, statement.value.type === 'value' ? statement.value.value : statement.valueText);
  return simple('SET');
};

const reset: StatementHandler<StatementOf<'reset'>> = async (ctx, statement, run) => {
  const { tx, settings } = ctx;
  if (statement.name === null) {
    settings.resetServer(null);
    const changed = settings.resetAllClient();
    if (tx.open) await passThrough(ctx, run.render);
    return simple('RESET', { parameterStatus: changed });
  }
  if (settings.isClientSide(statement.name)) {
    const changed = settings.setClient(statement.name, null);
    return simple('RESET', { parameterStatus: changed ? [changed] : [] });
  }
  settings.resetServer(statement.name);
  if (tx.open) await passThrough(ctx, run.render);
  return simple('RESET');
};

const show: StatementHandler<StatementOf<'show'>> = async (ctx, statement, run) => {
  const { settings } = ctx;
  if (statement.name !== null && settings.isClientSide(statement.name)) {
    const value = settings.clientValue(statement.name) ?? '';
    const columns: ColumnMetadata[] = [{ name: displayName(statement.name), label: displayName(statement.name), typeName: 'text' }];
    return { ...simple('SHOW'), columns, rows: new BufferedRows(columns, [[{ stringValue: value }]]) };
  }
  return runGeneric(ctx, statement, run.render);
};

const setTransaction: StatementHandler<StatementOf<'set-transaction'>> = async (ctx, statement, run) => {
  const { tx, settings } = ctx;
  if (statement.scope === 'session') {
    await passThrough(ctx, run.render);
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
    const leading = [...tx.leadingStatements, run.render().sql];
    await tx.rollback();
    await beginWithSettings(ctx, false, leading);
    return simple('SET');
  }
  await passThrough(ctx, run.render);
  return simple('SET');
};

export const settingsHandlers: StatementHandlerTable = { set, reset, show, 'set-transaction': setTransaction };
