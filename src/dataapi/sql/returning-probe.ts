// The result columns of a data-changing statement without running it. PostgreSQL describes
// `INSERT ... RETURNING` from parse analysis alone; the Data API can only run statements, and
// running one (even rolled back) takes sequence values, fires triggers and locks rows. So the
// statement is rewritten into a SELECT over the same relations whose target list is the
// RETURNING list:
//
//   INSERT INTO t [AS x] ...                 RETURNING list  ->  SELECT list FROM t [AS x]
//   UPDATE [ONLY] t [x] SET ... [FROM f]     RETURNING list  ->  SELECT list FROM t [x] [, f]
//   DELETE FROM [ONLY] t [x] [USING u]       RETURNING list  ->  SELECT list FROM t [x] [, u]
//   MERGE INTO t [x] USING s ON ... WHEN ... RETURNING list  ->  SELECT list FROM t [x], s
//
// each followed by LIMIT 0, and a data-modifying CTE becomes the same SELECT inside its WITH.
// RETURNING's names and types are those of the same expressions over the same columns, so the
// SELECT describes the same row. What this file cannot take apart with certainty gives
// `unsupported`: the caller then refuses to describe rather than run the statement.
import { isTrivia, tokenize, type Token } from './lexer.js';

export type ReturningProbe =
  /** Nothing in the statement changes data: describe it as it stands. */
  | { kind: 'no-dml' }
  /** A SELECT (or VALUES, or WITH ... SELECT) with the statement's result columns that changes nothing. */
  | { kind: 'probe'; sql: string }
  | { kind: 'unsupported'; reason: string };

const DML = new Set(['insert', 'update', 'delete', 'merge']);
const SELECT_LIKE = new Set(['select', 'values', 'table']);

class Unsupported extends Error {}

interface Rewritten {
  sql: string;
  /** Whether the input contained a data-changing statement (the output never does). */
  dml: boolean;
}

class StatementTokens {
  readonly tokens: Token[];
  readonly depths: number[];

  constructor(readonly text: string) {
    this.tokens = tokenize(text).filter((t) => !isTrivia(t));
    this.depths = [];
    let depth = 0;
    for (const t of this.tokens) {
      if (t.kind === 'punctuation' && (t.text === ')' || t.text === ']')) depth--;
      this.depths.push(depth);
      if (t.kind === 'punctuation' && (t.text === '(' || t.text === '[')) depth++;
    }
  }

  word(i: number): string | null {
    const t = this.tokens[i];
    return t?.kind === 'identifier' ? t.word : null;
  }

  isPunct(i: number, p: string): boolean {
    const t = this.tokens[i];
    return t?.kind === 'punctuation' && t.text === p;
  }

  /** The source text of tokens [from, to), comments between them included. */
  slice(from: number, to: number): string {
    if (to <= from) return '';
    return this.text.slice(this.tokens[from]!.start, this.tokens[to - 1]!.end);
  }

  /** Index of the `)` closing the `(` at `open`. */
  closing(open: number, to: number): number {
    const depth = this.depths[open]!;
    for (let k = open + 1; k < to; k++) {
      if (this.depths[k] === depth && this.isPunct(k, ')')) return k;
    }
    throw new Unsupported('unbalanced parentheses');
  }

  /** First index in [from, to) at depth `depth` whose word is in `words`, or `to`. */
  find(from: number, to: number, depth: number, words: Set<string>, skip?: (k: number) => boolean): number {
    for (let k = from; k < to; k++) {
      if (this.depths[k] !== depth) continue;
      const w = this.word(k);
      if (w !== null && words.has(w) && !skip?.(k)) return k;
    }
    return to;
  }
}

/** Rewrites a single statement (no `;` inside it) as described above. */
export function returningProbe(text: string): ReturningProbe {
  const st = new StatementTokens(text);
  let to = st.tokens.length;
  while (to > 0 && st.isPunct(to - 1, ';')) to--;
  try {
    if (st.depths.some((d) => d < 0) || (to > 0 && st.depths[to - 1]! < 0)) throw new Unsupported('unbalanced parentheses');
    const out = rewriteStatement(st, 0, to);
    if (!out.dml) return { kind: 'no-dml' };
    // The output must itself be free of data-changing statements: a second pass proves it.
    const check = rewriteStatement(new StatementTokens(out.sql), 0, Number.MAX_SAFE_INTEGER);
    if (check.dml) throw new Unsupported('the rewritten statement still changes data');
    return { kind: 'probe', sql: out.sql };
  } catch (err) {
    if (err instanceof Unsupported) return { kind: 'unsupported', reason: err.message };
    throw err;
  }
}

