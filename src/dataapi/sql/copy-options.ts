// COPY, following gram.y's CopyStmt (both the `WITH (option value, …)` syntax and the legacy
// `WITH CSV HEADER DELIMITER ','` forms psql's \copy passes through) and copy.c's
// ProcessCopyOptions() for defaults, validation and error texts.

import { identifierValue } from './lexer.js';
import { isNonReservedWord } from './keywords.js';
import { StatementError, type StatementReader } from './statement-reader.js';
import type { ClassifiedStatement, CopyEndpoint, CopyOptions, CopySource, QualifiedName } from './statement-types.js';

/** An option as gram.y hands it to ProcessCopyOptions: a name and an optional argument. */
interface OptionElement {
  name: string;
  arg: OptionArg | null;
  offset: number;
}

type OptionArg = { type: 'string'; value: string } | { type: 'integer'; value: number } | { type: 'star' } | { type: 'list'; items: string[] };

const PREPARABLE_STARTERS = new Set(['select', 'values', 'table', 'with', 'insert', 'update', 'delete', 'merge']);

/** COPY … (the COPY word already consumed). */
export function parseCopy(r: StatementReader): ClassifiedStatement {
  const elements: OptionElement[] = [];
  let source: CopySource;
  let direction: 'from' | 'to';

  if (r.isPunct('(')) {
    const { from, to } = r.skipGroup();
    const first = r.tokens[from];
    if (!first || !(PREPARABLE_STARTERS.has(first.kind === 'identifier' ? first.word : '') || (first.kind === 'punctuation' && first.text === '('))) {
      r.pos = from;
      r.fail();
    }
    const queryOffset = first.start;
    source = { type: 'query', query: r.sliceText(from, to), queryOffset };
    r.expectWords('to');
    direction = 'to';
  } else {
    if (r.isWord('binary')) {
      elements.push({ name: 'format', arg: { type: 'string', value: 'binary' }, offset: r.offset() });
      r.pos++;
    }
    const table = parseQualifiedName(r);
    const columns = r.isPunct('(') ? parseColumnList(r, true) : null;
    source = { type: 'table', table, columns };
    if (r.acceptWords('from')) direction = 'from';
    else if (r.acceptWords('to')) direction = 'to';
    else r.fail();
  }

  const endpoint = parseEndpoint(r);

  if (source.type === 'table') {
    // copy_delimiter: [USING] DELIMITERS 'x', only in the table form.
    const at = r.offset();
    if (r.acceptWords('using', 'delimiters') || r.acceptWords('delimiters')) {
      elements.push({ name: 'delimiter', arg: { type: 'string', value: r.stringConst() }, offset: at });
    }
  }
  r.acceptWords('with');
  if (r.isPunct('(')) elements.push(...parseGenericOptions(r));
  else elements.push(...parseLegacyOptions(r));

  let where: string | null = null;
  if (source.type === 'table' && r.isWord('where')) {
    const at = r.offset();
    r.pos++;
    if (r.atEnd()) r.fail();
    if (direction === 'to') throw new StatementError('42601', 'WHERE clause not allowed with COPY TO', at);
    where = r.rest();
    r.pos = r.tokens.length;
  }
  r.expectEnd();

  const options = processCopyOptions(elements, direction === 'from');
  return { kind: 'copy', direction, source, endpoint, options, where, returnsRows: false };
}

function parseQualifiedName(r: StatementReader): QualifiedName {
  const start = r.offset();
  const parts = [r.colId()];
  while (r.acceptPunct('.')) parts.push(r.colLabel());
  const last = r.tokens[r.pos - 1]!;
  return { parts, text: r.text.slice(start, last.end) };
}

