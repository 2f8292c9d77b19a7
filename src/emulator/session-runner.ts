// Runs a statement call on the right connection (the transaction's, or a pooled one) under the
// service's statement timeout. At the timeout the caller gets StatementTimeoutException at once;
// the statement is cancelled, or, with continueAfterTimeout, left to finish (and commit). The
// connection is handed back only when the statement is really over, so a transaction stays
// "still running a query" until then. The answer does not wait for that hand-back.

import { ApiError, statementTimeout } from './errors.js';
import type { Session } from './connections.js';
import type { EmulatorContext } from './context.js';
import type { Transaction } from './transactions.js';

export interface SessionTarget {
  transactionId?: string;
  database?: string;
}

interface Lease {
  session: Session;
  finish(error: unknown): Promise<void>;
}

async function lease(ctx: EmulatorContext, target: SessionTarget): Promise<Lease> {
  if (target.transactionId !== undefined) {
    const tx: Transaction = ctx.transactions.claim(target.transactionId);
    return {
      session: tx.session,
      async finish(error) {
        if (error instanceof ApiError && error.endsTransaction) {
          // end() forgets the id at once and returns the connection once it has drained.
          await ctx.transactions.end(tx, error.endsTransaction);
        } else {
          await ctx.transactions.release(tx);
        }
      },
    };
  }
  const session = await ctx.connections.acquire(target.database);
  return { session, finish: () => ctx.connections.release(session) };
}

export async function runInSession<T>(
  ctx: EmulatorContext,
  target: SessionTarget,
  continueAfterTimeout: boolean,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  const { session, finish } = await lease(ctx, target);
  return new Promise<T>((resolve, reject) => {
    let finished = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      if (finished) return;
      timedOut = true;
      if (!continueAfterTimeout) session.cancel();
      reject(statementTimeout(session.pid));
    }, ctx.options.statementTimeoutMs);

    work(session)
      .then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      )
      .then((outcome) => {
        finished = true;
        clearTimeout(timer);
        // Started before the caller is answered: a transaction is released (or forgotten)
        // within microtasks, long before its client can send the next call.
        finish(outcome.ok ? undefined : outcome.error).catch((err: unknown) =>
          ctx.options.logger?.warn({ err: (err as Error).message }, 'could not hand a connection back'),
        );
        if (timedOut) {
          if (!outcome.ok) {
            ctx.options.logger?.info({ err: String((outcome.error as Error)?.message ?? outcome.error) }, 'statement ended after its timeout');
          }
          return;
        }
        if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      });
  });
}
