// Counts the statements in a SQL string the way PostgreSQL's lexer would split them, so that
// "SELECT 1;" is one statement and "SELECT 1; SELECT 2" is two. Semicolons inside quotes,
// dollar quotes and comments do not count, and empty statements (";;") are not statements.
// Neither do those of a `BEGIN ATOMIC … END` routine body, which pgJDBC keeps whole as well.

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const TAG_START = /[A-Za-z_\u0080-\uffff]/;
const TAG_CHAR = /[A-Za-z0-9_\u0080-\uffff]/;

export function countStatements(sql: string): number {
  let count = 0;
  let hasContent = false;
  let i = 0;
  const n = sql.length;
  const body = new AtomicBody();
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === ';' && !body.inside) {
      if (hasContent) count++;
      hasContent = false;
      body.reset();
      i++;
    } else if (c === '-' && next === '-') {
      i = skipLineComment(sql, i);
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (/\s/.test(c)) {
      i++;
    } else {
      hasContent = true;
      if (c === "'") {
        i = skipQuoted(sql, i, "'", isEscapeString(sql, i));
      } else if (c === '"') {
        i = skipQuoted(sql, i, '"', false);
      } else if (c === '$') {
        const tag = dollarTagAt(sql, i);
        i = tag === null ? i + 1 : skipDollarQuoted(sql, i, tag);
      } else if (TAG_START.test(c) && !IDENT_CHAR.test(sql[i - 1] ?? ' ')) {
        let j = i + 1;
        while (j < n && IDENT_CHAR.test(sql[j])) j++;
        body.see(sql.slice(i, j).toLowerCase());
        i = j;
      } else {
        i++;
      }
    }
  }
  if (hasContent) count++;
  return count;
}

/** Where a `BEGIN ATOMIC` body (BEGIN not the statement's first word) is open; CASE … END nests in it. */
class AtomicBody {
  private depth = 0;
  private words = 0;
  private previous = '';

  get inside(): boolean {
    return this.depth > 0;
  }

  see(word: string): void {
    if (this.depth > 0) {
      if (word === 'case') this.depth++;
      else if (word === 'end' && this.previous !== 'as') this.depth--;
    } else if (word === 'atomic' && this.previous === 'begin' && this.words > 1) {
      this.depth = 1;
    }
    this.previous = word;
    this.words++;
  }

  reset(): void {
    this.depth = 0;
    this.words = 0;
    this.previous = '';
  }
}

function skipLineComment(sql: string, i: number): number {
  const end = sql.indexOf('\n', i);
  return end === -1 ? sql.length : end + 1;
}

/** PostgreSQL block comments nest. */
export function skipBlockComment(sql: string, i: number): number {
  let depth = 0;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return i;
}

function isEscapeString(sql: string, quoteAt: number): boolean {
  const prev = sql[quoteAt - 1];
  return (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(sql[quoteAt - 2] ?? ' ');
}

function skipQuoted(sql: string, i: number, quote: string, backslashEscapes: boolean): number {
  i++;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      i++;
    }
  }
  return i;
}

/** The `$tag$` opening a dollar-quoted string at i, or null (`$1`, `a$b`). */
function dollarTagAt(sql: string, i: number): string | null {
  if (i > 0 && IDENT_CHAR.test(sql[i - 1])) return null;
  let j = i + 1;
  if (sql[j] === '$') return '$$';
  if (!TAG_START.test(sql[j] ?? '')) return null;
  while (j < sql.length && TAG_CHAR.test(sql[j])) j++;
  return sql[j] === '$' ? sql.slice(i, j + 1) : null;
}

function skipDollarQuoted(sql: string, i: number, tag: string): number {
  const end = sql.indexOf(tag, i + tag.length);
  return end === -1 ? sql.length : end + tag.length;
}