function rewriteStatement(st: StatementTokens, from: number, toLimit: number): Rewritten {
  const to = Math.min(toLimit, st.tokens.length);
  let i = from;
  let open = 0;
  while (st.isPunct(i, '(')) {
    i++;
    open++;
  }
  const head: string[] = [];
  let dml = false;
  if (st.word(i) === 'with') {
    if (open > 0) return { sql: st.slice(from, to), dml: false }; // DML cannot be nested: PostgreSQL refuses it
    const ctes = rewriteWith(st, i + 1, to);
    head.push(ctes.sql);
    dml = ctes.dml;
    i = ctes.next;
    while (st.isPunct(i, '(')) {
      i++;
      open++;
    }
  }
  const verb = st.word(i);
  if (verb !== null && DML.has(verb)) {
    if (open > 0) throw new Unsupported('a data-changing statement in parentheses');
    head.push(rewriteDml(st, i, to, verb));
    return { sql: head.join(' '), dml: true };
  }
  // Without WITH, anything else is left as it is (PostgreSQL judges it); after WITH, PostgreSQL
  // allows only the main verbs.
  if (head.length === 0) return { sql: st.slice(from, to), dml: false };
  if (verb === null || !SELECT_LIKE.has(verb)) throw new Unsupported('an unrecognised statement after WITH');
  // A SELECT-like main statement stays as written (with its parentheses).
  const mainStart = i - open;
  head.push(st.slice(mainStart, to));
  return { sql: head.join(' '), dml };
}

/** `[RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (query) [SEARCH ...] [CYCLE ...], ...` */
function rewriteWith(st: StatementTokens, start: number, to: number): Rewritten & { next: number } {
  let i = start;
  const parts: string[] = [];
  let dml = false;
  let prefix = 'WITH';
  if (st.word(i) === 'recursive') {
    prefix = 'WITH RECURSIVE';
    i++;
  }
  for (;;) {
    const nameStart = i;
    if (!st.tokens[i] || (st.tokens[i]!.kind !== 'identifier' && st.tokens[i]!.kind !== 'quoted-identifier')) {
      throw new Unsupported('a WITH query without a name');
    }
    i++;
    if (st.isPunct(i, '(')) i = st.closing(i, to) + 1;
    if (st.word(i) !== 'as') throw new Unsupported('a WITH query without AS');
    i++;
    if (st.word(i) === 'not') i++;
    if (st.word(i) === 'materialized') i++;
    if (!st.isPunct(i, '(')) throw new Unsupported('a WITH query without its parenthesised statement');
    const close = st.closing(i, to);
    const body = rewriteStatement(st, i + 1, close);
    dml ||= body.dml;
    let after = close + 1;
    // SEARCH ... SET col and CYCLE ... USING col (only on a recursive SELECT) stay as written.
    if (st.word(after) === 'search') {
      while (after < to && st.word(after) !== 'set') after++;
      after += 2;
    }
    if (st.word(after) === 'cycle') {
      while (after < to && st.word(after) !== 'using') after++;
      after += 2;
    }
    if (after > to) throw new Unsupported('an unfinished SEARCH or CYCLE clause');
    parts.push(`${st.slice(nameStart, i + 1)}\n${body.sql}\n)${after > close + 1 ? ' ' + st.slice(close + 1, after) : ''}`);
    i = after;
    if (st.isPunct(i, ',')) {
      i++;
      continue;
    }
    return { sql: `${prefix} ${parts.join(',\n')}`, dml, next: i };
  }
}

const UPDATE_TARGET_END = new Set(['set']);
const UPDATE_FROM_END = new Set(['where', 'returning']);
const DELETE_TARGET_END = new Set(['using', 'where', 'returning']);
const INSERT_BODY = new Set(['values', 'select', 'default', 'with', 'table', 'overriding']);

