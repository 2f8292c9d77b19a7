// SET / RESET / SHOW, following gram.y (VariableSetStmt, VariableResetStmt, VariableShowStmt) and
// guc.c's flatten_set_variable_args() for how a value list becomes the stored string.

import { identifierValue, type Token } from './lexer.js';
import { quoteIdentifier } from './literal.js';
import { StatementError, type StatementReader } from './statement-reader.js';
import { parseTransactionModes } from './transaction.js';
import type { ClassifiedStatement, SetValue } from './statement-types.js';

/** Parameters marked GUC_LIST_QUOTE: their list elements are stored through quote_identifier(). */
const LIST_QUOTED = new Set(['search_path', 'temp_tablespaces', 'session_preload_libraries', 'shared_preload_libraries', 'local_preload_libraries']);

/** SET … (the SET word already consumed). */
export function parseSet(r: StatementReader): ClassifiedStatement {
  let local = false;
  // LOCAL/SESSION is a scope unless it is the parameter name (`SET session = …`) or starts
  // SET SESSION AUTHORIZATION / SET SESSION CHARACTERISTICS.
  if (r.isWord('local', 'session') && !isAssignment(r, 1) && !(r.isWord('session') && ['authorization', 'characteristics'].includes(r.word(1) ?? ''))) {
    local = r.word() === 'local';
    r.pos++;
  }
  const set = (name: string, value: SetValue, valueStart: number): ClassifiedStatement => {
    r.expectEnd();
    return { kind: 'set', local, name, value, valueText: r.text.slice(valueStart, r.end), returnsRows: false };
  };

  if (!isAssignment(r, 1)) {
    if (r.acceptWords('transaction', 'snapshot')) {
      const snapshot = r.stringConst();
      r.expectEnd();
      return { kind: 'set-transaction', scope: 'transaction', modes: {}, snapshot, returnsRows: false };
    }
    if (r.acceptWords('transaction')) {
      const modes = parseTransactionModes(r, false);
      return { kind: 'set-transaction', scope: 'transaction', modes, snapshot: null, returnsRows: false };
    }
    if (r.acceptWords('session', 'characteristics')) {
      r.expectWords('as', 'transaction');
      const modes = parseTransactionModes(r, false);
      return { kind: 'set-transaction', scope: 'session', modes, snapshot: null, returnsRows: false };
    }
    if (r.acceptWords('time', 'zone')) {
      const start = r.offset();
      return set('timezone', parseZoneValue(r), start);
    }
    if (r.isWord('catalog')) {
      r.pos++;
      const at = r.offset();
      r.stringConst();
      throw new StatementError('0A000', 'current database cannot be changed', at);
    }
    if (r.acceptWords('schema')) {
      const start = r.offset();
      return set('search_path', { type: 'value', value: quoteIdentifier(r.stringConst()) }, start);
    }
    if (r.acceptWords('names')) {
      const start = r.offset();
      if (r.atEnd() || r.acceptWords('default')) return set('client_encoding', { type: 'default' }, start);
      return set('client_encoding', { type: 'value', value: r.stringConst() }, start);
    }
    if (r.acceptWords('role')) {
      const start = r.offset();
      return set('role', { type: 'value', value: r.nonReservedWordOrString() }, start);
    }
    if (r.acceptWords('session', 'authorization')) {
      const start = r.offset();
      if (r.acceptWords('default')) return set('session_authorization', { type: 'default' }, start);
      return set('session_authorization', { type: 'value', value: r.nonReservedWordOrString() }, start);
    }
    if (r.acceptWords('xml', 'option')) {
      const start = r.offset();
      if (!r.isWord('document', 'content')) r.fail();
      return set('xmloption', { type: 'value', value: r.next().text.toLowerCase() }, start);
    }
    if (r.acceptWords('constraints')) {
      return { kind: 'generic', verb: 'SET CONSTRAINTS', tag: 'SET CONSTRAINTS', tagHasRowCount: false, recognised: true, returnsRows: false };
    }
  }

  const name = parseVarName(r);
  if (r.acceptWords('from', 'current')) return set(name, { type: 'from-current' }, r.offset());
  if (!r.acceptWords('to') && !r.acceptPunct('=')) r.fail();
  const start = r.offset();
  if (r.acceptWords('default')) return set(name, { type: 'default' }, start);
  return set(name, { type: 'value', value: parseValueList(r, LIST_QUOTED.has(name)) }, start);
}

/** RESET … (the RESET word already consumed). */
export function parseReset(r: StatementReader): ClassifiedStatement {
  const name = r.acceptWords('all') ? null : parseSpecialOrVarName(r);
  r.expectEnd();
  return { kind: 'reset', name, returnsRows: false };
}

/** SHOW … (the SHOW word already consumed). */
export function parseShow(r: StatementReader): ClassifiedStatement {
  const name = r.acceptWords('all') ? null : parseSpecialOrVarName(r);
  r.expectEnd();
  return { kind: 'show', name, returnsRows: true };
}

