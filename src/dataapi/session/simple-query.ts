// The statements of one simple Query. PostgreSQL runs a multi-statement query as one implicit
// transaction unless it manages its own; here that transaction is a Data API transaction the
// proxy opens, commits after the last statement and rolls back on an error.
import type { SimpleQuery } from '../protocol/protocol-handler.js';
import { reportError, sendOutcome } from './answers.js';
import { failIfCancelledInTransaction } from './cancel.js';
import { runCopy } from './copy.js';
import { deallocateLocally } from './local-deallocate.js';
import type { SessionContext } from './session-context.js';
import { beginWithSettings, runStatement } from './statement-runner.js';
import { fetchFromPortal } from './portal-fetch.js';
import { StreamClosedError } from '../../server/message-channel.js';

const TRANSACTION_CONTROL = new Set(['begin', 'commit', 'rollback', 'savepoint', 'release-savepoint', 'rollback-to-savepoint']);

export async function runSimpleQuery(sc: SessionContext, { sql, statements }: SimpleQuery): Promise<void> {
  const { tx } = sc;
  const managesTransactions = statements.some((s) => TRANSACTION_CONTROL.has(s.classified.kind));
  const implicitBlock = statements.length > 1 && !tx.open && !managesTransactions;
  let failedAt = 0;
  try {
    if (implicitBlock) await beginWithSettings(sc.runner, true);
    for (let i = 0; i < statements.length; i++) {
      failedAt = i;
      sc.session.counters.queries++;
      sc.cancelRequested = false;
      const statement = statements[i]!;
      if (statement.classified.kind === 'copy') {
        await runCopy(copyContext(sc), statement);
        continue;
      }
      const outcome =
        deallocateLocally(sc, statement.classified) ??
        (await fetchFromPortal(sc, statement.classified)) ??
        (await runStatement(sc.runner, statement, null));
      await failIfCancelledInTransaction(sc, outcome);
      await sendOutcome(sc, outcome, [], true);
      // A transaction opened just to apply remembered settings ends with its statement.
      if (tx.implicit && !implicitBlock) await tx.commit();
    }
    if (tx.open && tx.implicit) await tx.commit();
  } catch (err) {
    // The client left during a COPY: nobody to tell; the session ends and rolls back.
    if (err instanceof StreamClosedError) throw err;
    await reportError(sc, err, sql, statements[failedAt]!.offset);
    if (tx.open && tx.implicit) await tx.rollback().catch(() => undefined);
    else tx.markFailed();
  }
}

function copyContext(sc: SessionContext) {
  return { ctx: sc.runner, out: sc.out, nextFrame: () => sc.nextFrame(), settings: sc.settings };
}
