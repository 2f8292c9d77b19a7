// The table a COPY FROM STDIN writes into, read from the catalogue once per COPY: its name as the
// statements must write it (a temp table qualified by the session's schema), the name PostgreSQL
// prints in CONTEXT lines, and the columns the data fills with the type each value is read as.
import { SqlState } from '../../protocol/sqlstate.js';
import { quoteLiteral, type ClassifiedStatement } from '../sql/index.js';
import type { RunnerContext } from './outcome.js';
import { StatementError } from './outcome.js';

type CopyStatement = Extract<ClassifiedStatement, { kind: 'copy' }>;

export interface CopyTargetColumn {
  name: string;
  /** format_type() with the typmod: the type (and length, precision...) the value is read as. */
  type: string;
  /**
   * json, jsonb or a domain over one: a JSON row carries the value as a JSON string, which
   * json_to_recordset would keep as a JSON string, so these are read as text and cast.
   */
  jsonLike: boolean;
  /** The built-in type whose binary format a value has in binary COPY (text for an enum, the base of a domain). */
  wireOid?: number;
}

export interface CopyTarget {
  /** The relation as the statements name it (qualified for a temp table of the session). */
  table: string;
  /** The relation's own name, as PostgreSQL's COPY CONTEXT lines print it. */
  relationName: string;
  columns: CopyTargetColumn[];
}

const JSON_TYPES = "('pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype)";

export async function loadCopyTarget(ctx: RunnerContext, statement: CopyStatement): Promise<CopyTarget> {
  if (statement.source.type !== 'table') throw new StatementError(SqlState.SYNTAX_ERROR, 'COPY FROM needs a table');
  // Hook (issue 9): a temp table's name qualified by the session's schema (session-objects.ts).
  const table = ctx.sessionObjects?.qualifyRelation(statement.source.table.text) ?? statement.source.table.text;
  const relationName = statement.source.table.parts.at(-1)!;
  const out = await ctx.tx.execute(
    {
      sql:
        'SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), ' +
        `(a.atttypid IN ${JSON_TYPES} OR t.typbasetype IN ${JSON_TYPES} OR b.typbasetype IN ${JSON_TYPES}), ` +
        "CASE t.typtype WHEN 'e' THEN 25 WHEN 'd' THEN CASE b.typtype WHEN 'e' THEN 25 WHEN 'd' THEN b.typbasetype::int8 ELSE t.typbasetype::int8 END ELSE a.atttypid::int8 END " +
        'FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid ' +
        'LEFT JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype ' +
        `WHERE a.attrelid = CAST(${quoteLiteral(table)} AS pg_catalog.regclass) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ` +
        'ORDER BY a.attnum',
    },
    ctx.onResuming,
  );
  const all = (out.records ?? []).map((r) => ({
    name: r[0]?.stringValue ?? '',
    type: r[1]?.stringValue ?? 'text',
    jsonLike: r[2]?.booleanValue === true,
    wireOid: Number(r[3]?.longValue ?? r[3]?.stringValue ?? 0),
  }));
  const wanted = statement.source.columns;
  if (!wanted) return { table, relationName, columns: all };
  const columns = wanted.map((name) => {
    const col = all.find((a) => a.name === name);
    if (!col) throw new StatementError(SqlState.UNDEFINED_COLUMN, `column "${name}" of relation "${relationName}" does not exist`);
    return col;
  });
  return { table, relationName, columns };
}

/**
 * Whether PostgreSQL's COPY would insert rows one at a time (CIM_SINGLE in copyfrom.c) rather
 * than in buffered batches: with BEFORE or INSTEAD OF row insert triggers, or a volatile default
 * (other than nextval) for a column the data leaves out. It decides the CONTEXT line of a unique
 * or exclusion violation: a batch flush no longer has the line's text. Read only when a row failed.
 */
export async function insertsOneRowAtATime(ctx: RunnerContext, target: CopyTarget): Promise<boolean> {
  const given = target.columns.map((c) => quoteLiteral(c.name)).join(', ');
  const out = await ctx.tx.execute(
    {
      sql:
        'SELECT EXISTS (SELECT FROM pg_catalog.pg_trigger g WHERE g.tgrelid = r.oid AND (g.tgtype & 5) = 5 AND (g.tgtype & 66) <> 0), ' +
        'EXISTS (SELECT FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum ' +
        `WHERE d.adrelid = r.oid AND a.attgenerated = ''${given ? ` AND a.attname NOT IN (${given})` : ''} AND EXISTS (` +
        'SELECT FROM pg_catalog.pg_proc p WHERE p.provolatile = \'v\' AND p.proname <> \'nextval\' AND pg_catalog.strpos(pg_catalog.pg_get_expr(d.adbin, d.adrelid), p.proname || \'(\') > 0)) ' +
        `FROM (SELECT CAST(${quoteLiteral(target.table)} AS pg_catalog.regclass) AS oid) r`,
    },
    ctx.onResuming,
  );
  const row = out.records?.[0];
  return row?.[0]?.booleanValue === true || row?.[1]?.booleanValue === true;
}
