// Finds `:name` placeholders with the Data API's own scanner rules, which differ from
// PostgreSQL's lexer: single quotes, double quotes and comments are respected, but dollar
// quotes are not, so `SELECT $$a :b c$$` gets its `:b` replaced (the service returns "a $1 c").
// An array slice `a[1:2]` is read as the placeholder `:2`. `::` is a cast, never a placeholder.

import { skipBlockComment } from './statements.js';

export interface Placeholder {
  name: string;
  /** Index of the colon. */
  start: number;
  /** Index just past the name. */
  end: number;
}

const NAME_CHAR = /[A-Za-z0-9_]/;

export function findPlaceholders(sql: string): Placeholder[] {
  const found: Placeholder[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end === -1 ? n : end + 1;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === ':' && next === ':') {
      i += 2;
    } else if (c === ':' && next !== undefined && NAME_CHAR.test(next)) {
      let j = i + 1;
      while (j < n && NAME_CHAR.test(sql[j])) j++;
      found.push({ name: sql.slice(i + 1, j), start: i, end: j });
      i = j;
    } else {
      i++;
    }
  }
  return found;
}
