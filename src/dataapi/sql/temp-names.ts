// Temporary objects in Data API mode live in a schema of the client's session (see
// session/temp-objects.ts). This file is the SQL side of that: it recognises
// `CREATE TEMP TABLE|VIEW|SEQUENCE` and redirects it into the session's schema, and rewrites
// later references to the session's temp names (bare in a relation position, or written
// `pg_temp.name`) to the schema-qualified name. It works on the lexer's tokens, so names inside
// strings, comments and quoted identifiers of other things are never touched.

import { asciiLower, identifierValue, isTrivia, stringValue, tokenize, type Token } from './lexer.js';
import { quoteIdentifier, quoteLiteral } from './literal.js';
import { SqlRewriter, type RewrittenSql } from './text-edit.js';

export type TempObjectKind = 'table' | 'view' | 'sequence';
/** What PostgreSQL does with a temp table at commit (CREATE TEMP TABLE ... ON COMMIT ...). */
export type OnCommitAction = 'preserve-rows' | 'delete-rows' | 'drop';

export interface TempCreate {
  kind: TempObjectKind;
  /** The object's name as PostgreSQL folds it. */
  name: string;
  onCommit: OnCommitAction;
  /** The statement with TEMP removed, the name qualified by the session's schema and no ON COMMIT. */
  rewritten: RewrittenSql;
}

function significant(sql: string): Token[] {
  return tokenize(sql).filter((t) => !isTrivia(t));
}

function isWord(t: Token | undefined, ...words: string[]): boolean {
  return t?.kind === 'identifier' && words.includes(t.word);
}

function isName(t: Token | undefined): boolean {
  return t?.kind === 'identifier' || t?.kind === 'quoted-identifier';
}

function isPunct(t: Token | undefined, text: string): boolean {
  return t?.kind === 'punctuation' && t.text === text;
}

/**
 * A `CREATE [OR REPLACE] [GLOBAL|LOCAL] TEMP[ORARY] [RECURSIVE] TABLE|VIEW|SEQUENCE name`, or a
 * `CREATE TABLE|VIEW|SEQUENCE pg_temp.name` (which PostgreSQL also makes temporary), rewritten to
 * create it in `schema`. Null for any other statement.
 */
export function parseTempCreate(sql: string, schema: string): TempCreate | null {
  const tokens = significant(sql);
  let i = 0;
  if (!isWord(tokens[i], 'create')) return null;
  i++;
  if (isWord(tokens[i], 'or') && isWord(tokens[i + 1], 'replace')) i += 2;
  const modifiers: Token[] = [];
  if (isWord(tokens[i], 'global', 'local')) modifiers.push(tokens[i++]!);
  let temp = false;
  if (isWord(tokens[i], 'temp', 'temporary')) {
    modifiers.push(tokens[i++]!);
    temp = true;
  } else {
    modifiers.length = 0; // GLOBAL/LOCAL only mean something before TEMP
  }
  if (isWord(tokens[i], 'recursive')) i++;
  const kindWord = tokens[i];
  if (!isWord(kindWord, 'table', 'view', 'sequence')) return null;
  const kind = (kindWord as Token & { kind: 'identifier' }).word as TempObjectKind;
  i++;
  if (isWord(tokens[i], 'if') && isWord(tokens[i + 1], 'not') && isWord(tokens[i + 2], 'exists')) i += 3;
  const nameStart = i;
  // pg_temp.name: a temporary object even without TEMP.
  const qualified = isName(tokens[i]) && isPunct(tokens[i + 1], '.') && isName(tokens[i + 2]);
  if (qualified) {
    if (asciiLower(identifierValue(tokens[i]!)) !== 'pg_temp') return null;
    temp = true;
    i += 2;
  }
  if (!temp || !isName(tokens[i])) return null;
  const nameToken = tokens[i]!;
  const name = identifierValue(nameToken);

  let onCommit: OnCommitAction = 'preserve-rows';
  let onCommitRange: [number, number] | null = null;
  if (kind === 'table') {
    // ON COMMIT ... sits at the outermost level, before any AS query.
    let depth = 0;
    for (let j = i + 1; j < tokens.length; j++) {
      const t = tokens[j]!;
      if (isPunct(t, '(')) depth++;
      else if (isPunct(t, ')')) depth--;
      else if (depth === 0 && isWord(t, 'as')) break;
      else if (depth === 0 && isWord(t, 'on') && isWord(tokens[j + 1], 'commit')) {
        const what = tokens[j + 2];
        if (isWord(what, 'drop')) {
          onCommit = 'drop';
          onCommitRange = [t.start, what!.end];
        } else if (isWord(what, 'delete', 'preserve') && isWord(tokens[j + 3], 'rows')) {
          onCommit = (what as Token & { kind: 'identifier' }).word === 'delete' ? 'delete-rows' : 'preserve-rows';
          onCommitRange = [t.start, tokens[j + 3]!.end];
        }
        break;
      }
    }
  }

  const edit = new SqlRewriter(sql);
  let at = 0;
  for (const m of modifiers) {
    edit.keep(at, m.start);
    at = m.end;
    while (at < sql.length && /\s/.test(sql[at]!)) at++; // and the space after it
  }
  const first = tokens[nameStart]!;
  edit.keep(at, first.start);
  edit.replace(first.start, nameToken.end, `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`);
  at = nameToken.end;
  if (onCommitRange) {
    edit.keep(at, onCommitRange[0]);
    at = onCommitRange[1];
  }
  edit.keep(at, sql.length);
  return { kind, name, onCommit, rewritten: edit.build() };
}

