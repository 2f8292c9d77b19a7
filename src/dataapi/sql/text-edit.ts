// Builds rewritten SQL from pieces of the original and remembers where each piece came from, so
// an error position reported against the rewritten text can be mapped back to the client's text.

import { isIdentifierPart } from './lexer.js';

export interface RewrittenSql {
  sql: string;
  /** False when `sql` is identical to the input. */
  changed: boolean;
  /**
   * The input offset (UTF-16 code units) that rewritten offset `offset` came from. Offsets inside
   * replaced text map to the start of what it replaced.
   */
  originalOffset(offset: number): number;
}

interface Piece {
  outStart: number;
  outLength: number;
  inStart: number;
  /** Copied verbatim, so offsets inside it map one to one. */
  verbatim: boolean;
}

const OPERATOR_CHARS = '~!@#^&|`?+-*/%<>=';

/** Would `a` directly followed by `b` lex differently from `a b`? */
function glues(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const word = (c: string) => isIdentifierPart(c) || c === '.';
  if (word(a) && (word(b) || b === "'" || b === '"')) return true;
  if (OPERATOR_CHARS.includes(a) && OPERATOR_CHARS.includes(b)) return true;
  if (a === ':' && (b === ':' || b === '=')) return true;
  return false;
}

export class SqlRewriter {
  private readonly parts: string[] = [];
  private readonly pieces: Piece[] = [];
  private outLength = 0;
  private edited = false;

  constructor(private readonly input: string) {}

  /** Copies input[start, end) unchanged. */
  keep(start: number, end: number): void {
    if (end <= start) return;
    this.append(this.input.slice(start, end), start, true);
  }

  /**
   * Replaces input[start, end) by `text`, adding a space on either side where the new text
   * would otherwise fuse with its neighbours into a different token (`-` + `-5` is a comment).
   */
  replace(start: number, end: number, text: string): void {
    if (text === this.input.slice(start, end)) {
      this.keep(start, end);
      return;
    }
    this.edited = true;
    const before = glues(this.lastChar(), text[0]) ? ' ' : '';
    const after = glues(text[text.length - 1], this.input[end]) ? ' ' : '';
    this.append(before + text + after, start, false);
  }

  /** Inserts `text` at input offset `at` (between what has been kept so far and what follows). */
  insert(at: number, text: string): void {
    if (!text) return;
    this.edited = true;
    this.append(text, at, false);
  }

  lastChar(): string | undefined {
    const last = this.parts[this.parts.length - 1];
    return last === undefined ? undefined : last[last.length - 1];
  }

  build(): RewrittenSql {
    const sql = this.parts.join('');
    const pieces = this.pieces;
    const inputLength = this.input.length;
    return {
      sql,
      changed: this.edited,
      originalOffset(offset: number): number {
        if (offset >= sql.length) return inputLength;
        if (offset <= 0) return pieces.length ? pieces[0]!.inStart : 0;
        let lo = 0;
        let hi = pieces.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (pieces[mid]!.outStart <= offset) lo = mid;
          else hi = mid - 1;
        }
        const p = pieces[lo]!;
        return p.verbatim ? p.inStart + (offset - p.outStart) : p.inStart;
      },
    };
  }

  private append(text: string, inStart: number, verbatim: boolean): void {
    if (!text) return;
    this.parts.push(text);
    this.pieces.push({ outStart: this.outLength, outLength: text.length, inStart, verbatim });
    this.outLength += text.length;
  }
}
