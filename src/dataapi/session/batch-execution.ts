// Runs the rounds of one single-row INSERT that a client pipelined (pgJDBC executeBatch, psycopg
// executemany) the way batch-route.ts chooses: set-based statements (set-based-batch.ts),
// BatchExecuteStatement calls, or one statement per round (then nothing is gathered here and the
// session runs each Execute as it comes). Every message of every round is answered as PostgreSQL
// would.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { BATCH_REQUEST_BUDGET, PIPELINE_READ_LIMIT, ROUND_FRAME_TYPES, boundStatementNames, chunkBySize, collectRounds, ownStatement, type BatchRound, type RoundStatements } from './batching.js';
import type { ClientInput, Frame } from './client-input.js';
import type { ClientWriter } from './client-writer.js';
import type { RunnerContext } from './outcome.js';
import { expandFormats, renderForBatch, type BoundValues } from './render.js';
import type { ParsedStatement } from '../sql/index.js';
import { lookUpBatchRoute } from './batch-route-lookup.js';
import { parameterTexts } from './batch-values.js';
import { runChunkedBatch } from './batch-runner.js';
import { attemptStatement, isDatabaseError, type Attempt } from './first-failing-row.js';
import { rowsParameter, type EncodedRow } from './json-rows.js';
import { chunkRows } from './set-based-chunks.js';
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
  /** The session's prepared statements by name (rounds may bind others of the same text). */
  statementNamed: (name: string) => BatchableStatement | undefined = () => undefined,
): Promise<number | null> {
  const { tx } = ctx;
  // pgJDBC writes a batch 8 KiB at a time: gather the whole pipeline so it travels in few calls.
  await input.readWhile(ROUND_FRAME_TYPES, PIPELINE_READ_LIMIT);
  if (!roundFollows(input) || refused.has(input.ahead()[0])) return null;
  // An aborted transaction refuses the statement: the ordinary path says so.
  if (tx.status === 'E') return null;
  const routed = await lookUpBatchRoute(ctx, st.statement, bound.types);
  if (!routed || routed.route.kind === 'per-statement') return null;
  const statements = await roundStatements(ctx, st, routed.paramTypes, boundStatementNames(input.ahead()), statementNamed);
  const rounds = collectRounds(input.ahead(), statements, portalName);
  if (rounds.length === 0) return null;
  const gathered = gatherRounds(input, st, bound, rounds, statementNamed);
  if (gathered && routed.route.kind === 'set-based' && rounds.length + 1 >= SET_BASED_MIN_ROUNDS) {
    const done = await executeSetBased(ctx, input, out, gathered, routed.statement, routed.paramTypes, routed.route.parameters);
    if (done) return rounds.length;
  }
  const sent = gathered ? await executeAsBatchStatements(ctx, input, out, gathered) : null;
  if (sent === null) refuse(input.ahead(), rounds);
  return sent;
}

/**
 * Frames of rounds found unfit to batch: each of those rounds' Execute runs on its own and would
 * otherwise gather and examine all the rounds behind it again (quadratic in a long pipeline).
 */
const refused = new WeakSet<Frame>();

function refuse(queued: readonly Frame[], rounds: readonly BatchRound[]): void {
  const frames = rounds.reduce((n, r) => n + r.frames, 0);
  for (const f of queued.slice(0, frames)) refused.add(f);
}

/** The rounds with every one's Bind values (the portal's own first), and what follows them. */
interface GatheredRounds {
  st: BatchableStatement;
  rounds: BatchRound[];
  bound: BoundValues[];
  /** Nothing but Sync follows the rounds (an implicit transaction may end with them). */
  endsAtSync: boolean;
}

/** Null when a round binds another number of values than the statement has parameters. */
function gatherRounds(
  input: ClientInput,
  st: BatchableStatement,
  first: BoundValues,
  rounds: BatchRound[],
  statementNamed: (name: string) => BatchableStatement | undefined,
): GatheredRounds | null {
  const bound: BoundValues[] = [first];
  for (const round of rounds) {
    if (round.bind.params.length !== st.paramCount) return null;
    const formats = expandFormats(round.bind.paramFormats, round.bind.params.length, 'parameter');
    // A round of another statement of the same text binds with that statement's declared types.
    const types = round.bind.statement === st.name ? first.types : (statementNamed(round.bind.statement)?.paramTypes ?? first.types);
    bound.push({ values: round.bind.params, formats, types });
  }
  const endsAtSync = reachesSyncFirst(input, rounds.reduce((n, r) => n + r.frames, 0));
  return { st, rounds, bound, endsAtSync };
}