/**
 * `SELECT ... INTO [GLOBAL|LOCAL] TEMP[ORARY] [TABLE] name ...`, which also makes a temp table,
 * rewritten to `INTO schema.name`. Null for any other statement.
 */
export function parseSelectIntoTemp(sql: string, schema: string): TempCreate | null {
  const tokens = significant(sql);
  let depth = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    if (depth !== 0 || !isWord(t, 'into')) continue;
    let j = k + 1;
    if (isWord(tokens[j], 'global', 'local')) j++;
    if (!isWord(tokens[j], 'temp', 'temporary')) return null;
    j++;
    if (isWord(tokens[j], 'table')) j++;
    const nameToken = tokens[j];
    if (!isName(nameToken) || isPunct(tokens[j + 1], '.')) return null;
    const name = identifierValue(nameToken!);
    const edit = new SqlRewriter(sql);
    edit.keep(0, tokens[k + 1]!.start);
    edit.replace(tokens[k + 1]!.start, nameToken!.end, `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`);
    edit.keep(nameToken!.end, sql.length);
    return { kind: 'table', name, onCommit: 'preserve-rows', rewritten: edit.build() };
  }
  return null;
}

/** Words after which the next name is a relation (table, view or sequence). */
const RELATION_AFTER = new Set([
  'from',
  'join',
  'into',
  'update',
  'table',
  'only',
  'truncate',
  'view',
  'sequence',
  'lock',
  'copy',
  'analyze',
  'analyse',
  'vacuum',
  'references',
  'using',
]);

/** Functions whose arguments use FROM without naming a relation: extract(f FROM x), trim(...). */
const FROM_IN_ARGUMENTS = new Set(['extract', 'substring', 'trim', 'overlay', 'position', 'normalize']);

/** Words that end a FROM list (a comma after them no longer separates relations). */
const FROM_LIST_END = new Set(['where', 'group', 'having', 'order', 'limit', 'offset', 'window', 'union', 'intersect', 'except', 'returning', 'for', 'fetch', 'set', 'values', 'select', 'do']);

export interface TempReferences {
  rewritten: RewrittenSql;
  /** Which of the temp names the statement referred to. */
  referenced: Set<string>;
}

/**
 * Rewrites the references to the session's temp objects (`names`, as PostgreSQL folds them) to
 * `schema.name`: bare names in a relation position (after FROM, JOIN, INTO, UPDATE, TABLE...,
 * or in a FROM list), and every `pg_temp.` qualifier. A name written with another schema, or
 * used as a column (`x.col`), is left alone.
 */