/** columnList: `(a, b)` when parenthesised, or the bare `a, b` of legacy FORCE options. */
function parseColumnList(r: StatementReader, parenthesised: boolean): string[] {
  if (parenthesised) r.expectPunct('(');
  const columns = [r.colId()];
  while (r.acceptPunct(',')) {
    // A legacy list ends where the next option starts; `,` is never an option separator there.
    columns.push(r.colId());
  }
  if (parenthesised) r.expectPunct(')');
  return columns;
}

function parseEndpoint(r: StatementReader): CopyEndpoint {
  const program = r.acceptWords('program');
  const at = r.offset();
  if (r.isWord('stdin', 'stdout')) {
    r.pos++;
    if (program) throw new StatementError('42601', 'STDIN/STDOUT not allowed with PROGRAM', at);
    return { type: 'client' };
  }
  const name = r.stringConst();
  return program ? { type: 'program', command: name } : { type: 'file', path: name };
}

/** `( name [arg], … )` */
function parseGenericOptions(r: StatementReader): OptionElement[] {
  r.expectPunct('(');
  const elements: OptionElement[] = [];
  do {
    const offset = r.offset();
    const name = r.colLabel();
    elements.push({ name, arg: parseGenericArg(r), offset });
  } while (r.acceptPunct(','));
  r.expectPunct(')');
  return elements;
}

/** copy_generic_opt_arg: boolean-or-string | NumericOnly | * | ( list ) | nothing */
function parseGenericArg(r: StatementReader): OptionArg | null {
  if (r.isPunct(',') || r.isPunct(')')) return null;
  if (r.acceptPunct('*')) return { type: 'star' };
  if (r.isPunct('(')) {
    r.expectPunct('(');
    const items: string[] = [];
    do items.push(booleanOrString(r));
    while (r.acceptPunct(','));
    r.expectPunct(')');
    return { type: 'list', items };
  }
  const t = r.peek();
  const signed = t?.kind === 'operator' && (t.text === '-' || t.text === '+');
  if (t?.kind === 'number' || signed) {
    const numberToken = signed ? r.peek(1) : t;
    if (numberToken?.kind !== 'number') r.fail();
    r.pos += signed ? 2 : 1;
    const text = (t!.text === '-' ? '-' : '') + numberToken.text;
    const n = Number(text);
    return /^-?\d+$/.test(text) && Math.abs(n) <= 2147483647 ? { type: 'integer', value: n } : { type: 'string', value: text };
  }
  return { type: 'string', value: booleanOrString(r) };
}

/** opt_boolean_or_string: TRUE | FALSE | ON | NonReservedWord | Sconst */
function booleanOrString(r: StatementReader): string {
  if (r.isWord('true', 'false', 'on')) return r.next().text.toLowerCase();
  if (r.isStringConst()) return r.stringConst();
  const t = r.peek();
  if (t?.kind === 'quoted-identifier' || (t?.kind === 'identifier' && isNonReservedWord(t.word))) {
    r.pos++;
    return identifierValue(t);
  }
  r.fail();
}

/** copy_opt_list: the pre-9.0 option words, in any order. */
function parseLegacyOptions(r: StatementReader): OptionElement[] {
  const elements: OptionElement[] = [];
  const str = (name: string, offset: number): OptionElement => {
    r.acceptWords('as');
    return { name, arg: { type: 'string', value: r.stringConst() }, offset };
  };
  for (;;) {
    const offset = r.offset();
    if (r.acceptWords('binary')) elements.push({ name: 'format', arg: { type: 'string', value: 'binary' }, offset });
    else if (r.acceptWords('csv')) elements.push({ name: 'format', arg: { type: 'string', value: 'csv' }, offset });
    else if (r.acceptWords('freeze')) elements.push({ name: 'freeze', arg: { type: 'integer', value: 1 }, offset });
    else if (r.acceptWords('header')) elements.push({ name: 'header', arg: { type: 'integer', value: 1 }, offset });
    else if (r.acceptWords('delimiter')) elements.push(str('delimiter', offset));
    else if (r.acceptWords('null')) elements.push(str('null', offset));
    else if (r.acceptWords('quote')) elements.push(str('quote', offset));
    else if (r.acceptWords('escape')) elements.push(str('escape', offset));
    else if (r.acceptWords('encoding')) elements.push({ name: 'encoding', arg: { type: 'string', value: r.stringConst() }, offset });
    else if (r.acceptWords('force', 'quote')) {
      const arg: OptionArg = r.acceptPunct('*') ? { type: 'star' } : { type: 'list', items: parseColumnList(r, false) };
      elements.push({ name: 'force_quote', arg, offset });
    } else if (r.acceptWords('force', 'not', 'null')) {
      elements.push({ name: 'force_not_null', arg: { type: 'list', items: parseColumnList(r, false) }, offset });
    } else if (r.acceptWords('force', 'null')) {
      elements.push({ name: 'force_null', arg: { type: 'list', items: parseColumnList(r, false) }, offset });
    } else break;
  }
  return elements;
}

