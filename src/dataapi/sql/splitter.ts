// Splits a simple-query string into the statements PostgreSQL would execute, one by one.
// Separators are top-level semicolons; like psql we do not split inside parentheses (the server
// rejects such text as one syntax error anyway) nor inside a `BEGIN ATOMIC … END` routine body.

import { isTrivia, isUnterminated, tokenize, type Token } from './lexer.js';

export interface SqlStatement {
  /**
   * The statement's source text, without the separating semicolon and surrounding whitespace.
   * It may end in a `--` comment, so append nothing to it without a newline first.
   */
  text: string;
  /** Offset of `text` in the original string (UTF-16 code units); add it to map error positions. */
  offset: number;
  /**
   * Ends in an unterminated string, quoted identifier, dollar quote or comment. PostgreSQL
   * rejects such a query string before running any of its statements.
   */
  incomplete: boolean;
}

/**
 * The statements of `sql` in order. An empty array means PostgreSQL would answer with
 * EmptyQueryResponse (the string held only whitespace, comments and semicolons).
 */
export function splitStatements(sql: string): SqlStatement[] {
  return splitLexed(sql, tokenize(sql)).map(({ text, offset, incomplete }) => ({ text, offset, incomplete }));
}

/** A statement of a split string, with the token range it covers (indexes into the string's tokens). */
export interface LexedPiece extends SqlStatement {
  firstToken: number;
  /** One past the last token of the piece. */
  endToken: number;
}

/** splitStatements() over tokens already made by tokenize(sql): the string is not lexed again. */
export function splitLexed(sql: string, tokens: readonly Token[]): LexedPiece[] {
  const statements: LexedPiece[] = [];
  let pieceStart = 0; // token index where the current piece begins
  let parenDepth = 0;
  const atomic = new AtomicBodyTracker();

  const finish = (endToken: number): void => {
    let first = pieceStart;
    let last = endToken - 1;
    while (first <= last && tokens[first]!.kind === 'whitespace') first++;
    while (last >= first && tokens[last]!.kind === 'whitespace') last--;
    const piece = tokens.slice(first, last + 1);
    if (piece.some((t) => !isTrivia(t) || isUnterminated(t))) {
      const start = piece[0]!.start;
      const end = piece[piece.length - 1]!.end;
      statements.push({ text: sql.slice(start, end), offset: start, incomplete: piece.some(isUnterminated), firstToken: first, endToken: last + 1 });
    }
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isTrivia(t)) continue;
    atomic.see(t);
    if (t.kind !== 'punctuation') continue;
    if (t.text === '(') parenDepth++;
    else if (t.text === ')' && parenDepth > 0) parenDepth--;
    else if (t.text === ';' && parenDepth === 0 && !atomic.inside()) {
      finish(i);
      pieceStart = i + 1;
      parenDepth = 0;
      atomic.reset();
    }
  }
  finish(tokens.length);
  return statements;
}

/** True when PostgreSQL would answer `sql` with EmptyQueryResponse. */
export function isEmptyQuery(sql: string): boolean {
  return splitStatements(sql).length === 0;
}

/**
 * Follows `BEGIN ATOMIC … END` in CREATE FUNCTION/PROCEDURE: inside it, CASE opens a nested
 * END and semicolons separate the body's own statements.
 */
class AtomicBodyTracker {
  private depth = 0;
  private count = 0; // significant tokens seen in this statement
  private previousWord: string | null = null;
  private previousAt = -1; // index of previousWord among the significant tokens

  see(t: Token): void {
    const word = t.kind === 'identifier' ? t.word : null;
    if (word !== null) {
      const afterPrevious = this.previousAt === this.count - 1 ? this.previousWord : null;
      if (this.depth === 0) {
        // `BEGIN ATOMIC` opens a body only when BEGIN is not the statement's first word.
        if (word === 'atomic' && afterPrevious === 'begin' && this.previousAt > 0) this.depth = 1;
      } else if (word === 'case') {
        this.depth++;
      } else if (word === 'end' && afterPrevious !== 'as') {
        this.depth--; // `AS end` is a column label, not the end of a block
      }
      this.previousWord = word;
      this.previousAt = this.count;
    }
    this.count++;
  }

  inside(): boolean {
    return this.depth > 0;
  }

  reset(): void {
    this.depth = 0;
    this.count = 0;
    this.previousWord = null;
    this.previousAt = -1;
  }
}
