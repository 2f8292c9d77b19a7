// Runs the pipelined rounds of one single-row INSERT as set-based statements: the rows travel as
// one JSON parameter per chunk (json-rows.ts) and one INSERT ... SELECT (set-based-insert-sql.ts)
// inserts them in the clients' order. Every round is answered as PostgreSQL answers it. When a
// chunk fails, the first failing round is found by bisection inside a savepoint (as COPY does,
// first-failing-row.ts) and then run alone the ordinary way: PostgreSQL's own error for that
// row, left in place so that the transaction is aborted exactly as PostgreSQL's would be. The
// rounds before it are answered `INSERT 0 1`, the rest are skipped until Sync by the caller.
import { encodeBindComplete, encodeCommandComplete, encodeNoData, encodeParseComplete } from '../../protocol/backend-encoder.js';
import type { ParsedStatement } from '../sql/index.js';
import type { BatchRound } from './batching.js';
import type { ClientWriter } from './client-writer.js';
import { attemptStatement, firstFailingRow } from './first-failing-row.js';
import { beginWithSettings } from './generic-statement.js';
import { EMPTY_ROWS_BYTES, JsonRowEncoder, ROWS_PARAMETER_BYTES, rowsParameter, type EncodedRow } from './json-rows.js';
import type { RunnerContext } from './outcome.js';
import type { BoundValues } from './render.js';
import { runStatement } from './statement-runner.js';

const CHUNK_SAVEPOINT = 'apgp_batch_chunk';
const PROBE_SAVEPOINT = 'apgp_batch_probe';

export interface SetBasedBatch {
  statement: ParsedStatement;
  /** The INSERT of the `:rows` parameter's rows. */
  sql: string;
  /** Per round (the portal's own first), its parameters' text. */
  rows: (string | null)[][];
  /** Per round, its Bind values as the ordinary path takes them (to run a failing one alone). */
  bound: BoundValues[];
  /** The rounds queued behind the portal's own Execute (rows[i + 1] is rounds[i]'s). */
  rounds: BatchRound[];
  /** Nothing but Sync follows the rounds: an implicit transaction may end with them. */
  endsAtSync: boolean;
}

/** Splits rows into chunks whose JSON parameter stays under the request limit. */
export function chunkRows(rows: readonly (string | null)[][], width: number, budget = ROWS_PARAMETER_BYTES): EncodedRow[][] {
  const encoder = new JsonRowEncoder(width);
  const chunks: EncodedRow[][] = [];
  let current: EncodedRow[] = [];
  let bytes = EMPTY_ROWS_BYTES;
  for (const values of rows) {
    const row = encoder.encode(values);
    if (current.length > 0 && bytes + row.wireBytes > budget) {
      chunks.push(current);
      current = [];
      bytes = EMPTY_ROWS_BYTES;
    }
    current.push(row);
    bytes += row.wireBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Inserts every round's row and answers the rounds, consuming their queued frames. On a failing
 * round it answers those before it and its own messages up to its Execute, consumes the frames
 * up to that round's, and throws that round's error (the caller skips to Sync).
 */
export async function runSetBasedBatch(ctx: RunnerContext, out: ClientWriter, batch: SetBasedBatch, width: number, consume: (frames: number) => void): Promise<void> {
  const { tx } = ctx;
  const chunks = chunkRows(batch.rows, width);
  const ownTransaction = !tx.open;
  const alone = ownTransaction && chunks.length === 1 && batch.endsAtSync && !ctx.settings.hasServerSettings;
  if (!alone && !tx.open) await beginWithSettings(ctx, true);
  let start = 0;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c];
    // The first chunk of the batch's own transaction needs no savepoint: it is begun again.
    const guarded = tx.open && !(ownTransaction && c === 0);
    if (guarded) await tx.execute({ sql: `SAVEPOINT ${CHUNK_SAVEPOINT}` }, ctx.onResuming);
    const attempt = await attemptStatement(ctx, batch.sql, rowsParameter(chunk));
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
async function failAt(
  ctx: RunnerContext,
  out: ClientWriter,
  batch: SetBasedBatch,
  chunk: readonly EncodedRow[],
  start: number,
  consume: (frames: number) => void,
  chunkError: Error,
): Promise<never> {
  const offset = await firstFailingRow(ctx, chunk.length, (from, to) => attemptStatement(ctx, batch.sql, rowsParameter(chunk.slice(from, to))), PROBE_SAVEPOINT);
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
