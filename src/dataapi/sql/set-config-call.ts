// `SELECT pg_catalog.set_config('name', 'value', false)`: a SET written as a query. pg_dump sends
// it to empty search_path, and every plain dump starts with it, so the proxy must remember it
// as it remembers SET. Only the plain form with literal arguments is recognised; anything else
// stays an ordinary query.
import { isTrivia, stringValue, tokenize, type Token } from './lexer.js';

export interface SetConfigCall {
  /** The setting's name, lower-cased as PostgreSQL folds it. */
  name: string;
  value: string;
  /** The third argument: true means SET LOCAL. */
  local: boolean;
}

export function parseSetConfigCall(sql: string): SetConfigCall | null {
  return setConfigCallOf(tokenize(sql));
}

/**
 * Whether the statement's words may make a set_config call at all: `SELECT [pg_catalog.]set_config (`.
 * Cheap on tokens already lexed, so that only such statements have their rendered text read.
 */
export function mayCallSetConfig(lexed: readonly Token[]): boolean {
  // Only the first four significant tokens matter: stop there rather than filter a long statement.
  const words: Token[] = [];
  for (let i = 0; i < lexed.length && words.length < 4; i++) if (!isTrivia(lexed[i]!)) words.push(lexed[i]!);
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'identifier' && t.word === w;
  return isWord(words[0], 'select') && (isWord(words[1], 'set_config') || (isWord(words[1], 'pg_catalog') && isWord(words[3], 'set_config')));
}

function setConfigCallOf(lexed: readonly Token[]): SetConfigCall | null {
  const tokens = lexed.filter((t) => !isTrivia(t));
  let i = 0;
  const accept = (test: (t: Token) => boolean): boolean => {
    const t = tokens[i];
    if (!t || !test(t)) return false;
    i++;
    return true;
  };
  const word = (w: string) => accept((t) => t.kind === 'identifier' && t.word === w);
  const punct = (p: string) => accept((t) => t.kind === 'punctuation' && t.text === p);
  const literal = (): string | null => {
    const t = tokens[i];
    const plain = t !== undefined && ((t.kind === 'string' && (t.style === 'standard' || t.style === 'escape')) || t.kind === 'dollar-string');
    if (!plain || !t.terminated) return null;
    i++;
    return stringValue(t);
  };
  if (!word('select')) return null;
  if (word('pg_catalog') && !punct('.')) return null;
  if (!word('set_config') || !punct('(')) return null;
  const name = literal();
  if (name === null || !punct(',')) return null;
  const value = literal();
  if (value === null || !punct(',')) return null;
  const local = word('true') ? true : word('false') ? false : null;
  if (local === null || !punct(')')) return null;
  punct(';');
  return i === tokens.length ? { name: name.toLowerCase(), value, local } : null;
}
