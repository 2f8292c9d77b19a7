// A PostgreSQL lexer for standard_conforming_strings = on, modelled on the server's scan.l.
// It only finds token boundaries (and decodes literals on request); it never throws. Anything
// unterminated runs to the end of the input and is marked so: PostgreSQL reports its own syntax
// error for such text, so callers keep it as one statement and let the server speak.

export type StringStyle =
  | 'standard' // '…'
  | 'escape' // E'…'
  | 'unicode' // U&'…'
  | 'bit' // B'…'
  | 'hex' // X'…'
  | 'national'; // N'…'

interface TokenBase {
  /** Offset of the first UTF-16 code unit, in the lexed string. */
  start: number;
  /** Offset just past the last code unit. */
  end: number;
  text: string;
}

export type Token =
  | (TokenBase & { kind: 'whitespace' })
  | (TokenBase & { kind: 'comment'; style: 'line' | 'block'; terminated: boolean })
  /** A quoted string, including any `'a'\n'b'` continuation segments PostgreSQL glues into one. */
  | (TokenBase & { kind: 'string'; style: StringStyle; terminated: boolean })
  | (TokenBase & { kind: 'dollar-string'; tag: string; terminated: boolean })
  | (TokenBase & { kind: 'quoted-identifier'; unicode: boolean; terminated: boolean })
  /** A bare word: keyword or identifier. `word` is its lower-cased (ASCII) form. */
  | (TokenBase & { kind: 'identifier'; word: string })
  | (TokenBase & { kind: 'number' })
  /** `$n`; `index` may be 0 or huge: PostgreSQL rejects those itself. */
  | (TokenBase & { kind: 'parameter'; index: number })
  /** Operator characters, or one of `::`, `:=`, `:`. */
  | (TokenBase & { kind: 'operator' })
  /** One of `( ) [ ] , ; .` or `..`. */
  | (TokenBase & { kind: 'punctuation' })
  /** A character PostgreSQL has no token for (`\`, `{`, a lone `$`, `$1abc` junk...). */
  | (TokenBase & { kind: 'other' });

export type TokenKind = Token['kind'];

const OPERATOR_CHARS = '~!@#^&|`?+-*/%<>=';
const PUNCTUATION = '()[],;';

export function isIdentifierStart(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x80;
}

export function isIdentifierPart(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  return isIdentifierStart(ch) || (c >= 48 && c <= 57) || c === 36; // digits, $
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/** scan.l's `space`: PostgreSQL 15 does not count \v as whitespace. */
export function isSqlWhitespace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f';
}

function isNewline(ch: string | undefined): boolean {
  return ch === '\n' || ch === '\r';
}

/** Dollar-quote tag characters: like identifiers but without `$`. */
function isTagPart(ch: string | undefined): boolean {
  return isIdentifierStart(ch) || isDigit(ch);
}

/** The `$tag$` delimiter starting at `i`, or null when `$` does not open a dollar quote there. */
function dollarDelimiterAt(sql: string, i: number): string | null {
  let j = i + 1;
  if (sql[j] === '$') return '$$';
  if (!isIdentifierStart(sql[j])) return null;
  while (isTagPart(sql[j])) j++;
  return sql[j] === '$' ? sql.slice(i, j + 1) : null;
}

/** End of a `--` comment starting at `i`: the newline is not part of it. */
function lineCommentEnd(sql: string, i: number): number {
  let j = i + 2;
  while (j < sql.length && !isNewline(sql[j])) j++;
  return j;
}

/** End of a nested block comment starting at `i`, and whether it was closed. */
function blockCommentEnd(sql: string, i: number): { end: number; terminated: boolean } {
  let depth = 1;
  let j = i + 2;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return { end: j, terminated: true };
    } else {
      j++;
    }
  }
  return { end: sql.length, terminated: false };
}

/**
 * Where a quoted string continues: scan.l glues `'a'` and `'b'` into one literal when only
 * whitespace containing a newline (and `--` comments) separates them. Returns the offset of the
 * continuing quote, or -1.
 */
