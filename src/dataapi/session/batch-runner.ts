// Runs the pipelined rounds of one single-row INSERT in chunks, each one call: a set-based
// statement whose JSON parameter carries the chunk's rows (json-rows.ts, set-based-insert-sql.ts),
// or a BatchExecuteStatement of the chunk's parameter sets. Every round is answered as PostgreSQL
// answers it. When a chunk fails, the first failing round is found by bisection inside a
// savepoint (as COPY does, first-failing-row.ts) and then run alone the ordinary way:
// PostgreSQL's own error for that row, left in place so that the transaction is aborted exactly
// as PostgreSQL's would be. The rounds before it are answered `INSERT 0 1`, the rest are skipped
// until Sync by the caller.
import { encodeBindComplete, encodeCommandComplete, encodeNoData, encodeParseComplete } from '../../protocol/backend-encoder.js';
import type { ParsedStatement } from '../sql/index.js';
import type { BatchRound } from './batching.js';
import type { ClientWriter } from './client-writer.js';
import { firstFailingRow, type Attempt } from './first-failing-row.js';
import { beginWithSettings } from './generic-statement.js';
import type { RunnerContext } from './outcome.js';
import type { BoundValues } from './render.js';
import { runStatement } from './statement-runner.js';

const CHUNK_SAVEPOINT = 'apgp_batch_chunk';
const PROBE_SAVEPOINT = 'apgp_batch_probe';

export interface ChunkedBatch<Row> {
  statement: ParsedStatement;
  /** The rounds' rows in chunks of one call each, the portal's own round first. */
  chunks: Row[][];
  /** Inserts rows (a chunk or part of one); a database error is a failed attempt. */
  insert(rows: Row[]): Promise<Attempt>;
  /** Per round, its Bind values as the ordinary path takes them (to run a failing one alone). */
  bound: BoundValues[];
  /** The rounds queued behind the portal's own Execute (rows[i + 1] is rounds[i]'s). */
  rounds: BatchRound[];
  /** Nothing but Sync follows the rounds: an implicit transaction may end with them. */
  endsAtSync: boolean;
}

/**
 * Inserts every round's row and answers the rounds, consuming their queued frames. On a failing
 * round it answers those before it and its own messages up to its Execute, consumes the frames
 * up to that round's, and throws that round's error (the caller skips to Sync).
 */
export async function runChunkedBatch<Row>(ctx: RunnerContext, out: ClientWriter, batch: ChunkedBatch<Row>, consume: (frames: number) => void): Promise<void> {
  const { tx } = ctx;
  const { chunks } = batch;
  const ownTransaction = !tx.open;
  const alone = ownTransaction && chunks.length === 1 && batch.endsAtSync && !ctx.settings.hasServerSettings;
  if (!alone && !tx.open) await beginWithSettings(ctx, true);
  let start = 0;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c];
    // The first chunk of the batch's own transaction needs no savepoint: it is begun again.
    const guarded = tx.open && !(ownTransaction && c === 0);
    if (guarded) await tx.execute({ sql: `SAVEPOINT ${CHUNK_SAVEPOINT}` }, ctx.onResuming);
    const attempt = await batch.insert(chunk);
    if (!attempt.ok) {
      if (guarded) await tx.execute({ sql: `ROLLBACK TO SAVEPOINT ${CHUNK_SAVEPOINT}` }, ctx.onResuming);
      else {
        if (tx.open) await tx.rollback();
        await beginWithSettings(ctx, true);
      }
      await failAt(ctx, out, batch, chunk, start, consume, attempt.error);
      return;
    }
    if (guarded) await tx.execute({ sql: `RELEASE SAVEPOINT ${CHUNK_SAVEPOINT}` }, ctx.onResuming);
    start += chunk.length;
  }
  answerRounds(out, batch.rounds, batch.rounds.length);
  consume(batch.rounds.reduce((n, r) => n + r.frames, 0));
  if (tx.implicit && batch.endsAtSync) await tx.commit();
}

/**
 * The chunk starting at round `start` failed (the transaction holds the rows before it):
 * finds the round PostgreSQL would have failed at and runs it alone, which throws its error.
 */
async function failAt<Row>(
  ctx: RunnerContext,
  out: ClientWriter,
  batch: ChunkedBatch<Row>,
  chunk: readonly Row[],
  start: number,
  consume: (frames: number) => void,
  chunkError: Error,
): Promise<never> {
  const offset = await firstFailingRow(ctx, chunk.length, (from, to) => batch.insert(chunk.slice(from, to)), PROBE_SAVEPOINT);
  const failing = start + offset;
  // Rounds [0, failing) went in; the failing one runs the ordinary way (its error, as PostgreSQL gives it).
  answerRounds(out, batch.rounds, failing - 1);
  const round = failing > 0 ? batch.rounds[failing - 1] : null;
  if (round) {
    for (const m of round.messages) if (m !== 'Execute') out.send(answerTo(m));
  }
  consume(batch.rounds.slice(0, failing).reduce((n, r) => n + r.frames, 0));
  await runStatement(ctx, batch.statement, batch.bound[failing]);
  // The row no longer fails alone (the chunk's error was transient, a deadlock or a
  // serialization failure): the chunk's error stands for it, and the transaction counts as failed.
  throw chunkError;
}

/** Answers the portal's own Execute and the first `count` queued rounds, all complete. */
function answerRounds(out: ClientWriter, rounds: readonly BatchRound[], count: number): void {
  if (count < 0) return;
  out.send(encodeCommandComplete('INSERT 0 1'));
  for (const round of rounds.slice(0, count)) {
    for (const m of round.messages) out.send(answerTo(m));
  }
}

function answerTo(m: BatchRound['messages'][number]): Buffer {
  if (m === 'Parse') return encodeParseComplete();
  if (m === 'Bind') return encodeBindComplete();
  if (m === 'Describe') return encodeNoData();
  return encodeCommandComplete('INSERT 0 1');
}
