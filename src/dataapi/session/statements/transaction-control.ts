// BEGIN, COMMIT/ROLLBACK, savepoints and two-phase commit: transaction control the proxy keeps
// in step with the Data API transaction it holds for the client.
import { SqlState } from '../../../protocol/sqlstate.js';
import { ClientFacingError } from '../../../protocol/client-error.js';
import { commandTag } from '../../sql/index.js';
import { simple, warning } from '../outcome.js';
import { applyModes, beginWithSettings, modesStatement, passThrough } from '../generic-statement.js';
import type { StatementHandler, StatementHandlerTable, StatementOf } from './statement-run.js';

const begin: StatementHandler<StatementOf<'begin'>> = async (ctx, statement) => {
  const { tx } = ctx;
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
};

const endTransaction: StatementHandler<StatementOf<'commit' | 'rollback'>> = async (ctx, statement) => {
  const { tx } = ctx;
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
};

const savepoints: StatementHandler<StatementOf<'savepoint' | 'release-savepoint' | 'rollback-to-savepoint'>> = async (ctx, statement, run) => {
  const { tx, settings } = ctx;
  if (!tx.open || tx.implicit) {
    const word = statement.kind === 'savepoint' ? 'SAVEPOINT' : statement.kind === 'release-savepoint' ? 'RELEASE SAVEPOINT' : 'ROLLBACK TO SAVEPOINT';
    throw new ClientFacingError(SqlState.NO_ACTIVE_SQL_TRANSACTION, `${word} can only be used in transaction blocks`, {}, 'ERROR');
  }
  await passThrough(ctx, run.render);
  let parameterStatus: [string, string][] = [];
  if (statement.kind === 'savepoint') settings.savepoint(statement.name);
  else if (statement.kind === 'release-savepoint') settings.releaseSavepoint(statement.name);
  else parameterStatus = settings.rollbackToSavepoint(statement.name);
  if (statement.kind === 'rollback-to-savepoint') tx.markRecovered();
  return simple(commandTag(statement), { parameterStatus });
};

const twoPhase: StatementHandler<StatementOf<'two-phase'>> = async () => {
  throw new ClientFacingError(SqlState.FEATURE_NOT_SUPPORTED, 'two-phase commit is not available through the RDS Data API', {}, 'ERROR');
};

export const transactionControlHandlers: StatementHandlerTable = {
  begin,
  commit: endTransaction,
  rollback: endTransaction,
  savepoint: savepoints,
  'release-savepoint': savepoints,
  'rollback-to-savepoint': savepoints,
  'two-phase': twoPhase,
};
