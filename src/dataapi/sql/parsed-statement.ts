// One statement as the Data API session carries it from the moment its Query or Parse arrives to
// the Data API call: its text, its tokens, what kind of statement it is and its `$n`
// placeholders. The text is lexed once, here; classification, rendering, batching detection,
// COPY and describe all read these tokens instead of lexing the text again.
import { isUnterminated, tokenize, type Token } from './lexer.js';
import { splitLexed } from './splitter.js';
import { classifyLexed } from './classifier.js';
import { placeholdersOf, type PlaceholderUse } from './placeholders.js';
import type { ClassifiedStatement } from './statement-types.js';

export interface ParsedStatement {
  /** The statement's source text, without its separating semicolon and surrounding whitespace. */
  readonly text: string;
  /** Where `text` starts in the message that carried it (UTF-16 code units), for error positions. */
  readonly offset: number;
  /** Ends inside an unterminated string, quoted identifier, dollar quote or comment. */
  readonly incomplete: boolean;
  /** tokenize(text): offsets index into `text`. */
  readonly tokens: readonly Token[];
  readonly classified: ClassifiedStatement;
  readonly placeholders: PlaceholderUse;
}

/**
 * The statements of a simple Query's string (or a Parse's text), lexed once. Empty when
 * PostgreSQL would answer with EmptyQueryResponse.
 */
export function parseStatements(sql: string): ParsedStatement[] {
  const tokens = tokenize(sql);
  return splitLexed(sql, tokens).map((piece) => {
    const own = tokens.slice(piece.firstToken, piece.endToken);
    return fromTokens(piece.text, piece.offset, piece.incomplete, piece.offset === 0 ? own : own.map((t) => shifted(t, piece.offset)));
  });
}

/** One statement of text the proxy itself made (COPY's query, a function call's SELECT). */
export function parseStatement(text: string): ParsedStatement {
  const tokens = tokenize(text);
  const piece = splitLexed(text, tokens)[0];
  return fromTokens(text, 0, piece?.incomplete ?? false, tokens);
}

/**
 * A statement written inside another, as COPY (query) TO holds its query: `text` starts at
 * `offset` of the outer statement's text. Its tokens are the outer statement's, not lexed again.
 */
export function innerStatement(outer: ParsedStatement, offset: number, text: string): ParsedStatement {
  const end = offset + text.length;
  const tokens = outer.tokens.filter((t) => t.start >= offset && t.end <= end).map((t) => shifted(t, offset));
  return fromTokens(text, outer.offset + offset, tokens.some(isUnterminated), tokens);
}

/** The statement of a Parse with no statement in it: it answers Execute with EmptyQueryResponse. */
export function emptyStatement(): ParsedStatement {
  return fromTokens('', 0, false, []);
}

function fromTokens(text: string, offset: number, incomplete: boolean, tokens: readonly Token[]): ParsedStatement {
  return { text, offset, incomplete, tokens, classified: classifyLexed(text, tokens), placeholders: placeholdersOf(tokens) };
}

function shifted(t: Token, by: number): Token {
  return { ...t, start: t.start - by, end: t.end - by };
}
