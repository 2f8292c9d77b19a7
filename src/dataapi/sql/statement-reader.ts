// A cursor over the significant tokens of one statement, for the small recursive-descent parsers
// of the classifier. Parse failures throw StatementError, which classifyStatement() turns into
// an InvalidStatement; nothing here escapes to callers of the public API.

import { identifierValue, stringValue, type Token } from './lexer.js';
import { isColId, isNonReservedWord } from './keywords.js';

export class StatementError extends Error {
  constructor(
    readonly sqlState: string,
    message: string,
    /** null for errors PostgreSQL reports without a position. */
    readonly offset: number | null,
  ) {
    super(message);
  }
}

export class StatementReader {
  pos = 0;

  /**
   * @param text the string the tokens came from (offsets index into it)
   * @param tokens the statement's tokens without whitespace and comments
   * @param end offset just past the statement's last character
   */
  constructor(
    readonly text: string,
    readonly tokens: Token[],
    readonly end: number,
  ) {}

  peek(k = 0): Token | undefined {
    return this.tokens[this.pos + k];
  }

  /** The lower-cased bare word at pos+k, or null if that token is not a bare word. */
  word(k = 0): string | null {
    const t = this.peek(k);
    return t?.kind === 'identifier' ? t.word : null;
  }

  isWord(...words: string[]): boolean {
    const w = this.word();
    return w !== null && words.includes(w);
  }

  /** Consumes the words in sequence if all are present; otherwise consumes nothing. */
  acceptWords(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) if (this.word(k) !== words[k]) return false;
    this.pos += words.length;
    return true;
  }

  expectWords(...words: string[]): void {
    for (const w of words) {
      if (this.word() !== w) this.fail();
      this.pos++;
    }
  }

  isPunct(p: string): boolean {
    const t = this.peek();
    return (t?.kind === 'punctuation' || t?.kind === 'operator') && t.text === p;
  }

  acceptPunct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.pos++;
    return true;
  }

  expectPunct(p: string): void {
    if (!this.acceptPunct(p)) this.fail();
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  expectEnd(): void {
    if (!this.atEnd()) this.fail();
  }

  next(): Token {
    const t = this.peek();
    if (!t) this.fail();
    this.pos++;
    return t;
  }

  /** Offset of the current token, or the end of the statement. */
  offset(): number {
    return this.peek()?.start ?? this.end;
  }

  /** Source text from the current token to the end of the statement. */
  rest(): string {
    return this.text.slice(this.offset(), this.end);
  }

  /** Source text of tokens [from, to) (token indexes). */
  sliceText(from: number, to: number): string {
    if (to <= from) return '';
    return this.text.slice(this.tokens[from]!.start, this.tokens[to - 1]!.end);
  }

  /** Grammar's ColId: identifier, quoted identifier, or an unreserved/column-name keyword. */
  colId(): string {
    const t = this.peek();
    if (t?.kind === 'quoted-identifier' || (t?.kind === 'identifier' && isColId(t.word))) {
      this.pos++;
      return identifierValue(t);
    }
    this.fail();
  }

  /** Grammar's ColLabel: any identifier or keyword. */
  colLabel(): string {
    const t = this.peek();
    if (t?.kind === 'quoted-identifier' || t?.kind === 'identifier') {
      this.pos++;
      return identifierValue(t);
    }
    this.fail();
  }

  isStringConst(): boolean {
    const t = this.peek();
    return (t?.kind === 'string' && (t.style === 'standard' || t.style === 'escape' || t.style === 'unicode')) || t?.kind === 'dollar-string';
  }

  /** Grammar's Sconst. */
  stringConst(): string {
    if (!this.isStringConst()) this.fail();
    return stringValue(this.next());
  }

  /** NonReservedWord_or_Sconst. */
  nonReservedWordOrString(): string {
    if (this.isStringConst()) return this.stringConst();
    const t = this.peek();
    if (t?.kind === 'quoted-identifier' || (t?.kind === 'identifier' && isNonReservedWord(t.word))) {
      this.pos++;
      return identifierValue(t);
    }
    this.fail();
  }

  /** SignedIconst: an optionally signed integer that fits in int4. */
  signedInteger(): number {
    let sign = 1;
    if (this.acceptPunct('-')) sign = -1;
    else this.acceptPunct('+');
    const t = this.peek();
    if (t?.kind !== 'number' || !/^\d+$/.test(t.text)) this.fail();
    const value = sign * Number(t.text);
    if (!Number.isSafeInteger(value) || value > 2147483647 || value < -2147483648) this.fail();
    this.pos++;
    return value;
  }

  /** Consumes a parenthesised group (the current token is `(`); returns its inner token range. */
  skipGroup(): { from: number; to: number } {
    this.expectPunct('(');
    const from = this.pos;
    let depth = 1;
    while (!this.atEnd()) {
      const t = this.next();
      if (t.kind !== 'punctuation') continue;
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) return { from, to: this.pos - 1 };
    }
    this.fail();
  }

  /** PostgreSQL's "syntax error at or near …" for the current token. */
  fail(): never {
    throw this.syntaxError();
  }

  syntaxError(): StatementError {
    const t = this.peek();
    if (!t) return new StatementError('42601', 'syntax error at end of input', this.end);
    return new StatementError('42601', `syntax error at or near "${t.text}"`, t.start);
  }
}
