// `$n` positional parameters: where they are, and rewriting them with a caller's renderer.

import { tokenize, type Token } from './lexer.js';
import { SqlRewriter, type RewrittenSql } from './text-edit.js';

export interface PlaceholderOccurrence {
  index: number;
  /** Offsets of `$n` in the text (UTF-16 code units). */
  start: number;
  end: number;
}

export interface PlaceholderUse {
  /** The highest `$n` seen (0 when none): the number of parameters PostgreSQL would infer. */
  highest: number;
  /** Distinct indexes used, ascending. */
  indexes: number[];
  occurrences: PlaceholderOccurrence[];
}

/** The `$n` parameters of `sql`, ignoring text in strings, comments and quoted identifiers. */
export function findPlaceholders(sql: string): PlaceholderUse {
  return placeholdersOf(tokenize(sql));
}

/** findPlaceholders() over tokens already lexed. */
export function placeholdersOf(tokens: readonly Token[]): PlaceholderUse {
  const occurrences: PlaceholderOccurrence[] = [];
  for (const t of tokens) {
    if (t.kind === 'parameter') occurrences.push({ index: t.index, start: t.start, end: t.end });
  }
  const indexes = [...new Set(occurrences.map((o) => o.index))].sort((a, b) => a - b);
  return { highest: indexes.length ? indexes[indexes.length - 1]! : 0, indexes, occurrences };
}

/**
 * Replaces every `$n` by `render(n)`. A space is added where the rendered text would otherwise
 * merge with a neighbouring token (for example `-$1` rendered as `-5`). `tokens`, when given,
 * are tokenize(sql)'s, already made.
 */
export function renderPlaceholders(sql: string, render: (n: number) => string, tokens: readonly Token[] = tokenize(sql)): RewrittenSql {
  const out = new SqlRewriter(sql);
  for (const t of tokens) {
    if (t.kind === 'parameter') out.replace(t.start, t.end, render(t.index));
    else out.keep(t.start, t.end);
  }
  return out.build();
}