function continuationQuoteAt(sql: string, i: number): number {
  let j = i;
  let sawNewline = false;
  for (;;) {
    const ch = sql[j];
    if (ch === ' ' || ch === '\t' || ch === '\f') j++;
    else if (isNewline(ch)) {
      sawNewline = true;
      j++;
    } else if (ch === '-' && sql[j + 1] === '-') {
      j = lineCommentEnd(sql, j);
    } else break;
  }
  return sawNewline && sql[j] === "'" ? j : -1;
}

/**
 * Scans a quoted body that starts just after an opening quote at `i`. `backslashEscapes` is for
 * E'' strings. Returns the offset just past the closing quote (or the input length).
 */
function quotedBodyEnd(sql: string, i: number, quote: string, backslashEscapes: boolean): { end: number; terminated: boolean } {
  let j = i;
  while (j < sql.length) {
    const ch = sql[j];
    if (backslashEscapes && ch === '\\') {
      j += 2;
    } else if (ch === quote) {
      if (sql[j + 1] === quote) j += 2;
      else return { end: j + 1, terminated: true };
    } else {
      j++;
    }
  }
  return { end: sql.length, terminated: false };
}

/** A `'…'`-family string whose opening quote is at `quoteAt`, with continuation segments. */
function stringEnd(sql: string, quoteAt: number, backslashEscapes: boolean): { end: number; terminated: boolean } {
  let r = quotedBodyEnd(sql, quoteAt + 1, "'", backslashEscapes);
  while (r.terminated) {
    const next = continuationQuoteAt(sql, r.end);
    if (next < 0) break;
    r = quotedBodyEnd(sql, next + 1, "'", backslashEscapes);
  }
  return r;
}

function numberEnd(sql: string, i: number): number {
  let j = i;
  while (isDigit(sql[j])) j++;
  // `1..10` is an integer followed by `..` (scan.l's decinteger + dot_dot).
  if (sql[j] === '.' && sql[j + 1] !== '.') {
    j++;
    while (isDigit(sql[j])) j++;
  }
  if ((sql[j] === 'e' || sql[j] === 'E') && (isDigit(sql[j + 1]) || ((sql[j + 1] === '+' || sql[j + 1] === '-') && isDigit(sql[j + 2])))) {
    j += 2;
    while (isDigit(sql[j])) j++;
  }
  // Trailing junk such as `123abc` is an error in PostgreSQL 15; keep it in one token.
  if (isIdentifierStart(sql[j])) {
    while (isIdentifierPart(sql[j])) j++;
  }
  return j;
}

/** Operator run per scan.l: stops before `--` or `/*`, which start comments even mid-operator. */
function operatorEnd(sql: string, i: number): number {
  let j = i;
  while (j < sql.length && OPERATOR_CHARS.includes(sql[j]!)) {
    if (j > i && ((sql[j] === '-' && sql[j + 1] === '-') || (sql[j] === '/' && sql[j + 1] === '*'))) break;
    j++;
  }
  return j;
}

