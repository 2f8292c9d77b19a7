// Whether a statement certainly cannot write, so that a call whose outcome is unknown (the
// connection failed after the request was sent) may be sent again. Deliberately narrow: one
// SELECT/VALUES/TABLE/SHOW with no INTO, no row locks, no WITH (data-modifying CTEs) and no
// function call except a short list of built-ins that write nothing (a user function, or
// nextval, may write). Anything else counts as a write. Only consulted after a transport
// failure, so the extra lexing costs nothing on the normal path.
import { tokenize, isTrivia } from '../sql/lexer.js';

const READ_STARTS = new Set(['select', 'values', 'table', 'show']);
const WRITING_WORDS = new Set(['into', 'for', 'with', 'insert', 'update', 'delete', 'merge', 'call', 'do', 'copy', 'lock', 'execute', 'perform']);

/** Keywords that are followed by `(` without being a function call. */
const PAREN_KEYWORDS = new Set([
  'select', 'values', 'from', 'where', 'and', 'or', 'not', 'in', 'exists', 'any', 'all', 'some', 'on', 'as', 'join', 'using',
  'cast', 'case', 'when', 'then', 'else', 'between', 'like', 'ilike', 'is', 'over', 'filter', 'partition', 'by', 'order',
  'group', 'having', 'limit', 'offset', 'union', 'intersect', 'except', 'distinct', 'array', 'row', 'lateral', 'within',
]);

/** Built-in functions that read only. */
const PURE_FUNCTIONS = new Set([
  'count', 'sum', 'min', 'max', 'avg', 'coalesce', 'nullif', 'greatest', 'least', 'abs', 'round', 'floor', 'ceil', 'length',
  'lower', 'upper', 'substr', 'substring', 'trim', 'concat', 'now', 'current_setting', 'version', 'pg_backend_pid',
  'generate_series', 'string_agg', 'array_agg', 'json_agg', 'jsonb_agg', 'row_number', 'to_char', 'date_trunc', 'extract',
  'format_type', 'pg_get_expr', 'quote_ident', 'quote_literal', 'md5', 'repeat', 'mod', 'power', 'sqrt',
]);

export function isCertainlyReadOnly(sql: string): boolean {
  const tokens = tokenize(sql).filter((t) => !isTrivia(t));
  const first = tokens[0];
  if (!first || first.kind !== 'identifier' || !READ_STARTS.has(first.word)) return false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'punctuation' && t.text === ';' && i !== tokens.length - 1) return false;
    if (t.kind === 'quoted-identifier' && tokens[i + 1]?.text === '(') return false;
    if (t.kind !== 'identifier') continue;
    if (WRITING_WORDS.has(t.word)) return false;
    if (tokens[i + 1]?.text === '(' && !PAREN_KEYWORDS.has(t.word) && !PURE_FUNCTIONS.has(t.word)) return false;
  }
  return true;
}
