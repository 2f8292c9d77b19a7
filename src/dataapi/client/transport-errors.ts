// The error a client sees when the connection to the Data API failed and the call was not (or
// no longer) retried. It says what is known: the call never arrived, or it may have run; for a
// COMMIT, PostgreSQL's own transaction_resolution_unknown.
import { SqlState } from '../../protocol/sqlstate.js';
import { DataApiError } from './service-errors.js';
import type { TransportFailure } from './transport.js';

type Operation = 'ExecuteStatement' | 'BatchExecuteStatement' | 'BeginTransaction' | 'CommitTransaction' | 'RollbackTransaction';

/**
 * `repeatable`: the call had no effect or was safe to repeat, and failed on every attempt; then
 * nothing is in doubt and the endpoint is simply unreachable.
 */
export function transportError(operation: Operation, failure: TransportFailure, repeatable: boolean): DataApiError {
  const make = (code: string, message: string, hint: string, outcome: string) => {
    const e = new DataApiError(code, message, { hint }, 'ERROR');
    e.outcome = outcome;
    return e;
  };
  if (repeatable) {
    if (failure.code === 'ECONNREFUSED') {
      return make(
        SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
        'could not reach the Data API endpoint: connection refused',
        'Check --endpoint-url (or --region for the regional endpoint); an emulator must be running there.',
        'unreachable',
      );
    }
    const unsent = failure.delivery === 'not-sent';
    return make(
      unsent ? SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION : SqlState.CONNECTION_FAILURE,
      `could not reach the Data API endpoint (${failure.code})`,
      `Check --region / --endpoint-url and the network.${unsent ? '' : ' The call was safe to repeat, so nothing is in doubt.'}`,
      'unreachable',
    );
  }
  if (operation === 'CommitTransaction') {
    return make(
      SqlState.TRANSACTION_RESOLUTION_UNKNOWN,
      `the connection to the Data API failed during COMMIT (${failure.code}): the transaction may or may not have been committed`,
      'Check whether its changes are in the database before running it again.',
      'connection_lost',
    );
  }
  return make(
    SqlState.CONNECTION_FAILURE,
    `the connection to the Data API failed during the statement (${failure.code}): it may or may not have been applied`,
    'Check whether its effect is in the database before running it again; inside a transaction, roll back and retry the transaction.',
    'connection_lost',
  );
}
