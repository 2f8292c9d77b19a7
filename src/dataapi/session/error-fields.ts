// Completes a database error with the schema, table, column, data type and constraint fields
// PostgreSQL would have sent (error-names.ts reads what the message names). What the message
// leaves out - the schema, and for unique and exclusion violations the table - is asked of the
// catalogue in a call of its own, outside the client's (by then failed) transaction, and cached.
// When a name exists in several schemas the choice follows PostgreSQL: the table the statement
// names (schema-qualified if it is), else the first schema in the session's search_path.
import type { NoticeFields } from '../../protocol/messages.js';
import { identifierValue, isTrivia, quoteLiteral, tokenize } from '../sql/index.js';
import { namesInError, type CatalogueQuestion } from '../client/error-names.js';
import type { RunnerContext } from './outcome.js';

interface Candidate {
  schema: string;
  name: string;
}

/** Catalogue answers by database and question; they change only with DDL, so they live a minute. */
const cache = new Map<string, { at: number; candidates: Candidate[] }>();
const CACHE_TTL_MS = 60_000;
const CACHE_LIMIT = 1000;

/** Adds the name fields to an error's fields (in place); never fails: a lookup that fails adds less. */
export async function completeErrorFields(ctx: RunnerContext, fields: NoticeFields, statementText: string | null): Promise<void> {
  if (fields.schema !== undefined || fields.table !== undefined || fields.constraint !== undefined) return;
  const names = namesInError(fields.code, fields.message);
  if (!names) return;
  Object.assign(fields, names.fields);
  let question = names.question;
  if (!question) return;
  if (question.kind === 'column-table') {
    const tables = [...referencedNames(statementText ?? '').bare];
    if (tables.length === 0) return;
    question = { ...question, tables: tables.slice(0, 50) };
  }
  let candidates: Candidate[];
  try {
    candidates = await lookUp(ctx, question);
    // The constraint or column the failing statement was adding is not in the catalogue.
    const looser = loosened(question);
    if (candidates.length === 0 && looser) candidates = await lookUp(ctx, looser);
  } catch {
    return;
  }
  const pick = choose(candidates, statementText, searchPath(ctx));
  if (!pick) return;
  fields.schema = pick.schema;
  if (question.kind === 'index-table' || question.kind === 'column-table') fields.table = pick.name;
}

async function lookUp(ctx: RunnerContext, question: CatalogueQuestion): Promise<Candidate[]> {
  const key = `${ctx.tx.catalogueKey}\u0000${JSON.stringify(question)}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && now - hit.at < CACHE_TTL_MS) return hit.candidates;
  const out = await ctx.tx.executeAlone({ sql: catalogueQuery(question) }, ctx.onResuming);
  const candidates = (out.records ?? []).map((r) => ({ schema: r[0]?.stringValue ?? '', name: r[1]?.stringValue ?? '' }));
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, { at: now, candidates });
  return candidates;
}

function loosened(q: CatalogueQuestion): CatalogueQuestion | null {
  if (q.kind === 'constraint-table' || (q.kind === 'table' && q.column !== undefined)) return { kind: 'table', table: q.table };
  return null;
}

/** One query per question, returning (schema, name) pairs. */
export function catalogueQuery(q: CatalogueQuestion): string {
  const relation = 'pg_catalog.pg_class t JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace';
  switch (q.kind) {
    case 'index-table':
      // A unique or exclusion constraint's index has the constraint's name; a unique index
      // without a constraint is reported under its own name.
      return `SELECT n.nspname::text, t.relname::text FROM pg_catalog.pg_class i JOIN pg_catalog.pg_index x ON x.indexrelid = i.oid JOIN ${relation} ON t.oid = x.indrelid WHERE i.relname = ${quoteLiteral(q.index)}`;
    case 'constraint-table':
      return `SELECT n.nspname::text, t.relname::text FROM pg_catalog.pg_constraint c JOIN ${relation} ON t.oid = c.conrelid WHERE c.conname = ${quoteLiteral(q.constraint)} AND t.relname = ${quoteLiteral(q.table)}`;
    case 'table': {
      const column = q.column === undefined ? '' : ` AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.oid AND a.attname = ${quoteLiteral(q.column)} AND NOT a.attisdropped)`;
      return `SELECT n.nspname::text, t.relname::text FROM ${relation} WHERE t.relname = ${quoteLiteral(q.table)} AND t.relkind IN ('r', 'p', 'f', 'v', 'm')${column}`;
    }
    case 'column-table':
      return `SELECT n.nspname::text, t.relname::text FROM ${relation} JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid WHERE a.attname = ${quoteLiteral(q.column)} AND NOT a.attisdropped AND t.relkind IN ('r', 'p', 'f') AND t.relname IN (${q.tables.map(quoteLiteral).join(', ')})`;
    case 'domain':
      return `SELECT n.nspname::text, t.typname::text FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.typname = ${quoteLiteral(q.name)} AND t.typtype = 'd'`;
  }
}

/**
 * The candidate PostgreSQL would have meant: one the statement names with its schema, then one
 * whose name the statement uses, then the earliest in search_path. Null when that leaves a tie.
 */
export function choose(candidates: Candidate[], statementText: string | null, path: string[]): Candidate | null {
  if (candidates.length <= 1) return candidates[0] ?? null;
  const refs = referencedNames(statementText ?? '');
  const score = (c: Candidate): number[] => {
    const inPath = path.indexOf(c.schema);
    return [refs.qualified.has(`${c.schema}\u0000${c.name}`) ? 0 : 1, refs.bare.has(c.name) ? 0 : 1, inPath < 0 ? path.length : inPath];
  };
  const ranked = candidates.map((c) => ({ c, s: score(c) })).sort((a, b) => compare(a.s, b.s));
  return compare(ranked[0]!.s, ranked[1]!.s) === 0 ? null : ranked[0]!.c;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Identifiers a statement uses, alone and as `schema.name`. */
function referencedNames(sql: string): { qualified: Set<string>; bare: Set<string> } {
  const tokens = tokenize(sql).filter((t) => !isTrivia(t));
  const qualified = new Set<string>();
  const bare = new Set<string>();
  const isName = (i: number) => tokens[i]?.kind === 'identifier' || tokens[i]?.kind === 'quoted-identifier';
  for (let i = 0; i < tokens.length; i++) {
    if (!isName(i)) continue;
    const name = identifierValue(tokens[i]!);
    bare.add(name);
    const dot = tokens[i + 1];
    if (dot?.kind === 'punctuation' && dot.text === '.' && isName(i + 2)) qualified.add(`${name}\u0000${identifierValue(tokens[i + 2]!)}`);
  }
  return { qualified, bare };
}

/** The session's search_path as schema names ("$user" resolved to the session's user). */
function searchPath(ctx: RunnerContext): string[] {
  const user = ctx.settings.clientValue('session_authorization') ?? '';
  const raw = ctx.settings.serverValue('search_path') ?? '"$user", public';
  return splitPath(raw).map((s) => (s === '$user' ? user : s));
}

/** SplitIdentifierString(): comma-separated, unquoted names folded to lower case. */
export function splitPath(value: string): string[] {
  const out: string[] = [];
  const text = value.trim().replace(/^'(.*)'$/s, '$1');
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,\s]+))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase());
  }
  return out;
}
