// BeginTransaction, CommitTransaction, RollbackTransaction.

import type { EmulatorContext } from '../context.js';
import { toJson } from '../json-writer.js';
import { BEGIN_SHAPE, END_SHAPE, validateRequest } from '../validation.js';
import type { BeginTransactionRequest, EndTransactionRequest } from '../wire-types.js';
import { rejectSchema } from './common.js';

export async function beginTransaction(ctx: EmulatorContext, body: Record<string, unknown>): Promise<string> {
  validateRequest(body, BEGIN_SHAPE);
  const req = body as unknown as BeginTransactionRequest;
  rejectSchema(req.schema);
  const session = await ctx.connections.acquire(req.database);
  try {
    await session.client.query('BEGIN');
  } catch (err) {
    await ctx.connections.release(session);
    throw err;
  }
  const tx = ctx.transactions.begin(session);
  return toJson({ transactionId: tx.id });
}

export function commitTransaction(ctx: EmulatorContext, body: Record<string, unknown>): Promise<string> {
  return endTransaction(ctx, body, 'COMMIT', 'Transaction Committed');
}

export function rollbackTransaction(ctx: EmulatorContext, body: Record<string, unknown>): Promise<string> {
  return endTransaction(ctx, body, 'ROLLBACK', 'Rollback Complete');
}

async function endTransaction(
  ctx: EmulatorContext,
  body: Record<string, unknown>,
  command: 'COMMIT' | 'ROLLBACK',
  status: string,
): Promise<string> {
  validateRequest(body, END_SHAPE);
  const req = body as unknown as EndTransactionRequest;
  const tx = ctx.transactions.claim(req.transactionId);
  try {
    // COMMIT of a transaction PostgreSQL has aborted silently rolls back, as through pgJDBC.
    await tx.session.client.query(command);
  } finally {
    await ctx.transactions.end(tx, 'One previous call resulted in a termination of your transaction');
  }
  return toJson({ transactionStatus: status });
}
