// SQL text tools for the Data API mode. Pure functions, no I/O.
//
// Lexing (standard_conforming_strings on)
//   tokenize(sql): Token[]                 tokens tiling the input; never throws; unterminated
//                                          strings/comments run to the end with terminated: false
//   stringValue(token), identifierValue(token)   decoded literal / folded identifier
//
// Splitting a simple query
//   splitStatements(sql): SqlStatement[]   { text, offset, incomplete } per statement, split at
//                                          top-level semicolons (not inside parentheses or a
//                                          BEGIN ATOMIC body); [] means EmptyQueryResponse
//   isEmptyQuery(sql): boolean
//
// Parameters and the Data API's scanner
//   findPlaceholders(sql): { highest, indexes, occurrences }   `$n` outside strings/comments
//   renderPlaceholders(sql, render): RewrittenSql              `$n` -> render(n)
//   toDataApiSql(sql, { renderParameter }): RewrittenSql       also rewrites what the service's
//                                          `:name` scanner would misread ($$…:x…$$, a[1:2], E'\'',
//                                          nested comments) into equivalent SQL
//   RewrittenSql = { sql, changed, originalOffset(offsetInSql) }   map error positions back
//   quoteLiteral(value) (throws NulCharacterError, SQLSTATE 22021, for U+0000), quoteIdentifier(name)
//   offsetToPosition(text, offset) / positionToOffset(text, position)  UTF-16 <-> PG Position
//
// One parse per statement
//   parseStatements(sql): ParsedStatement[]   the statements of a Query/Parse text, lexed once:
//                                          { text, offset, incomplete, tokens, classified,
//                                          placeholders }; later steps take its tokens
//   parseStatement(text), innerStatement(outer, offset, text), emptyStatement()
//   parseStatementsCached(sql)             the same, from a bounded per-process cache by exact
//                                          text; its statements are deeply frozen (shared)
//
// Classifying one statement
//   classifyStatement(sql): ClassifiedStatement   discriminated union on `kind`: empty, begin,
//     commit, rollback, savepoint, release-savepoint, rollback-to-savepoint, two-phase, set,
//     set-transaction, reset, show, copy, declare-cursor, fetch, close-cursor, prepare, execute,
//     deallocate, discard, listen, unlisten, notify, generic, invalid. Every variant has
//     `returnsRows: boolean | 'depends'`. 'invalid' carries PostgreSQL's SQLSTATE, message and
//     error offset for statements it would reject (bad transaction modes, bad COPY options…).
//   commandTag(statement, rowCount, { transactionFailed, prepared }): string   the exact tag
//     PostgreSQL 15 sends ('INSERT 0 3', 'SELECT 2', 'CREATE TABLE', 'ROLLBACK' for a COMMIT of
//     a failed transaction…)
//   canonicalEncoding(name)                PostgreSQL's canonical encoding name (COPY ENCODING)
//
// Known limits: PostgreSQL parses a whole multi-statement string before running any of it, so a
// syntax error in a later statement stops the earlier ones too; only lexical errors (an
// `incomplete` statement) are visible here. EXECUTE's tag needs the PREPAREd statement
// ({ prepared }). U&'…' UESCAPE is not decoded.

export { tokenize, stringValue, identifierValue, isTrivia, type Token, type TokenKind, type StringStyle } from './lexer.js';
export { splitStatements, isEmptyQuery, type SqlStatement } from './splitter.js';
export { findPlaceholders, placeholdersOf, renderPlaceholders, type PlaceholderUse, type PlaceholderOccurrence } from './placeholders.js';
export { toDataApiSql, type DataApiTextOptions } from './data-api-text.js';
export type { RewrittenSql } from './text-edit.js';
export { quoteLiteral, quoteIdentifier, NulCharacterError } from './literal.js';
export { offsetToPosition, positionToOffset } from './positions.js';
export { classifyStatement, classifyLexed } from './classifier.js';
export { parseStatements, parseStatement, innerStatement, emptyStatement, type ParsedStatement } from './parsed-statement.js';
export { parseStatementsCached, ParsedStatementCache, type StatementCacheLimits } from './statement-cache.js';
export { commandTag, type CommandTagContext } from './command-tag.js';
export { canonicalEncoding } from './copy-options.js';
export type * from './statement-types.js';