// ---------------------------------------------------------------------------------------------
// ProcessCopyOptions

function err(sqlState: string, message: string, offset: number | null = null): StatementError {
  return new StatementError(sqlState, message, offset);
}

/** defGetString: the argument as text. */
function argString(e: OptionElement): string {
  if (!e.arg) throw err('42601', `${e.name} requires a parameter`, e.offset);
  switch (e.arg.type) {
    case 'string':
      return e.arg.value;
    case 'integer':
      return String(e.arg.value);
    case 'star':
      return '*';
    case 'list':
      throw err('42601', `${e.name} requires a parameter`, e.offset);
  }
}

/** defGetBoolean */
function argBoolean(e: OptionElement): boolean {
  if (!e.arg) return true;
  if (e.arg.type === 'integer' && (e.arg.value === 0 || e.arg.value === 1)) return e.arg.value === 1;
  if (e.arg.type !== 'integer') {
    const v = argString(e).toLowerCase();
    if (v === 'true' || v === 'on') return true;
    if (v === 'false' || v === 'off') return false;
  }
  throw err('42601', `${e.name} requires a Boolean value`, e.offset);
}

/** defGetCopyHeaderChoice */
function argHeader(e: OptionElement, isFrom: boolean): boolean | 'match' {
  if (!e.arg) return true;
  if (e.arg.type === 'integer') {
    if (e.arg.value === 0 || e.arg.value === 1) return e.arg.value === 1;
  } else {
    const v = argString(e);
    const lower = v.toLowerCase();
    if (lower === 'true' || lower === 'on') return true;
    if (lower === 'false' || lower === 'off') return false;
    if (lower === 'match') {
      if (!isFrom) throw err('0A000', `cannot use "${v}" with HEADER in COPY TO`, e.offset);
      return 'match';
    }
  }
  throw err('42601', `${e.name} requires a Boolean value or "match"`, e.offset);
}

