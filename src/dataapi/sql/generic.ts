// Statements the proxy passes through: what they are, whether they return rows, and the command
// tag PostgreSQL 15 sends for them (tcop/cmdtaglist.h, utility.c's CreateCommandTag).

import type { Token } from './lexer.js';
import type { GenericStatement } from './statement-types.js';

type Generic = Omit<GenericStatement, 'kind'>;

const SELECT_LIKE = new Set(['select', 'values', 'table']);
const DML = new Set(['insert', 'update', 'delete', 'merge']);
const MAIN_VERBS = new Set([...SELECT_LIKE, ...DML]);

/** Object kinds after CREATE / ALTER / DROP, longest phrases first; the tag spells the kind. */
const OBJECT_KINDS: Array<[string[], string]> = [
  [['foreign', 'data', 'wrapper'], 'FOREIGN DATA WRAPPER'],
  [['text', 'search', 'configuration'], 'TEXT SEARCH CONFIGURATION'],
  [['text', 'search', 'dictionary'], 'TEXT SEARCH DICTIONARY'],
  [['text', 'search', 'parser'], 'TEXT SEARCH PARSER'],
  [['text', 'search', 'template'], 'TEXT SEARCH TEMPLATE'],
  [['materialized', 'view'], 'MATERIALIZED VIEW'],
  [['foreign', 'table'], 'FOREIGN TABLE'],
  [['event', 'trigger'], 'EVENT TRIGGER'],
  [['user', 'mapping'], 'USER MAPPING'],
  [['operator', 'class'], 'OPERATOR CLASS'],
  [['operator', 'family'], 'OPERATOR FAMILY'],
  [['access', 'method'], 'ACCESS METHOD'],
  [['large', 'object'], 'LARGE OBJECT'],
  [['default', 'privileges'], 'DEFAULT PRIVILEGES'],
  [['table'], 'TABLE'],
  [['index'], 'INDEX'],
  [['view'], 'VIEW'],
  [['sequence'], 'SEQUENCE'],
  [['schema'], 'SCHEMA'],
  [['function'], 'FUNCTION'],
  [['procedure'], 'PROCEDURE'],
  [['routine'], 'ROUTINE'],
  [['aggregate'], 'AGGREGATE'],
  [['trigger'], 'TRIGGER'],
  [['rule'], 'RULE'],
  [['type'], 'TYPE'],
  [['domain'], 'DOMAIN'],
  [['extension'], 'EXTENSION'],
  [['role'], 'ROLE'],
  [['user'], 'ROLE'],
  [['group'], 'ROLE'],
  [['database'], 'DATABASE'],
  [['tablespace'], 'TABLESPACE'],
  [['policy'], 'POLICY'],
  [['publication'], 'PUBLICATION'],
  [['subscription'], 'SUBSCRIPTION'],
  [['server'], 'SERVER'],
  [['collation'], 'COLLATION'],
  [['conversion'], 'CONVERSION'],
  [['cast'], 'CAST'],
  [['operator'], 'OPERATOR'],
  [['language'], 'LANGUAGE'],
  [['statistics'], 'STATISTICS'],
  [['transform'], 'TRANSFORM'],
  [['system'], 'SYSTEM'],
  [['owned'], 'OWNED'],
];

/** Words between CREATE (or ALTER/DROP) and the object kind that do not change the tag. */
const CREATE_MODIFIERS = new Set(['temp', 'temporary', 'local', 'global', 'unlogged', 'unique', 'recursive', 'trusted', 'procedural', 'constraint']);

const SIMPLE_VERBS: Record<string, string> = {
  do: 'DO',
  truncate: 'TRUNCATE TABLE',
  vacuum: 'VACUUM',
  analyze: 'ANALYZE',
  analyse: 'ANALYZE',
  cluster: 'CLUSTER',
  reindex: 'REINDEX',
  checkpoint: 'CHECKPOINT',
  load: 'LOAD',
  lock: 'LOCK TABLE',
  comment: 'COMMENT',
};

function plain(tag: string): Generic {
  return { verb: tag, tag, tagHasRowCount: false, returnsRows: false, recognised: true };
}

/**
 * Classifies a statement the proxy runs as it is. `tokens` are the statement's significant
 * tokens (no whitespace or comments).
 */
export function classifyGeneric(tokens: readonly Token[]): Generic {
  const words = tokens.map((t) => (t.kind === 'identifier' ? t.word : null));
  const depths = tokenDepths(tokens);
  let i = 0;
  while (tokens[i]?.kind === 'punctuation' && tokens[i]!.text === '(') i++;
  const first = words[i];

  if (first === 'with' || SELECT_LIKE.has(first ?? '') || (i > 0 && first !== null)) {
    const main = first === 'with' ? skipWithClause(tokens, words, i + 1) : i;
    return classifyMain(words, depths, main);
  }
  if (first === null) return { verb: '', tag: '', tagHasRowCount: false, returnsRows: false, recognised: false };
  if (DML.has(first)) return classifyMain(words, depths, i);

  const rest = words.slice(i + 1);
  switch (first) {
    case 'explain':
      return { ...plain('EXPLAIN'), returnsRows: true };
    case 'call':
      return { ...plain('CALL'), returnsRows: 'depends' };
    case 'create':
      return classifyCreate(words, depths, i + 1);
    case 'alter':
    case 'drop': {
      let k = i + 1;
      if (words[k] === 'procedural') k++;
      const kind = objectKindAt(words, k);
      const verb = first.toUpperCase();
      return kind ? plain(`${verb} ${kind.tag}`) : unrecognised(`${verb}`);
    }
    case 'grant':
    case 'revoke': {
      const target = first === 'grant' ? 'to' : 'from';
      const on = words.findIndex((w, k) => k > i && w === 'on' && depths[k] === depths[i]);
      const end = words.findIndex((w, k) => k > i && w === target && depths[k] === depths[i]);
      const onObjects = on >= 0 && (end < 0 || on < end);
      return plain(onObjects ? first.toUpperCase() : `${first.toUpperCase()} ROLE`);
    }
    case 'refresh':
      return rest[0] === 'materialized' && rest[1] === 'view' ? plain('REFRESH MATERIALIZED VIEW') : unrecognised('REFRESH');
    case 'import':
      return plain('IMPORT FOREIGN SCHEMA');
    case 'reassign':
      return plain('REASSIGN OWNED');
    case 'security':
      return plain('SECURITY LABEL');
    default: {
      const tag = SIMPLE_VERBS[first];
      return tag ? plain(tag) : unrecognised(first.toUpperCase());
    }
  }
}

