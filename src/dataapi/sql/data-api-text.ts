// Makes one statement safe for the RDS Data API's parameter scanner without changing what
// PostgreSQL executes.
//
// The service looks for `:name` parameters before the SQL reaches PostgreSQL. Its scanner skips
// '…' strings, "…" identifiers and comments, and treats `::` as a cast, but it knows nothing of
// dollar quotes, backslash escapes or array slices (reference/data-api.md: `SELECT $$a :b c$$`
// comes back as `a $1 c`; `a[1:2]` is a syntax error at "$1"). We model it as a scanner that
// skips '…' (no escapes), "…", `--`…newline and non-nesting `/* … */`, and reads `:` followed
// by anything but whitespace, `:` or `=` as a parameter. Wherever PostgreSQL's reading of a
// token differs from that model, the token is rewritten into an equivalent form both agree on.

import { stringSegments, tokenize, type Token } from './lexer.js';
import { quoteLiteralUnchecked } from './literal.js';
import { SqlRewriter, type RewrittenSql } from './text-edit.js';

export interface DataApiTextOptions {
  /** Renders `$n`; without it `$n` is left as written. */
  renderParameter?: (n: number) => string;
}

/**
 * Rewrites one statement for ExecuteStatement:
 * - `$n` becomes `renderParameter(n)`;
 * - a lone `:` (array slice) gets a space after it: `a[1:2]` -> `a[1: 2]`;
 * - a dollar-quoted string whose body the scanner would misread (it contains `:`, a quote, or a
 *   comment opener) becomes the equivalent '…' literal;
 * - an E'…' string containing `\'` is written with `''` instead; a '…' string containing `\'`
 *   (a literal backslash before a quote) becomes E'…' with doubled backslashes;
 * - delimiters of nested block comments are defused so that a non-nesting scanner ends the
 *   comment where PostgreSQL does; a `--` comment ended by a lone CR is ended by LF instead.
 * Text PostgreSQL would reject (unterminated quotes) is left alone. `tokens`, when given, are
 * tokenize(sql)'s, already made (a ParsedStatement's).
 */
export function toDataApiSql(sql: string, options: DataApiTextOptions = {}, tokens: readonly Token[] = tokenize(sql)): RewrittenSql {
  const out = new SqlRewriter(sql);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const previous = tokens[i - 1];
    switch (t.kind) {
      case 'parameter':
        if (options.renderParameter) out.replace(t.start, t.end, options.renderParameter(t.index));
        else out.keep(t.start, t.end);
        break;
      case 'operator':
        out.keep(t.start, t.end);
        if (t.text === ':' && t.end < sql.length && !/\s/.test(sql[t.end]!)) out.insert(t.end, ' ');
        break;
      case 'dollar-string':
        if (t.terminated && dollarBodyIsHazardous(t)) out.replace(t.start, t.end, quoteLiteralUnchecked(bodyOf(t)));
        else out.keep(t.start, t.end);
        break;
      case 'string':
        out.replace(t.start, t.end, safeStringLiteral(t));
        break;
      case 'comment':
        if (t.style === 'block' && t.terminated) out.replace(t.start, t.end, defuseNestedComment(t.text));
        else out.keep(t.start, t.end);
        break;
      case 'whitespace':
        if (previous?.kind === 'comment' && previous.style === 'line' && t.text[0] === '\r' && t.text[1] !== '\n') {
          out.replace(t.start, t.end, '\n' + t.text.slice(1));
        } else {
          out.keep(t.start, t.end);
        }
        break;
      default:
        out.keep(t.start, t.end);
    }
  }
  return out.build();
}

function bodyOf(t: Token & { kind: 'dollar-string' }): string {
  const open = t.tag.length + 2;
  return t.text.slice(open, t.text.length - open);
}

function dollarBodyIsHazardous(t: Token & { kind: 'dollar-string' }): boolean {
  return /[:'"]|--|\/\*/.test(bodyOf(t));
}

/** The literal unchanged when the scanner reads it correctly, else an equivalent one it does. */
function safeStringLiteral(t: Token & { kind: 'string' }): string {
  if (!t.terminated || !t.text.includes("\\'")) return t.text;
  const segments = stringSegments(t);
  if (t.style === 'escape') {
    // Re-walk each segment: `\\` stays a pair, `\'` becomes `''`; join continuation segments.
    const body = segments.map((s) => s.replace(/\\(.)|''/gs, (m, c: string | undefined) => (c === "'" ? "''" : m))).join('');
    return `${t.text[0]}'${body}'`;
  }
  if (t.style === 'standard') {
    return `E'${segments.join('').replace(/\\/g, '\\\\')}'`;
  }
  return t.text; // N'', U&'': a backslash before a quote there is rare or already invalid
}

/**
 * Rewrites the inner `/*` and `*\/` of a nested comment as `/+` and `*+` (same length), so the
 * first `*\/` a non-nesting scanner meets is the real end. Neither replacement can pair up with a
 * neighbouring character into a new delimiter.
 */
function defuseNestedComment(text: string): string {
  if (!text.includes('/*', 2)) return text;
  const body = text.slice(2, -2);
  let out = '';
  for (let j = 0; j < body.length; j++) {
    if (body[j] === '/' && body[j + 1] === '*') {
      out += '/+';
      j++;
    } else if (body[j] === '*' && body[j + 1] === '/') {
      out += '*+';
      j++;
    } else {
      out += body[j];
    }
  }
  return `/*${out}*/`;
}
