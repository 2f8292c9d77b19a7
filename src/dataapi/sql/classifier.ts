// classifyStatement(): what one statement is, for the Data API session. Statements the proxy must
// answer itself (transaction control, SET/RESET/SHOW, COPY, cursors, prepared statements,
// LISTEN/NOTIFY, DISCARD) are parsed in full; everything else gets its verb and command tag.

import { isTrivia, isUnterminated, tokenize, type Token } from './lexer.js';
import { splitLexed } from './splitter.js';
import { StatementError, StatementReader } from './statement-reader.js';
import type { ClassifiedStatement } from './statement-types.js';
import { parseTransactionStatement } from './transaction.js';
import { parseReset, parseSet, parseShow } from './settings.js';
import { parseCopy } from './copy-options.js';
import { parseClose, parseDeclare, parseFetch } from './cursors.js';
import { parseDeallocate, parseDiscard, parseExecute, parseListen, parseNotify, parsePrepare, parseUnlisten } from './session-commands.js';
import { classifyGeneric } from './generic.js';

/**
 * Classifies the first statement in `sql` (normally a single statement from splitStatements();
 * text after a top-level semicolon is ignored). Offsets in the result index into `sql`.
 * Never throws.
 */
export function classifyStatement(sql: string): ClassifiedStatement {
  return classifyLexed(sql, tokenize(sql));
}

/** classifyStatement() over tokens already made by tokenize(sql): the text is not lexed again. */
export function classifyLexed(sql: string, lexed: readonly Token[]): ClassifiedStatement {
  const statement = splitLexed(sql, lexed)[0];
  if (!statement) return { kind: 'empty', returnsRows: false };
  const end = statement.offset + statement.text.length;
  const all = lexed.filter((t) => t.start >= statement.offset && t.end <= end);

  const unterminated = all.find(isUnterminated);
  if (unterminated) return unterminatedError(unterminated, sql);

  const tokens = all.filter((t) => !isTrivia(t));
  const reader = new StatementReader(sql, tokens, end);
  try {
    return dispatch(reader);
  } catch (e) {
    if (e instanceof StatementError) {
      return { kind: 'invalid', sqlState: e.sqlState, message: e.message, offset: e.offset, returnsRows: false };
    }
    throw e;
  }
}

function dispatch(r: StatementReader): ClassifiedStatement {
  const first = r.word();
  switch (first) {
    case 'begin':
    case 'start':
    case 'commit':
    case 'end':
    case 'rollback':
    case 'abort':
    case 'savepoint':
    case 'release':
      r.pos++;
      return parseTransactionStatement(r, first);
    case 'prepare':
      r.pos++;
      if (r.acceptWords('transaction')) return parseTransactionStatement(r, 'prepare transaction');
      return parsePrepare(r);
    case 'set':
      r.pos++;
      return parseSet(r);
    case 'reset':
      r.pos++;
      return parseReset(r);
    case 'show':
      r.pos++;
      return parseShow(r);
    case 'copy':
      r.pos++;
      return parseCopy(r);
    case 'declare':
      r.pos++;
      return parseDeclare(r);
    case 'fetch':
    case 'move':
      r.pos++;
      return parseFetch(r, first === 'move');
    case 'close':
      r.pos++;
      return parseClose(r);
    case 'execute':
      r.pos++;
      return parseExecute(r);
    case 'deallocate':
      r.pos++;
      return parseDeallocate(r);
    case 'discard':
      r.pos++;
      return parseDiscard(r);
    case 'listen':
      r.pos++;
      return parseListen(r);
    case 'unlisten':
      r.pos++;
      return parseUnlisten(r);
    case 'notify':
      r.pos++;
      return parseNotify(r);
    default:
      return { kind: 'generic', ...classifyGeneric(r.tokens) };
  }
}

/** scan.l's messages for input that ends inside a token; the "near" text runs to the end. */
function unterminatedError(t: Token, sql: string): ClassifiedStatement {
  let what = 'quoted string';
  if (t.kind === 'comment') what = '/* comment';
  else if (t.kind === 'quoted-identifier') what = 'quoted identifier';
  else if (t.kind === 'dollar-string') what = 'dollar-quoted string';
  else if (t.kind === 'string' && t.style === 'bit') what = 'bit string literal';
  else if (t.kind === 'string' && t.style === 'hex') what = 'hexadecimal string literal';
  return {
    kind: 'invalid',
    sqlState: '42601',
    message: `unterminated ${what} at or near "${sql.slice(t.start)}"`,
    offset: t.start,
    returnsRows: false,
  };
}