/**
 * The batch's own statement, and the other prepared statements its rounds bind that have the
 * same text and, once inferred as PostgreSQL infers them, the same parameter types - or types
 * that differ only for parameters that are a VALUES item by themselves and NULL in that round
 * (a NULL assigned to the column is the same NULL whatever its type). psycopg prepares one
 * statement per pattern of NULLs (a None has no type) and alternates between them.
 */
async function roundStatements(
  ctx: RunnerContext,
  st: BatchableStatement,
  paramTypes: readonly number[],
  names: ReadonlySet<string>,
  statementNamed: (name: string) => BatchableStatement | undefined,
): Promise<RoundStatements> {
  const own = ownStatement(st.name, st.statement.text, st.paramTypes);
  const bare = bareParameters(st.statement);
  /** Per other statement: the parameter positions (0-based) whose types differ. */
  const others = new Map<string, number[]>();
  for (const name of names) {
    const other = name === st.name ? undefined : statementNamed(name);
    if (!other || other.statement.text !== st.statement.text || other.paramCount !== st.paramCount) continue;
    let types = other.paramTypes;
    if (types.some((t) => t === 0) && ctx.describe) types = await ctx.describe(other.statement, [...types]).then((d) => d.paramTypes, () => types);
    if (types.length !== paramTypes.length) continue;
    const differing = paramTypes.flatMap((t, i) => (types[i] === t ? [] : [i]));
    if (differing.every((i) => bare.has(i + 1))) others.set(name, differing);
  }
  return {
    binds: (bind) => {
      if (own.binds(bind)) return true;
      const differing = others.get(bind.statement);
      return differing !== undefined && differing.every((i) => bind.params[i] === null);
    },
    parses: own.parses,
  };
}

/** Parameters that appear once in the statement, as a whole VALUES item. */
function bareParameters(statement: ParsedStatement): Set<number> {
  const insert = parseSingleRowInsert(statement.text, statement.tokens);
  const uses = new Map<number, number>();
  for (const t of statement.tokens) if (t.kind === 'parameter') uses.set(t.index, (uses.get(t.index) ?? 0) + 1);
  return new Set((insert?.items ?? []).filter((n) => n > 0 && uses.get(n) === 1));
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
  { st, rounds, bound, endsAtSync }: GatheredRounds,
  statement: ParsedStatement,
  paramTypes: number[],
  parameters: ParameterColumn[],
): Promise<boolean> {
  const insert = parseSingleRowInsert(statement.text, statement.tokens);
  if (!insert) return false;
  const rows: (string | null)[][] = [];
  for (const b of bound) {
    const texts = parameterTexts(b.values, b.formats, paramTypes);
    if (!texts) return false;
    rows.push(texts);
  }
  const sql = setBasedInsertSql(insert, parameters);
  const chunks = chunkRows(rows, st.paramCount);
  const batch = { statement: st.statement, chunks, insert: (chunk: EncodedRow[]) => attemptStatement(ctx, sql, rowsParameter(chunk)), bound, rounds, endsAtSync };
  await runChunkedBatch(ctx, out, batch, (n) => input.consume(n));
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
async function executeAsBatchStatements(ctx: RunnerContext, input: ClientInput, out: ClientWriter, gathered: GatheredRounds): Promise<number | null> {
  const { st, rounds, bound, endsAtSync } = gathered;
  const sets: SqlParameter[][] = [];
  let sql: string | null = null;
  for (const b of bound) {
    const rendered = renderForBatch(st.statement, b);
    if (!rendered || (sql !== null && rendered.sql !== sql)) return null;
    sql = rendered.sql;
    sets.push(rendered.parameters);
  }
  const text = sql!;
  const chunks = chunkBySize(sets, BATCH_REQUEST_BUDGET);
  const batch = { statement: st.statement, chunks, insert: (chunk: SqlParameter[][]) => attemptBatch(ctx, text, chunk), bound, rounds, endsAtSync };
  await runChunkedBatch(ctx, out, batch, (n) => input.consume(n));
  return rounds.length;
}

async function attemptBatch(ctx: RunnerContext, sql: string, sets: SqlParameter[][]): Promise<Attempt> {
  try {
    return { ok: true, updated: await ctx.tx.batchExecute(sql, sets, ctx.onResuming) };
  } catch (err) {
    if (isDatabaseError(err)) return { ok: false, error: err };
    throw err;
  }
}