export function rewriteTempReferences(sql: string, names: ReadonlySet<string>, schema: string): TempReferences {
  const tokens = significant(sql);
  const edit = new SqlRewriter(sql);
  const referenced = new Set<string>();
  const qualifiedSchema = quoteIdentifier(schema);
  let at = 0;
  const replace = (t: Token, text: string) => {
    edit.keep(at, t.start);
    edit.replace(t.start, t.end, text);
    at = t.end;
  };
  const first = tokens[0];
  const statementVerb = first?.kind === 'identifier' ? first.word : '';
  // ON names a relation in CREATE INDEX/TRIGGER/RULE/POLICY and GRANT/REVOKE, not after JOIN.
  const onIsRelation = statementVerb === 'create' || statementVerb === 'grant' || statementVerb === 'revoke' || statementVerb === 'comment';
  /** Paren depth of the FROM lists (and DROP/TRUNCATE lists) being read, innermost last. */
  const lists: number[] = [];
  /** For each open paren, the word before it (a function's name), or ''. */
  const parens: string[] = [];
  /** FROMs that do not introduce relations: extract(f FROM x), a IS DISTINCT FROM b. */
  const notRelationFrom = new Set<number>();
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    if (isPunct(t, '(')) {
      parens.push(prev?.kind === 'identifier' ? prev.word : '');
      continue;
    }
    if (isPunct(t, ')')) {
      parens.pop();
      while (lists.length > 0 && lists[lists.length - 1]! > parens.length) lists.pop();
      continue;
    }
    if (t.kind === 'identifier' && lists.length > 0 && lists[lists.length - 1] === parens.length && FROM_LIST_END.has(t.word)) {
      lists.pop();
    }
    if (t.kind === 'identifier' && (t.word === 'from' || (statementVerb === 'drop' && k === 1) || t.word === 'truncate')) {
      const inArguments = t.word === 'from' && FROM_IN_ARGUMENTS.has(parens[parens.length - 1] ?? '');
      const distinctFrom = t.word === 'from' && isWord(prev, 'distinct');
      if (!inArguments && !distinctFrom) lists.push(parens.length);
      else notRelationFrom.add(k);
    }
    if (t.kind === 'string' && names.size > 0) {
      // nextval('seq'), currval, setval and 'name'::regclass name a relation in a string.
      const asArgument = isPunct(prev, '(') && isWord(tokens[k - 2], 'nextval', 'currval', 'setval');
      const asRegclass = next?.kind === 'operator' && next.text === '::' && isWord(tokens[k + 2], 'regclass');
      const name = asArgument || asRegclass ? regclassName(stringValue(t)) : null;
      if (name !== null && names.has(name)) {
        referenced.add(name);
        replace(t, quoteLiteral(`${qualifiedSchema}.${quoteIdentifier(name)}`));
      }
      continue;
    }
    if (!isName(t)) continue;
    // pg_temp.anything: the session's temp schema.
    if (isPunct(next, '.') && !isPunct(prev, '.') && asciiLower(identifierValue(t)) === 'pg_temp' && names.size > 0) {
      const target = tokens[k + 2];
      if (target && isName(target)) {
        const name = identifierValue(target);
        referenced.add(name);
        edit.keep(at, t.start);
        edit.replace(t.start, target.end, `${qualifiedSchema}.${quoteIdentifier(name)}`);
        at = target.end;
        k += 2;
      } else {
        replace(t, qualifiedSchema);
      }
      continue;
    }
    const name = identifierValue(t);
    if (!names.has(name) || isPunct(prev, '.') || isPunct(next, '.')) continue;
    if (!notRelationFrom.has(k - 1) && isRelationPosition(tokens, k, lists, parens.length, onIsRelation)) {
      referenced.add(name);
      replace(t, `${qualifiedSchema}.${quoteIdentifier(name)}`);
    }
  }
  edit.keep(at, sql.length);
  return { rewritten: edit.build(), referenced };
}

function isRelationPosition(tokens: Token[], k: number, lists: number[], depth: number, onIsRelation: boolean): boolean {
  const prev = tokens[k - 1];
  if (prev === undefined) return false;
  if (prev.kind === 'identifier') {
    if (prev.word === 'from') {
      const before = tokens[k - 2];
      return !isWord(before, 'distinct');
    }
    if (prev.word === 'exists') return isWord(tokens[k - 2], 'if'); // DROP TABLE IF EXISTS x
    if (prev.word === 'on') return onIsRelation;
    if (prev.word === 'using') return !isPunct(tokens[k + 1], '('); // JOIN ... USING (col) is not one
    // CREATE TABLE y (LIKE x ...), not `a LIKE x`
    if (prev.word === 'like') return isPunct(tokens[k - 2], '(') || isPunct(tokens[k - 2], ',');
    return RELATION_AFTER.has(prev.word);
  }
  if (isPunct(prev, '(') && isWord(tokens[k - 2], 'inherits')) return true;
  // A comma in a FROM list (or DROP/TRUNCATE list) at the list's own depth.
  return isPunct(prev, ',') && lists.length > 0 && lists[lists.length - 1] === depth;
}

/** The relation a regclass string names when it is one bare or pg_temp-qualified name, folded. */
function regclassName(text: string): string | null {
  const m = /^\s*(?:pg_temp\s*\.\s*)?(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))\s*$/i.exec(text);
  if (!m) return null;
  return m[1] !== undefined ? m[1].replace(/""/g, '"') : asciiLower(m[2]!);
}
