// Runs the rounds of one single-row INSERT that a client pipelined (pgJDBC executeBatch, psycopg
// executemany) the way batch-route.ts chooses: set-based statements (set-based-batch.ts),
// BatchExecuteStatement calls, or one statement per round (then nothing is gathered here and the
// session runs each Execute as it comes). Every message of every round is answered as PostgreSQL
// would.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { encodeBindComplete, encodeCommandComplete, encodeNoData, encodeParseComplete } from '../../protocol/backend-encoder.js';
import { BATCH_REQUEST_BUDGET, PIPELINE_READ_LIMIT, ROUND_FRAME_TYPES, chunkBySize, collectRounds, type BatchRound } from './batching.js';
import type { ClientInput } from './client-input.js';
import type { ClientWriter } from './client-writer.js';
import { abortedTransactionError, type RunnerContext } from './outcome.js';
import { expandFormats, renderForBatch, type BoundValues } from './render.js';
import { beginWithSettings } from './generic-statement.js';
import type { ParsedStatement } from '../sql/index.js';
import { lookUpBatchRoute } from './batch-route-lookup.js';
import { parameterTexts } from './batch-values.js';
import { runSetBasedBatch } from './set-based-batch.js';
import { setBasedInsertSql } from './set-based-insert-sql.js';
import { parseSingleRowInsert } from '../sql/set-based-insert.js';
import type { ParameterColumn } from './set-based-insert-sql.js';

export interface BatchableStatement {
  name: string;
  statement: ParsedStatement;
  paramCount: number;
  /** The types Parse declared (0: unspecified); a later Parse of other types is another statement. */
  paramTypes: number[];
}

/** Fewer rounds than this gain too little from a set-based statement to pay its catalog read. */
export const SET_BASED_MIN_ROUNDS = 8;

/**
 * Runs the Execute of `portal` (bound to `bound`) and the rounds of the same statement queued
 * behind it. Returns the number of rounds run besides the first, or null when there was
 * nothing to batch or the rounds must run one statement each (the caller then executes the
 * portal on its own).
 */
export async function executeRounds(
  ctx: RunnerContext,
  input: ClientInput,
  out: ClientWriter,
  st: BatchableStatement,
  portalName: string,
  bound: BoundValues,
): Promise<number | null> {
  const { tx } = ctx;
  // pgJDBC writes a batch 8 KiB at a time: gather the whole pipeline so it travels in few calls.
  await input.readWhile(ROUND_FRAME_TYPES, PIPELINE_READ_LIMIT);
  if (!roundFollows(input)) return null;
  // An aborted transaction refuses the statement: the ordinary path says so.
  if (tx.status === 'E') return null;
  const routed = await lookUpBatchRoute(ctx, st.statement, bound.types);
  if (!routed || routed.route.kind === 'per-statement') return null;
  const rounds = collectRounds(input.ahead(), st.name, st.statement.text, portalName, st.paramTypes);
  if (rounds.length === 0) return null;
  if (routed.route.kind === 'set-based' && rounds.length + 1 >= SET_BASED_MIN_ROUNDS) {
    const done = await executeSetBased(ctx, input, out, st, bound, rounds, routed.statement, routed.paramTypes, routed.route.parameters);
    if (done) return rounds.length;
  }
  return executeAsBatchStatements(ctx, input, out, st, bound, rounds);
}

/** The next queued frame may start another round (a Parse or Bind). */
function roundFollows(input: ClientInput): boolean {
  const next = input.ahead()[0];
  return next?.type === 0x50 || next?.type === 0x42;
}

/** False when a round's values cannot travel as JSON text (then BatchExecuteStatement runs them). */
async function executeSetBased(
  ctx: RunnerContext,
  input: ClientInput,
  out: ClientWriter,
  st: BatchableStatement,
  bound: BoundValues,
  rounds: BatchRound[],
  statement: ParsedStatement,
  paramTypes: number[],
  parameters: ParameterColumn[],
): Promise<boolean> {
  const insert = parseSingleRowInsert(statement.text, statement.tokens);
  if (!insert) return false;
  const allBound: BoundValues[] = [bound];
  for (const round of rounds) {
    if (round.bind.params.length !== st.paramCount) return false;
    const formats = expandFormats(round.bind.paramFormats, round.bind.params.length, 'parameter');
    allBound.push({ values: round.bind.params, formats, types: bound.types });
  }
  const rows: (string | null)[][] = [];
  for (const b of allBound) {
    const texts = parameterTexts(b.values, b.formats, paramTypes);
    if (!texts) return false;
    rows.push(texts);
  }
  const frames = rounds.reduce((n, r) => n + r.frames, 0);
  const endsAtSync = reachesSyncFirst(input, frames);
  await runSetBasedBatch(
    ctx,
    out,
    { statement: st.statement, sql: setBasedInsertSql(insert, parameters), rows, bound: allBound, rounds, endsAtSync },
    st.paramCount,
    (n) => input.consume(n),
  );
  return true;
}

/** After the first `skip` queued frames, a Sync comes before any other Execute. */
function reachesSyncFirst(input: ClientInput, skip: number): boolean {
  for (const f of input.ahead().slice(skip)) {
    if (f.type === 0x53) return true;
    if (f.type === 0x45) return false;
  }
  return false;
}

/** The rounds as BatchExecuteStatement calls (one INSERT per parameter set on the server). */
async function executeAsBatchStatements(
  ctx: RunnerContext,
  input: ClientInput,
  out: ClientWriter,
  st: BatchableStatement,
  bound: BoundValues,
  rounds: BatchRound[],
): Promise<number | null> {
  const { tx, settings } = ctx;
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
