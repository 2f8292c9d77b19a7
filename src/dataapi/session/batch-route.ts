// How the pipelined rounds of one single-row INSERT (pgJDBC executeBatch, psycopg executemany)
// run so that the client sees exactly what PostgreSQL would answer N statements with:
//  - set-based: one INSERT ... SELECT over the rows' JSON (set-based-batch.ts), when nothing can
//    tell one multi-row statement from N single-row ones;
//  - batch: BatchExecuteStatement, one INSERT per parameter set on the server (the answers are
//    known in advance: each round writes exactly one row), when a row's statement may behave
//    differently inside a multi-row one: statement-level or AFTER ROW triggers (they fire once
//    per statement / see the table at statement end), a foreign key to the table itself (checked
//    at statement end, so a row could refer to a later one), row security, defaults or checks
//    calling the user's functions, a subquery, DEFAULT, or a function that is not a plain
//    pg_catalog one (an aggregate or a set-returning function changes the row count);
//  - per-statement: ExecuteStatement per round, when a round may write no row or other rows
//    than its own (BEFORE ROW triggers can skip it, INSTEAD OF triggers, rules, views, foreign
//    tables): only each statement's own answer gives the true count.
// The catalog is read once per statement and parameter types, and the answer is kept for a while
// (DDL or a rollback in the session forgets it; another session's DDL is seen after the TTL).
import { quoteLiteral } from '../sql/index.js';
import type { SingleRowInsert } from '../sql/set-based-insert.js';
import type { RunnerContext } from './outcome.js';
import type { ParameterColumn } from './set-based-insert-sql.js';

export type BatchRoute =
  | { kind: 'set-based'; parameters: ParameterColumn[] }
  | { kind: 'batch'; reason: string }
  | { kind: 'per-statement'; reason: string };

/** Another session may change the table: its triggers and rules are read again after this long. */
const ROUTE_TTL_MS = 30_000;
const MAX_ROUTES = 500;

export class BatchRoutes {
  private readonly entries = new Map<string, { at: number; route: BatchRoute }>();

  constructor(private readonly ttlMs = ROUTE_TTL_MS) {}

  get(key: string): BatchRoute | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (Date.now() - hit.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.route;
  }

  set(key: string, route: BatchRoute): void {
    this.entries.delete(key);
    this.entries.set(key, { at: Date.now(), route });
    if (this.entries.size > MAX_ROUTES) this.entries.delete(this.entries.keys().next().value!);
  }

  /** DDL, or a rollback that may have undone some, ran in the session. */
  invalidate(): void {
    this.entries.clear();
  }
}

const JSON_TYPES = "('pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype)";
const TREE = 'ANY (p.tree)';

/**
 * Reads the table's triggers, rules and constraints (and the parameters' type names) in one
 * call. `paramTypes` are the statement's parameter types, all known (none 0). Null when the
 * table is not found (the statement itself then fails as PostgreSQL says).
 */
