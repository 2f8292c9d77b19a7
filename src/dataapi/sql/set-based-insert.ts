// A single-row `INSERT INTO t [AS a] [(cols)] [OVERRIDING ... VALUE] VALUES (<exprs with $n>)`
// rewritten to insert many parameter sets in one statement: the VALUES row becomes the select
// list of a SELECT over the rows' JSON (`ROWS FROM (json_to_recordset(...)) WITH ORDINALITY`),
// each `$n` a column of that row source typed as the parameter, and the rows go in the clients'
// order (ORDER BY the ordinality) so that sequences, identity and defaults come out as with one
// statement per row (the SQL: session/set-based-insert-sql.ts). Which statements may be rewritten (no subquery in the row, since it would
// see one snapshot instead of each row's; no DEFAULT item, which a select list cannot hold) is
// decided here; whether the target table allows it is the catalog's question (session/batch-target.ts).
import { identifierValue, isTrivia, tokenize, type Token } from './lexer.js';

export interface SingleRowInsert {
  /** The target relation as written (quotes and schema kept). */
  table: string;
  /** The text before VALUES: `INSERT INTO t (a, b) ` (no parameter can be there). */
  head: string;
  /** The VALUES row's expressions, between its parentheses. */
  row: string;
  /** Per VALUES item: the parameter number when the item is a bare `$n`, else 0. */
  items: number[];
  /** Every parameter number that appears in an item other than a bare `$n`. */
  otherParameters: Set<number>;
  /** Target column names as written, or null for the table's columns in order. */
  columns: string[] | null;
  /** Lower-cased names called as functions in the row (`lower(`, `nextval(`...). */
  functions: string[];
  /** Why the row cannot become a select list (then only the table is of use), or null. */
  blocker: string | null;
}

/** Words that start a subquery (or a VALUES list / TABLE) inside an expression. */
const SUBQUERY_WORDS = new Set(['select', 'values', 'table', 'with']);

const isWord = (t: Token | undefined, w: string) => t?.kind === 'identifier' && t.word === w;
const isPunct = (t: Token | undefined, p: string) => t?.kind === 'punctuation' && t.text === p;
const isName = (t: Token | undefined) => t?.kind === 'identifier' || (t?.kind === 'quoted-identifier' && t.terminated && t.text.length > 2);
const nameOf = (t: Token) => identifierValue(t);

/** The statement's parts, or null when it is not a single-row INSERT of this shape. */
export function parseSingleRowInsert(text: string, tokens: readonly Token[] = tokenize(text)): SingleRowInsert | null {
  const t = tokens.filter((x) => !isTrivia(x));
  let i = 0;
  if (!isWord(t[i++], 'insert') || !isWord(t[i++], 'into') || !isName(t[i])) return null;
  const tableStart = t[i]!.start;
  i++;
  if (isPunct(t[i], '.')) {
    if (!isName(t[i + 1])) return null;
    i += 2;
  }
  const table = text.slice(tableStart, t[i - 1]!.end);
  if (isWord(t[i], 'as')) {
    if (!isName(t[i + 1])) return null;
    i += 2;
  }
  let columns: string[] | null = null;
  if (isPunct(t[i], '(')) {
    columns = [];
    for (i++; ; i++) {
      if (!isName(t[i])) return null;
      columns.push(nameOf(t[i]!));
      i++;
      if (isPunct(t[i], ')')) break;
      if (!isPunct(t[i], ',')) return null;
    }
    i++;
  }
  if (isWord(t[i], 'overriding')) {
    if (!(isWord(t[i + 1], 'system') || isWord(t[i + 1], 'user')) || !isWord(t[i + 2], 'value')) return null;
    i += 3;
  }
  if (!isWord(t[i], 'values') || !isPunct(t[i + 1], '(')) return null;
  const head = text.slice(0, t[i]!.start);
  const rowStart = t[i + 1]!.end;
  i += 2;

  const items: number[] = [];
  const otherParameters = new Set<number>();
  const functions = new Set<string>();
  let item: Token[] = [];
  let depth = 0;
  let rowEnd = -1;
  let blocker: string | null = null;
  for (; rowEnd < 0; i++) {
    const tok = t[i];
    if (!tok) return null;
    if (tok.kind === 'identifier' && SUBQUERY_WORDS.has(tok.word)) blocker ??= 'a subquery in the VALUES row';
    if (isName(tok) && isPunct(t[i + 1], '(')) {
      // A qualified name outside pg_catalog is a user's function: the catalog check cannot see it.
      if (isPunct(t[i - 1], '.') && !(isName(t[i - 2]) && nameOf(t[i - 2]!) === 'pg_catalog')) blocker ??= 'a schema-qualified function';
      functions.add(nameOf(tok));
    }
    if (isPunct(tok, '(') || isPunct(tok, '[')) depth++;
    if (isPunct(tok, ')') || isPunct(tok, ']')) depth--;
    if (depth < 0 || (depth === 0 && isPunct(tok, ','))) {
      if (item.length === 0) return null;
      if (item.length === 1 && isWord(item[0], 'default')) blocker ??= 'DEFAULT in the VALUES row';
      const only = item.length === 1 ? item[0]! : undefined;
      if (only?.kind === 'parameter') items.push(only.index);
      else {
        items.push(0);
        for (const x of item) if (x.kind === 'parameter') otherParameters.add(x.index);
      }
      item = [];
      if (depth < 0) rowEnd = tok.start;
      continue;
    }
    item.push(tok);
  }
  while (isPunct(t[i], ';')) i++;
  if (i !== t.length) return null;
  if (columns && columns.length !== items.length) return null;
  return { table, head, row: text.slice(rowStart, rowEnd), items, otherParameters, columns, functions: [...functions], blocker };
}