/** Splits `sql` into tokens that tile it exactly: concatenating their `text` gives `sql` back. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  // Every token is written out whole where it is made, one object shape per kind: a spread of
  // per-kind fields into a common object took three quarters of the lexer's time (V8 cannot
  // specialise a spread that sees a dozen shapes).
  const push = (token: Token): void => {
    tokens.push(token);
    i = token.end;
  };

  while (i < n) {
    const ch = sql[i]!;
    const next = sql[i + 1];

    if (isSqlWhitespace(ch)) {
      let j = i + 1;
      while (isSqlWhitespace(sql[j])) j++;
      push({ kind: 'whitespace', start: i, end: j, text: sql.slice(i, j) });
      continue;
    }
    if (ch === '-' && next === '-') {
      const end = lineCommentEnd(sql, i);
      push({ kind: 'comment', start: i, end, text: sql.slice(i, end), style: 'line', terminated: true });
      continue;
    }
    if (ch === '/' && next === '*') {
      const r = blockCommentEnd(sql, i);
      push({ kind: 'comment', start: i, end: r.end, text: sql.slice(i, r.end), style: 'block', terminated: r.terminated });
      continue;
    }
    if (ch === "'") {
      const r = stringEnd(sql, i, false);
      push({ kind: 'string', start: i, end: r.end, text: sql.slice(i, r.end), style: 'standard', terminated: r.terminated });
      continue;
    }
    if (ch === '"') {
      const r = quotedBodyEnd(sql, i + 1, '"', false);
      push({ kind: 'quoted-identifier', start: i, end: r.end, text: sql.slice(i, r.end), unicode: false, terminated: r.terminated });
      continue;
    }
    if (isIdentifierStart(ch)) {
      // Literal prefixes count only at the start of a word, which is where we are.
      if (next === "'") {
        const lower = ch.toLowerCase();
        const style: StringStyle | null =
          lower === 'e' ? 'escape' : lower === 'b' ? 'bit' : lower === 'x' ? 'hex' : lower === 'n' ? 'national' : null;
        if (style) {
          const r = stringEnd(sql, i + 1, style === 'escape');
          push({ kind: 'string', start: i, end: r.end, text: sql.slice(i, r.end), style, terminated: r.terminated });
          continue;
        }
      }
      if ((ch === 'u' || ch === 'U') && next === '&' && (sql[i + 2] === "'" || sql[i + 2] === '"')) {
        if (sql[i + 2] === "'") {
          const r = stringEnd(sql, i + 2, false);
          push({ kind: 'string', start: i, end: r.end, text: sql.slice(i, r.end), style: 'unicode', terminated: r.terminated });
        } else {
          const r = quotedBodyEnd(sql, i + 3, '"', false);
          push({ kind: 'quoted-identifier', start: i, end: r.end, text: sql.slice(i, r.end), unicode: true, terminated: r.terminated });
        }
        continue;
      }
      let j = i + 1;
      while (isIdentifierPart(sql[j])) j++;
      const text = sql.slice(i, j);
      push({ kind: 'identifier', start: i, end: j, text, word: asciiLower(text) });
      continue;
    }
    if (isDigit(ch) || (ch === '.' && isDigit(next))) {
      const end = numberEnd(sql, i);
      push({ kind: 'number', start: i, end, text: sql.slice(i, end) });
      continue;
    }
    if (ch === '$') {
      if (isDigit(next)) {
        let j = i + 1;
        while (isDigit(sql[j])) j++;
        if (isIdentifierPart(sql[j])) {
          // `$1abc` is "trailing junk after parameter" in PostgreSQL 15: not a placeholder.
          while (isIdentifierPart(sql[j])) j++;
          push({ kind: 'other', start: i, end: j, text: sql.slice(i, j) });
        } else {
          push({ kind: 'parameter', start: i, end: j, text: sql.slice(i, j), index: Number(sql.slice(i + 1, j)) });
        }
        continue;
      }
      const delimiter = dollarDelimiterAt(sql, i);
      if (delimiter) {
        const close = sql.indexOf(delimiter, i + delimiter.length);
        const end = close < 0 ? n : close + delimiter.length;
        push({ kind: 'dollar-string', start: i, end, text: sql.slice(i, end), tag: delimiter.slice(1, -1), terminated: close >= 0 });
        continue;
      }
      push({ kind: 'other', start: i, end: i + 1, text: ch });
      continue;
    }
    if (ch === ':') {
      const end = next === ':' || next === '=' ? i + 2 : i + 1;
      push({ kind: 'operator', start: i, end, text: sql.slice(i, end) });
      continue;
    }
    if (ch === '.') {
      const end = next === '.' ? i + 2 : i + 1;
      push({ kind: 'punctuation', start: i, end, text: sql.slice(i, end) });
      continue;
    }
    if (PUNCTUATION.includes(ch)) {
      push({ kind: 'punctuation', start: i, end: i + 1, text: ch });
      continue;
    }
    if (OPERATOR_CHARS.includes(ch)) {
      const end = operatorEnd(sql, i);
      push({ kind: 'operator', start: i, end, text: sql.slice(i, end) });
      continue;
    }
    // Keep surrogate pairs whole (they are identifier characters anyway, so this is rare).
    push({ kind: 'other', start: i, end: i + 1, text: ch });
  }
  return tokens;
}

/** PostgreSQL folds unquoted identifiers to lower case for ASCII letters only (UTF8 databases). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Tokens that mean nothing to the grammar. */
export function isTrivia(t: Token): boolean {
  return t.kind === 'whitespace' || t.kind === 'comment';
}