export async function readBatchRoute(ctx: RunnerContext, insert: SingleRowInsert, paramTypes: readonly number[]): Promise<BatchRoute | null> {
  const names = insert.functions.length > 0 ? `ARRAY[${insert.functions.map(quoteLiteral).join(', ')}]` : "CAST('{}' AS pg_catalog.name[])";
  const oids = `CAST('{${paramTypes.join(',')}}' AS pg_catalog.oid[])`;
  const userFunction = "f.pronamespace <> CAST('pg_catalog' AS pg_catalog.regnamespace)";
  const sql =
    'SELECT c.relkind::text, ' +
    "EXISTS (SELECT FROM pg_catalog.pg_rewrite w WHERE w.ev_class = c.oid AND w.ev_type = '3'), " +
    // BEFORE ROW (type bits ROW 1 | BEFORE 2) or INSTEAD OF (64) insert (4) triggers.
    `EXISTS (SELECT FROM pg_catalog.pg_trigger g WHERE g.tgrelid = ${TREE} AND NOT g.tgisinternal AND (g.tgtype & 4) <> 0 AND ((g.tgtype & 3) = 3 OR (g.tgtype & 64) <> 0)), ` +
    `EXISTS (SELECT FROM pg_catalog.pg_trigger g WHERE g.tgrelid = ${TREE} AND NOT g.tgisinternal AND (g.tgtype & 4) <> 0), ` +
    `EXISTS (SELECT FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' AND k.conrelid = ${TREE} AND k.confrelid = ${TREE}), ` +
    'c.relrowsecurity, ' +
    `EXISTS (SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc f ON f.oid = d.refobjid WHERE d.refclassid = CAST('pg_catalog.pg_proc' AS pg_catalog.regclass) AND ${userFunction} AND (` +
    `(d.classid = CAST('pg_catalog.pg_attrdef' AS pg_catalog.regclass) AND d.objid IN (SELECT a.oid FROM pg_catalog.pg_attrdef a WHERE a.adrelid = ${TREE})) OR ` +
    `(d.classid = CAST('pg_catalog.pg_constraint' AS pg_catalog.regclass) AND d.objid IN (SELECT k.oid FROM pg_catalog.pg_constraint k WHERE k.conrelid = ${TREE})))), ` +
    `EXISTS (SELECT FROM pg_catalog.pg_proc f WHERE f.proname = ANY (${names}) AND (${userFunction} OR f.proretset OR f.prokind <> 'f')), ` +
    // Per parameter: its type's name (no typmod, as a parameter has none) and whether it is json-like.
    `(SELECT pg_catalog.json_agg(pg_catalog.json_build_array(pg_catalog.format_type(t.oid, NULL), ` +
    `t.oid IN ${JSON_TYPES} OR t.typbasetype IN ${JSON_TYPES}) ORDER BY o.n) ` +
    `FROM pg_catalog.unnest(${oids}) WITH ORDINALITY AS o(oid, n) JOIN pg_catalog.pg_type t ON t.oid = o.oid) ` +
    'FROM pg_catalog.pg_class c, LATERAL (SELECT ARRAY(SELECT x.relid FROM pg_catalog.pg_partition_tree(c.oid) x) || c.oid AS tree) p ' +
    `WHERE c.oid = pg_catalog.to_regclass(${quoteLiteral(insert.table)})`;
  const out = await ctx.tx.execute({ sql }, ctx.onResuming);
  const row = out.records?.[0];
  if (!row) return null;
  const flag = (i: number) => row[i]?.booleanValue === true;
  const relkind = row[0]?.stringValue ?? '';
  if (relkind !== 'r' && relkind !== 'p') return { kind: 'per-statement', reason: 'not a table (a view or foreign table)' };
  if (flag(1)) return { kind: 'per-statement', reason: 'INSERT rules' };
  if (flag(2)) return { kind: 'per-statement', reason: 'BEFORE ROW or INSTEAD OF insert triggers' };
  if (insert.blocker) return { kind: 'batch', reason: insert.blocker };
  if (flag(3)) return { kind: 'batch', reason: 'statement-level or AFTER ROW insert triggers' };
  if (flag(4)) return { kind: 'batch', reason: 'a foreign key to the table itself' };
  if (flag(5)) return { kind: 'batch', reason: 'row level security' };
  if (flag(6)) return { kind: 'batch', reason: "defaults or checks calling the user's functions" };
  if (flag(7)) return { kind: 'batch', reason: "an aggregate, set-returning or the user's function in the VALUES row" };
  const types = JSON.parse(row[8]?.stringValue ?? '[]') as [string, boolean][];
  if (types.length !== paramTypes.length) return { kind: 'batch', reason: 'a parameter type not in the catalog' };
  const parameters = types.map(([name, jsonLike]) => (jsonLike ? { definition: 'pg_catalog.text', castTo: name } : { definition: name }));
  return { kind: 'set-based', parameters };
}