function unrecognised(verb: string): Generic {
  return { verb, tag: verb, tagHasRowCount: false, returnsRows: false, recognised: false };
}

/** Parenthesis depth of each token (a `(` has the depth outside it). */
function tokenDepths(tokens: readonly Token[]): number[] {
  const depths: number[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punctuation' && (t.text === ')' || t.text === ']')) depth = Math.max(0, depth - 1);
    depths.push(depth);
    if (t.kind === 'punctuation' && (t.text === '(' || t.text === '[')) depth++;
  }
  return depths;
}

/** Index just past `WITH [RECURSIVE] cte, …`: where the main statement starts. */
function skipWithClause(tokens: readonly Token[], words: readonly (string | null)[], start: number): number {
  let i = start;
  const skipGroup = (): void => {
    let depth = 0;
    for (; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind !== 'punctuation') continue;
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) {
        i++;
        return;
      }
    }
  };
  const isOpen = (): boolean => tokens[i]?.kind === 'punctuation' && tokens[i]!.text === '(';
  if (words[i] === 'recursive') i++;
  while (i < tokens.length) {
    i++; // the CTE's name
    if (isOpen()) skipGroup(); // column names
    if (words[i] === 'as') i++;
    if (words[i] === 'not') i++;
    if (words[i] === 'materialized') i++;
    if (isOpen()) skipGroup(); // the CTE's query
    // SEARCH … SET col and CYCLE … USING col clauses contain commas of their own.
    if (words[i] === 'search') {
      while (i < tokens.length && words[i] !== 'set') i++;
      i += 2;
    }
    if (words[i] === 'cycle') {
      while (i < tokens.length && words[i] !== 'using') i++;
      i += 2;
    }
    if (tokens[i]?.kind === 'punctuation' && tokens[i]!.text === ',') {
      i++;
      continue;
    }
    break;
  }
  while (isOpen()) i++;
  return i;
}

/** SELECT / VALUES / TABLE / INSERT / UPDATE / DELETE / MERGE whose verb is at `at`. */
function classifyMain(words: readonly (string | null)[], depths: readonly number[], at: number): Generic {
  const verb = words[at] ?? 'select';
  const sameLevel = (w: string): boolean => words.some((x, k) => k > at && x === w && depths[k] === depths[at]);
  if (!MAIN_VERBS.has(verb)) {
    // A WITH we could not follow: PostgreSQL allows only the main verbs after it.
    return { verb: 'SELECT', tag: 'SELECT', tagHasRowCount: true, returnsRows: true, recognised: false };
  }
  if (SELECT_LIKE.has(verb)) {
    if (verb === 'select' && sameLevel('into')) {
      return { verb: 'SELECT INTO', tag: 'SELECT', tagHasRowCount: true, returnsRows: false, recognised: true };
    }
    return { verb: verb.toUpperCase(), tag: 'SELECT', tagHasRowCount: true, returnsRows: true, recognised: true };
  }
  const upper = verb.toUpperCase();
  return { verb: upper, tag: upper, tagHasRowCount: true, returnsRows: sameLevel('returning'), recognised: true };
}

function objectKindAt(words: readonly (string | null)[], at: number): { tag: string; length: number } | null {
  for (const [phrase, tag] of OBJECT_KINDS) {
    if (phrase.every((w, k) => words[at + k] === w)) return { tag, length: phrase.length };
  }
  return null;
}

function classifyCreate(words: readonly (string | null)[], depths: readonly number[], start: number): Generic {
  let k = start;
  if (words[k] === 'or' && words[k + 1] === 'replace') k += 2;
  while (CREATE_MODIFIERS.has(words[k] ?? '') || (words[k] === 'default' && words[k + 1] === 'conversion')) k++;
  const kind = objectKindAt(words, k);
  if (!kind) return unrecognised('CREATE');
  const after = k + kind.length;
  const withNoData = words.length >= 3 && words[words.length - 3] === 'with' && words[words.length - 2] === 'no' && words[words.length - 1] === 'data';
  const hasAs = words.some((w, j) => j > after && w === 'as' && depths[j] === 0);

  if (kind.tag === 'TABLE' && hasAs) {
    // CREATE TABLE … AS reports the rows it stored, unless WITH NO DATA.
    return withNoData
      ? { ...plain('CREATE TABLE AS'), verb: 'CREATE TABLE AS' }
      : { verb: 'CREATE TABLE AS', tag: 'SELECT', tagHasRowCount: true, returnsRows: false, recognised: true };
  }
  if (kind.tag === 'MATERIALIZED VIEW' && !withNoData) {
    return { verb: 'CREATE MATERIALIZED VIEW', tag: 'SELECT', tagHasRowCount: true, returnsRows: false, recognised: true };
  }
  return plain(`CREATE ${kind.tag}`);
}