function parseSpecialOrVarName(r: StatementReader): string {
  if (r.acceptWords('time', 'zone')) return 'timezone';
  if (r.acceptWords('transaction', 'isolation', 'level')) return 'transaction_isolation';
  if (r.acceptWords('session', 'authorization')) return 'session_authorization';
  return parseVarName(r);
}

/** Is the token at pos+k the `TO`/`=`/`.` that follows a parameter name? */
function isAssignment(r: StatementReader, k: number): boolean {
  const t = r.peek(k);
  if (!t) return false;
  return (t.kind === 'identifier' && t.word === 'to') || (t.kind === 'operator' && t.text === '=') || (t.kind === 'punctuation' && t.text === '.');
}

/** var_name: ColId ('.' ColId)*, folded to lower case (GUC names are case-insensitive). */
function parseVarName(r: StatementReader): string {
  const parts = [r.colId()];
  while (r.acceptPunct('.')) parts.push(r.colId());
  return parts.join('.').toLowerCase();
}

/** var_list: var_value (',' var_value)*, flattened the way guc.c stores it. */
function parseValueList(r: StatementReader, quoteElements: boolean): string {
  const items: string[] = [];
  do {
    const v = parseVarValue(r);
    items.push(v.numeric || !quoteElements ? v.text : quoteIdentifier(v.text));
  } while (r.acceptPunct(','));
  return items.join(', ');
}

/** var_value: TRUE | FALSE | ON | NonReservedWord | Sconst | NumericOnly. */
function parseVarValue(r: StatementReader): { text: string; numeric: boolean } {
  if (r.isWord('true', 'false', 'on')) return { text: r.next().text.toLowerCase(), numeric: false };
  const numeric = tryNumericOnly(r);
  if (numeric !== null) return { text: numeric, numeric: true };
  return { text: r.nonReservedWordOrString(), numeric: false };
}

/**
 * NumericOnly: [+|-] number. Integers that fit in int4 are stored via "%d" (007 -> 7); anything
 * else is a float constant kept as written, with a leading '-' for negation.
 */
function tryNumericOnly(r: StatementReader): string | null {
  let k = 0;
  let negative = false;
  const sign = r.peek();
  if (sign?.kind === 'operator' && (sign.text === '-' || sign.text === '+')) {
    negative = sign.text === '-';
    k = 1;
  }
  const t: Token | undefined = r.peek(k);
  if (t?.kind !== 'number' || !/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t.text)) {
    if (k === 1) r.fail();
    return null;
  }
  r.pos += k + 1;
  if (/^\d+$/.test(t.text)) {
    const n = Number(t.text);
    if (n <= 2147483647) return String(negative ? -n : n);
  }
  return negative ? `-${t.text}` : t.text;
}

/** zone_value: Sconst | IDENT | NumericOnly | INTERVAL … | DEFAULT | LOCAL. */
function parseZoneValue(r: StatementReader): SetValue {
  if (r.acceptWords('default') || r.acceptWords('local')) return { type: 'default' };
  if (r.acceptWords('interval')) return parseZoneInterval(r);
  if (r.isStringConst()) return { type: 'value', value: r.stringConst() };
  const numeric = tryNumericOnly(r);
  if (numeric !== null) return { type: 'value', value: numeric };
  const t = r.peek();
  // Only a plain identifier here, not a keyword (gram.y's zone_value uses IDENT).
  if (t?.kind === 'quoted-identifier' || (t?.kind === 'identifier' && !/^(time|zone|interval)$/.test(t.word))) {
    r.pos++;
    return { type: 'value', value: identifierValue(t) };
  }
  r.fail();
}

/**
 * ConstInterval Sconst opt_interval | ConstInterval '(' Iconst ')' Sconst (INTERVAL already
 * consumed). gram.y allows only HOUR and MINUTE fields in a time zone interval.
 */
function parseZoneInterval(r: StatementReader): SetValue {
  let precision: number | null = null;
  if (r.acceptPunct('(')) {
    const t = r.peek();
    if (t?.kind !== 'number' || !/^\d+$/.test(t.text)) r.fail();
    precision = Number(t.text);
    r.pos++;
    if (!r.acceptPunct(')')) r.fail();
  }
  const literal = r.stringConst();
  if (precision !== null) {
    r.expectEnd();
    return { type: 'interval', literal, qualifier: '', precision };
  }
  const qualifierAt = r.offset();
  const words: string[] = [];
  while (!r.atEnd() && words.length < 4) {
    const w = r.word();
    if (w === null) r.fail();
    words.push(w);
    r.pos++;
  }
  r.expectEnd();
  const qualifier = words.join(' ');
  if (qualifier === '' || qualifier === 'hour' || qualifier === 'minute' || qualifier === 'hour to minute') {
    return { type: 'interval', literal, qualifier, precision: null };
  }
  if (!/^(year|month|day|hour|minute|second)( to (month|hour|minute|second))?$/.test(qualifier) && !/^second\s*\(/.test(qualifier)) r.fail();
  throw new StatementError('42601', 'time zone interval must be HOUR or HOUR TO MINUTE', qualifierAt);
}
