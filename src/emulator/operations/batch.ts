// BatchExecuteStatement: one statement over many parameter sets. Without a transactionId the
// whole batch runs in a transaction of its own, so it applies entirely or not at all.

import type { EmulatorContext } from '../context.js';
import { databaseError, isServerError } from '../errors.js';
import { toJson } from '../json-writer.js';
import { bindParameters, rejectArrayParameters, renderWithLiterals } from '../params.js';
import { runInSession } from '../session-runner.js';
import { runStatement } from '../statement-runner.js';
import { BATCH_SHAPE, validateRequest } from '../validation.js';
import type { BatchExecuteStatementRequest, WireSqlParameter } from '../wire-types.js';
import { rejectMultipleStatements, rejectSchema } from './common.js';

export async function batchExecuteStatement(ctx: EmulatorContext, body: Record<string, unknown>): Promise<string> {
  validateRequest(body, BATCH_SHAPE);
  const req = body as unknown as BatchExecuteStatementRequest;
  rejectSchema(req.schema);
  const sets = req.parameterSets ?? [];
  for (const set of sets) rejectArrayParameters(set);
  rejectMultipleStatements(req.sql);
  const ownTransaction = req.transactionId === undefined;

  return runInSession(ctx, { transactionId: req.transactionId, database: req.database }, false, async (session) => {
    if (ownTransaction) await session.client.query('BEGIN');
    try {
      // No parameter sets: the statement still runs once, without parameters.
      const runs: WireSqlParameter[][] = sets.length > 0 ? sets : [[]];
      for (let i = 0; i < runs.length; i++) {
        if (session.cancelRequested) throw new Error('batch cancelled after its timeout');
        try {
          await runStatement(session, bindParameters(req.sql, runs[i]), { maxRawChars: Infinity, discardRows: true });
        } catch (err) {
          throw batchEntryError(i, renderWithLiterals(req.sql, runs[i]), err);
        }
      }
      if (session.cancelRequested) throw new Error('batch cancelled after its timeout');
      if (ownTransaction) await session.client.query('COMMIT');
    } catch (err) {
      if (ownTransaction && !session.broken) {
        // A cancel still in flight must land before ROLLBACK, not on it.
        await session.drained;
        await session.client.query('ROLLBACK').catch(() => undefined);
      }
      throw err;
    }
    return toJson({ updateResults: sets.map(() => ({ generatedFields: [] })) });
  });
}

/** pgJDBC's BatchUpdateException text, with the service's SQLState suffix. */
function batchEntryError(index: number, sql: string, err: unknown): unknown {
  if (!isServerError(err)) return err;
  return databaseError(
    `Batch entry ${index} ${sql} was aborted: ${err.severity ?? 'ERROR'}: ${err.message}  ` +
      `Call getNextException to see other errors in the batch.; SQLState: ${err.code}`,
  );
}
