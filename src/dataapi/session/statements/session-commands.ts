// Statements about the session rather than data: LISTEN/UNLISTEN, DISCARD, and the kinds that
// never reach the Data API (empty, invalid, COPY, which the session runs itself).
import { SqlState } from '../../../protocol/sqlstate.js';
import { ClientFacingError } from '../../../protocol/client-error.js';
import { StatementError, simple } from '../outcome.js';
import type { StatementHandler, StatementHandlerTable, StatementOf } from './statement-run.js';

const empty: StatementHandler<StatementOf<'empty'>> = async () => simple('');

const invalid: StatementHandler<StatementOf<'invalid'>> = async (_ctx, statement) => {
  throw new StatementError(statement.sqlState, statement.message, statement.offset ?? undefined);
};

const listen: StatementHandler<StatementOf<'listen'>> = async () => {
  throw new ClientFacingError(
    SqlState.FEATURE_NOT_SUPPORTED,
    'LISTEN is not available through the RDS Data API',
    { hint: 'The Data API holds no connection open between calls, so notifications cannot be delivered.' },
    'ERROR',
  );
};

const unlisten: StatementHandler<StatementOf<'unlisten'>> = async () => simple('UNLISTEN');

const discard: StatementHandler<StatementOf<'discard'>> = async (ctx, statement) => {
  const { tx, settings } = ctx;
  if (tx.open && !tx.implicit) {
    throw new ClientFacingError(SqlState.ACTIVE_SQL_TRANSACTION, 'DISCARD ALL cannot run inside a transaction block', {}, 'ERROR');
  }
  if (statement.target === 'all') {
    settings.resetServer(null);
    return simple('DISCARD ALL', { parameterStatus: settings.resetAllClient() });
  }
  return simple(`DISCARD ${statement.target.toUpperCase()}`);
};

const copy: StatementHandler<StatementOf<'copy'>> = async () => {
  throw new ClientFacingError(SqlState.INTERNAL_ERROR, 'COPY must be handled by the session', {}, 'ERROR');
};

export const sessionCommandHandlers: StatementHandlerTable = { empty, invalid, listen, unlisten, discard, copy };