/** The SELECT that stands for one INSERT / UPDATE / DELETE / MERGE (tokens [at, to)). */
function rewriteDml(st: StatementTokens, at: number, to: number, verb: string): string {
  const depth = st.depths[at]!;
  const returning = st.find(at, to, depth, new Set(['returning']));
  if (returning === to) return 'SELECT WHERE false'; // no rows: a data-modifying CTE without RETURNING
  if (st.word(returning + 1) === 'with' && st.isPunct(returning + 2, '(')) {
    throw new Unsupported('RETURNING WITH (OLD/NEW aliases)');
  }
  if (returning + 1 >= to) throw new Unsupported('an empty RETURNING list');
  const relations: string[] = [];
  switch (verb) {
    case 'insert': {
      if (st.word(at + 1) !== 'into') throw new Unsupported('INSERT without INTO');
      // insert_target is `qualified_name [AS alias]`; it ends where the columns or the rows start.
      let end = at + 2;
      while (end < to && !st.isPunct(end, '(') && !INSERT_BODY.has(st.word(end) ?? '')) end++;
      if (end === at + 2 || end >= returning) throw new Unsupported('INSERT without a target table');
      relations.push(st.slice(at + 2, end));
      break;
    }
    case 'update': {
      const set = st.find(at + 1, returning, depth, UPDATE_TARGET_END);
      if (set === at + 1 || set >= returning) throw new Unsupported('UPDATE without SET');
      relations.push(st.slice(at + 1, set));
      // `a IS DISTINCT FROM b` in SET is not the FROM clause.
      const fromKw = st.find(set + 1, returning, depth, new Set(['from']), (k) => st.word(k - 1) === 'distinct');
      if (fromKw < returning) {
        const end = st.find(fromKw + 1, returning + 1, depth, UPDATE_FROM_END);
        if (end === fromKw + 1) throw new Unsupported('an empty FROM list');
        relations.push(st.slice(fromKw + 1, end));
      }
      break;
    }
    case 'delete': {
      if (st.word(at + 1) !== 'from') throw new Unsupported('DELETE without FROM');
      const end = st.find(at + 2, returning + 1, depth, DELETE_TARGET_END);
      if (end === at + 2) throw new Unsupported('DELETE without a target table');
      relations.push(st.slice(at + 2, end));
      if (st.word(end) === 'using') {
        const usingEnd = st.find(end + 1, returning + 1, depth, new Set(['where', 'returning']));
        if (usingEnd === end + 1) throw new Unsupported('an empty USING list');
        relations.push(st.slice(end + 1, usingEnd));
      }
      break;
    }
    case 'merge': {
      if (st.word(at + 1) !== 'into') throw new Unsupported('MERGE without INTO');
      const using = st.find(at + 2, returning, depth, new Set(['using']));
      if (using === at + 2 || using >= returning) throw new Unsupported('MERGE without USING');
      relations.push(st.slice(at + 2, using));
      relations.push(st.slice(using + 1, mergeJoinCondition(st, using + 1, returning, depth)));
      break;
    }
  }
  const list = verb === 'merge' ? mergeReturningList(st, returning + 1, to) : st.slice(returning + 1, to);
  return `SELECT ${list}\nFROM ${relations.join(',\n')}\nLIMIT 0`;
}

/**
 * The `ON` of `MERGE ... USING source ON condition WHEN`: the last one at the statement's depth
 * before the first WHEN (a joined source has ON clauses of its own; CASE has WHENs of its own).
 */
function mergeJoinCondition(st: StatementTokens, from: number, to: number, depth: number): number {
  let cases = 0;
  let on = -1;
  for (let k = from; k < to; k++) {
    if (st.depths[k] !== depth) continue;
    const w = st.word(k);
    if (w === 'case') cases++;
    else if (w === 'end' && cases > 0) cases--;
    else if (cases === 0 && w === 'on') on = k;
    else if (cases === 0 && w === 'when') break;
  }
  if (on <= from) throw new Unsupported('MERGE without ON');
  return on;
}

/**
 * MERGE's RETURNING list with `merge_action()` (allowed only there) replaced by a text NULL,
 * named `merge_action` as PostgreSQL names the bare call.
 */
function mergeReturningList(st: StatementTokens, from: number, to: number): string {
  const depth = st.depths[from]!;
  const pieces: string[] = [];
  let last = st.tokens[from]!.start;
  let itemStart = from;
  for (let k = from; k < to; k++) {
    if (st.depths[k] === depth && st.isPunct(k, ',')) itemStart = k + 1;
    if (st.word(k) !== 'merge_action' || !st.isPunct(k + 1, '(') || !st.isPunct(k + 2, ')')) continue;
    let callStart = k;
    if (st.isPunct(k - 1, '.') && st.word(k - 2) === 'pg_catalog') callStart = k - 2;
    const itemEnd = k + 3;
    const bare = callStart === itemStart && (itemEnd === to || (st.depths[itemEnd] === depth && st.isPunct(itemEnd, ',')));
    pieces.push(st.text.slice(last, st.tokens[callStart]!.start));
    pieces.push(bare ? 'CAST(NULL AS text) AS merge_action' : 'CAST(NULL AS text)');
    last = st.tokens[k + 2]!.end;
  }
  pieces.push(st.text.slice(last, st.tokens[to - 1]!.end));
  return pieces.join('');
}