function argColumns(e: OptionElement, allowStar: boolean): string[] | 'all' {
  if (allowStar && e.arg?.type === 'star') return 'all';
  if (e.arg?.type === 'list') return e.arg.items;
  throw err('22023', `argument to option "${e.name}" must be a list of column names`, e.offset);
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Applies copy.c's defaults and checks, in its order, with its messages and SQLSTATEs. */
export function processCopyOptions(elements: readonly OptionElement[], isFrom: boolean): CopyOptions {
  let format: CopyOptions['format'] | null = null;
  let freeze: boolean | null = null;
  let delimiter: string | null = null;
  let nullString: string | null = null;
  let header: boolean | 'match' | null = null;
  let quote: string | null = null;
  let escape: string | null = null;
  let forceQuote: string[] | 'all' | null = null;
  let forceNotNull: string[] | null = null;
  let forceNull: string[] | null = null;
  let encoding: string | null = null;

  for (const e of elements) {
    const conflict = (): StatementError => err('42601', 'conflicting or redundant options', e.offset);
    switch (e.name) {
      case 'format': {
        const value = argString(e);
        if (format !== null) throw conflict();
        if (value !== 'text' && value !== 'csv' && value !== 'binary') throw err('22023', `COPY format "${value}" not recognized`, e.offset);
        format = value;
        break;
      }
      case 'freeze':
        if (freeze !== null) throw conflict();
        freeze = argBoolean(e);
        break;
      case 'delimiter':
        if (delimiter !== null) throw conflict();
        delimiter = argString(e);
        break;
      case 'null':
        if (nullString !== null) throw conflict();
        nullString = argString(e);
        break;
      case 'header':
        if (header !== null) throw conflict();
        header = argHeader(e, isFrom);
        break;
      case 'quote':
        if (quote !== null) throw conflict();
        quote = argString(e);
        break;
      case 'escape':
        if (escape !== null) throw conflict();
        escape = argString(e);
        break;
      case 'force_quote':
        if (forceQuote !== null) throw conflict();
        forceQuote = argColumns(e, true);
        break;
      case 'force_not_null':
        if (forceNotNull !== null) throw conflict();
        forceNotNull = argColumns(e, false) as string[];
        break;
      case 'force_null':
        if (forceNull !== null) throw conflict();
        forceNull = argColumns(e, false) as string[];
        break;
      case 'encoding': {
        if (encoding !== null) throw conflict();
        const canonical = canonicalEncoding(argString(e));
        if (!canonical) throw err('22023', `argument to option "${e.name}" must be a valid encoding name`, e.offset);
        encoding = canonical;
        break;
      }
      default:
        throw err('42601', `option "${e.name}" not recognized`, e.offset);
    }
  }

  const fmt = format ?? 'text';
  const csv = fmt === 'csv';
  const binary = fmt === 'binary';
  if (binary && delimiter !== null) throw err('42601', 'cannot specify DELIMITER in BINARY mode');
  if (binary && nullString !== null) throw err('42601', 'cannot specify NULL in BINARY mode');
  const delim = delimiter ?? (csv ? ',' : '\t');
  const nullPrint = nullString ?? (csv ? '' : '\\N');
  const quoteChar = csv ? (quote ?? '"') : quote;
  const escapeChar = csv ? (escape ?? quoteChar) : escape;

  if (utf8Length(delim) !== 1) throw err('0A000', 'COPY delimiter must be a single one-byte character');
  if (/[\r\n]/.test(delim)) throw err('22023', 'COPY delimiter cannot be newline or carriage return');
  if (/[\r\n]/.test(nullPrint)) throw err('22023', 'COPY null representation cannot use newline or carriage return');
  if (!csv && '\\.abcdefghijklmnopqrstuvwxyz0123456789'.includes(delim)) throw err('22023', `COPY delimiter cannot be "${delim}"`);
  if (binary && header) throw err('0A000', 'cannot specify HEADER in BINARY mode');
  if (!csv && quote !== null) throw err('0A000', 'COPY quote available only in CSV mode');
  if (csv && utf8Length(quoteChar!) !== 1) throw err('0A000', 'COPY quote must be a single one-byte character');
  if (csv && delim === quoteChar) throw err('22023', 'COPY delimiter and quote must be different');
  if (!csv && escape !== null) throw err('0A000', 'COPY escape available only in CSV mode');
  if (csv && utf8Length(escapeChar!) !== 1) throw err('0A000', 'COPY escape must be a single one-byte character');
  if (!csv && forceQuote !== null) throw err('0A000', 'COPY force quote available only in CSV mode');
  if (forceQuote !== null && isFrom) throw err('0A000', 'COPY force quote only available using COPY TO');
  if (!csv && forceNotNull !== null) throw err('0A000', 'COPY force not null available only in CSV mode');
  if (forceNotNull !== null && !isFrom) throw err('0A000', 'COPY force not null only available using COPY FROM');
  if (!csv && forceNull !== null) throw err('0A000', 'COPY force null available only in CSV mode');
  if (forceNull !== null && !isFrom) throw err('0A000', 'COPY force null only available using COPY FROM');
  if (nullPrint.includes(delim)) throw err('0A000', 'COPY delimiter must not appear in the NULL specification');
  if (csv && nullPrint.includes(quoteChar!)) throw err('0A000', 'CSV quote character must not appear in the NULL specification');

  return {
    format: fmt,
    delimiter: delim,
    null: nullPrint,
    header: header ?? false,
    quote: csv ? quoteChar : null,
    escape: csv ? escapeChar : null,
    forceQuote: forceQuote ?? [],
    forceNotNull: forceNotNull ?? [],
    forceNull: forceNull ?? [],
    encoding,
    freeze: freeze ?? false,
  };
}

// pg_char_to_encoding(): names compare after dropping non-alphanumerics and lower-casing.
const ENCODINGS: Record<string, string> = {
  abc: 'WIN1258', alt: 'WIN866', big5: 'BIG5', euccn: 'EUC_CN', eucjis2004: 'EUC_JIS_2004', eucjp: 'EUC_JP',
  euckr: 'EUC_KR', euctw: 'EUC_TW', gb18030: 'GB18030', gbk: 'GBK', iso88591: 'LATIN1', iso885910: 'LATIN6',
  iso885913: 'LATIN7', iso885914: 'LATIN8', iso885915: 'LATIN9', iso885916: 'LATIN10', iso88592: 'LATIN2',
  iso88593: 'LATIN3', iso88594: 'LATIN4', iso88595: 'ISO_8859_5', iso88596: 'ISO_8859_6', iso88597: 'ISO_8859_7',
  iso88598: 'ISO_8859_8', iso88599: 'LATIN5', johab: 'JOHAB', koi8: 'KOI8R', koi8r: 'KOI8R', koi8u: 'KOI8U',
  latin1: 'LATIN1', latin10: 'LATIN10', latin2: 'LATIN2', latin3: 'LATIN3', latin4: 'LATIN4', latin5: 'LATIN5',
  latin6: 'LATIN6', latin7: 'LATIN7', latin8: 'LATIN8', latin9: 'LATIN9', mskanji: 'SJIS', muleinternal: 'MULE_INTERNAL',
  shiftjis: 'SJIS', shiftjis2004: 'SHIFT_JIS_2004', sjis: 'SJIS', sqlascii: 'SQL_ASCII', tcvn: 'WIN1258',
  tcvn5712: 'WIN1258', uhc: 'UHC', unicode: 'UTF8', utf8: 'UTF8', vscii: 'WIN1258', win: 'WIN1251', win1250: 'WIN1250',
  win1251: 'WIN1251', win1252: 'WIN1252', win1253: 'WIN1253', win1254: 'WIN1254', win1255: 'WIN1255', win1256: 'WIN1256',
  win1257: 'WIN1257', win1258: 'WIN1258', win866: 'WIN866', win874: 'WIN874', win932: 'SJIS', win936: 'GBK',
  win949: 'UHC', win950: 'BIG5', windows1250: 'WIN1250', windows1251: 'WIN1251', windows1252: 'WIN1252',
  windows1253: 'WIN1253', windows1254: 'WIN1254', windows1255: 'WIN1255', windows1256: 'WIN1256', windows1257: 'WIN1257',
  windows1258: 'WIN1258', windows866: 'WIN866', windows874: 'WIN874', windows932: 'SJIS', windows936: 'GBK',
  windows949: 'UHC', windows950: 'BIG5',
};

/** The canonical PostgreSQL name of encoding `name`, or null if PostgreSQL does not know it. */
export function canonicalEncoding(name: string): string | null {
  return ENCODINGS[name.replace(/[^A-Za-z0-9]/g, '').toLowerCase()] ?? null;
}
