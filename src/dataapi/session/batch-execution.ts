// Sends the rounds of one single-row INSERT that a client pipelined (pgJDBC executeBatch) as
// BatchExecuteStatement calls, and answers every message of every round as PostgreSQL would.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { encodeBindComplete, encodeCommandComplete, encodeNoData, encodeParseComplete } from '../../protocol/backend-encoder.js';
import { BATCH_REQUEST_BUDGET, PIPELINE_READ_LIMIT, ROUND_FRAME_TYPES, chunkBySize, collectRounds } from './batching.js';
import type { ClientInput } from './client-input.js';
import type { ClientWriter } from './client-writer.js';
import { abortedTransactionError, type RunnerContext } from './outcome.js';
import { expandFormats, renderForBatch, type BoundValues } from './render.js';
import { beginWithSettings } from './generic-statement.js';
import type { ParsedStatement } from '../sql/index.js';

export interface BatchableStatement {
  name: string;
  statement: ParsedStatement;
  paramCount: number;
}

/**
 * Runs the Execute of `portal` (bound to `bound`) and the rounds of the same statement queued
 * behind it. Returns the number of rounds sent besides the first, or null when there was
 * nothing to batch (the caller then executes the portal on its own).
 */
export async function executeRounds(
  ctx: RunnerContext,
  input: ClientInput,
  out: ClientWriter,
  st: BatchableStatement,
  portalName: string,
  bound: BoundValues,
): Promise<number | null> {
  const { tx, settings } = ctx;
  // pgJDBC writes a batch 8 KiB at a time: gather the whole pipeline so it travels in few calls.
  await input.readWhile(ROUND_FRAME_TYPES, PIPELINE_READ_LIMIT);
  const rounds = collectRounds(input.ahead(), st.name, st.statement.text, portalName);
  if (rounds.length === 0) return null;
  const first = renderForBatch(st.statement, bound);
  if (!first) return null;
  const sets: SqlParameter[][] = [first.parameters];
  for (const round of rounds) {
    if (round.bind.params.length !== st.paramCount) return null;
    const formats = expandFormats(round.bind.paramFormats, round.bind.params.length, 'parameter');
    const rendered = renderForBatch(st.statement, { values: round.bind.params, formats, types: bound.types });
    if (!rendered || rendered.sql !== first.sql) return null;
    sets.push(rendered.parameters);
  }
  if (tx.status === 'E') throw abortedTransactionError();
  input.consume(rounds.reduce((n, r) => n + r.frames, 0));

  const chunks = chunkBySize(sets, BATCH_REQUEST_BUDGET);
  // Everything up to Sync is one implicit transaction: when other statements follow the rounds
  // (or may follow: the pipeline was not read to its end), they must commit or fail together.
  const endsAtSync = input.reachesSyncFirst();
  if (!tx.open && (chunks.length > 1 || settings.hasServerSettings || !endsAtSync)) await beginWithSettings(ctx, true);
  for (const chunk of chunks) await tx.batchExecute(first.sql, chunk, ctx.onResuming);

  out.send(encodeCommandComplete('INSERT 0 1'));
  for (const round of rounds) {
    for (const m of round.messages) {
      if (m === 'Parse') out.send(encodeParseComplete());
      else if (m === 'Bind') out.send(encodeBindComplete());
      else if (m === 'Describe') out.send(encodeNoData());
      else out.send(encodeCommandComplete('INSERT 0 1'));
    }
  }
  if (tx.implicit && endsAtSync) await tx.commit();
  return rounds.length;
}