/** True when the token is an unterminated string, quoted identifier, dollar quote or comment. */
export function isUnterminated(t: Token): boolean {
  // A switch on kind rather than `'terminated' in t`: an `in` over a dozen token shapes is a
  // slow lookup, and this runs over every token of every statement.
  switch (t.kind) {
    case 'comment':
    case 'string':
    case 'dollar-string':
    case 'quoted-identifier':
      return !t.terminated;
    default:
      return false;
  }
}

/** The raw inner pieces of a `'…'`-family string token: one per continuation segment. */
export function stringSegments(t: Token & { kind: 'string' }): string[] {
  const prefix = t.style === 'standard' ? 0 : t.style === 'unicode' ? 2 : 1;
  const text = t.text.slice(prefix);
  const segments: string[] = [];
  let i = 0;
  const backslashEscapes = t.style === 'escape';
  while (i < text.length && text[i] === "'") {
    const r = quotedBodyEnd(text, i + 1, "'", backslashEscapes);
    segments.push(text.slice(i + 1, r.terminated ? r.end - 1 : r.end));
    if (!r.terminated) break;
    const next = continuationQuoteAt(text, r.end);
    if (next < 0) break;
    i = next;
  }
  return segments;
}

/** The value of a string or dollar-string token, as PostgreSQL would read it. */
export function stringValue(t: Token): string {
  if (t.kind === 'dollar-string') {
    const open = t.tag.length + 2;
    return t.terminated ? t.text.slice(open, t.text.length - open) : t.text.slice(open);
  }
  if (t.kind !== 'string') return t.text;
  const raw = stringSegments(t).join('');
  switch (t.style) {
    case 'escape':
      return decodeBackslashEscapes(raw);
    case 'unicode':
      return decodeUnicodeEscapes(raw.replace(/''/g, "'"));
    case 'bit':
    case 'hex':
      return raw;
    default:
      return raw.replace(/''/g, "'");
  }
}

/** The name a quoted or bare identifier token stands for. */
export function identifierValue(t: Token): string {
  if (t.kind === 'identifier') return t.word;
  if (t.kind === 'quoted-identifier') {
    const open = t.unicode ? 3 : 1;
    const body = t.text.slice(open, t.terminated ? -1 : undefined).replace(/""/g, '"');
    return t.unicode ? decodeUnicodeEscapes(body) : body;
  }
  return t.text;
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function decodeBackslashEscapes(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === "'" && raw[i + 1] === "'") {
      out += "'";
      i++;
      continue;
    }
    if (ch !== '\\' || i + 1 >= raw.length) {
      out += ch;
      continue;
    }
    const e = raw[++i]!;
    if (SIMPLE_ESCAPES[e] !== undefined) {
      out += SIMPLE_ESCAPES[e];
    } else if (e >= '0' && e <= '7') {
      const m = /^[0-7]{1,3}/.exec(raw.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else if (e === 'x' && /[0-9a-fA-F]/.test(raw[i + 1] ?? '')) {
      const m = /^[0-9a-fA-F]{1,2}/.exec(raw.slice(i + 1))![0];
      out += String.fromCharCode(parseInt(m, 16));
      i += m.length;
    } else if ((e === 'u' || e === 'U') && /^[0-9a-fA-F]+$/.test(raw.slice(i + 1, i + 1 + (e === 'u' ? 4 : 8)))) {
      const len = e === 'u' ? 4 : 8;
      out += safeCodePoint(parseInt(raw.slice(i + 1, i + 1 + len), 16));
      i += len;
    } else {
      out += e;
    }
  }
  return out;
}

function decodeUnicodeEscapes(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
    } else if (body[i + 1] === '\\') {
      out += '\\';
      i++;
    } else if (body[i + 1] === '+' && /^[0-9a-fA-F]{6}$/.test(body.slice(i + 2, i + 8))) {
      out += safeCodePoint(parseInt(body.slice(i + 2, i + 8), 16));
      i += 7;
    } else if (/^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      out += safeCodePoint(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else {
      out += ch; // invalid escape: PostgreSQL rejects it, we just keep the text
    }
  }
  // A surrogate pair written as two escapes decodes to two halves that JS strings join anyway.
  return out;
}

function safeCodePoint(cp: number): string {
  return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
}
