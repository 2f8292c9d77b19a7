// Which `$n` of a statement stand alone, unnamed, as an item of a SELECT or RETURNING list.
// PostgreSQL names such a column `?column?`; the `CAST(:pN AS type)` the proxy writes for a
// parameter of a known type would be named after the type, so those items need an alias.
import { isTrivia, tokenize, type Token } from './lexer.js';

/** Words that end a target list at its own parenthesis depth. */
const LIST_ENDS = new Set([
  'from', 'into', 'where', 'group', 'having', 'window', 'order', 'limit', 'offset', 'fetch', 'for', 'union',
  'intersect', 'except', 'returning',
]);

/** What may come before an item of a target list: the list's opening word or a comma. */
const ITEM_STARTS = new Set(['select', 'returning', 'distinct', 'all', ',']);

function wordOf(t: Token | undefined): string | undefined {
  if (!t) return undefined;
  if (t.kind === 'identifier') return t.word;
  if (t.kind === 'punctuation') return t.text;
  return undefined;
}

/**
 * For each `$n` token of `sql`, in order: whether it is a whole, unaliased target-list item
 * (`SELECT $1, $2 FROM t`, `RETURNING $1`), so that PostgreSQL would name its column `?column?`.
 */
export function bareTargetParameters(sql: string, lexed: readonly Token[] = tokenize(sql)): boolean[] {
  const tokens = lexed.filter((t) => !isTrivia(t));
  // Per parenthesis depth: whether a target list is open there.
  const inTargets: boolean[] = [false];
  const result: boolean[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const word = wordOf(t);
    const depth = inTargets.length - 1;
    if (t.kind === 'parameter') {
      const before = wordOf(tokens[i - 1]);
      const after = tokens[i + 1];
      const afterWord = wordOf(after);
      const endsItem =
        after === undefined ||
        afterWord === ',' ||
        afterWord === ';' ||
        (afterWord === ')' && depth > 0) ||
        (after.kind === 'identifier' && LIST_ENDS.has(after.word));
      // `DISTINCT ON ($1)` is inside parentheses, so never a target of this depth.
      result.push(inTargets[depth] === true && before !== undefined && ITEM_STARTS.has(before) && endsItem);
      continue;
    }
    if (t.kind === 'punctuation' && t.text === '(') inTargets.push(false);
    else if (t.kind === 'punctuation' && t.text === ')') {
      if (inTargets.length > 1) inTargets.pop();
    } else if (word === 'select' || word === 'returning') inTargets[depth] = true;
    else if (word !== undefined && t.kind === 'identifier' && LIST_ENDS.has(word)) inTargets[depth] = false;
    else if (word === ';') inTargets[depth] = false;
  }
  return result;
}
