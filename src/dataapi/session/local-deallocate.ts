// DEALLOCATE of a statement prepared with Parse. PostgreSQL keeps those with the ones made by
// PREPARE, but here they live in the proxy and the database session has never seen them
// (psycopg deallocates the statements it evicts this way). DEALLOCATE ALL drops the proxy's
// and still goes to the database for any made by PREPARE in the transaction.
import type { ClassifiedStatement } from '../sql/index.js';
import type { StatementOutcome } from './outcome.js';
import type { SessionContext } from './session-context.js';

/** The answer to a DEALLOCATE the proxy handled alone, or null when it goes to the database. */
export function deallocateLocally(sc: SessionContext, s: ClassifiedStatement): StatementOutcome | null {
  if (s.kind !== 'deallocate' || sc.tx.status === 'E') return null;
  if (s.name === null) {
    sc.registry.dropNamedStatements();
    return null;
  }
  if (!sc.registry.statements.delete(s.name)) return null;
  return { columns: null, rows: null, tag: () => 'DEALLOCATE', affected: 0, notices: [], parameterStatus: [] };
}

