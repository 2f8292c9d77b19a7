// The SQL side of temp objects in Data API mode: CREATE TEMP redirected into the session's
// schema, and references to temp names rewritten only where they name a relation.
import { describe, expect, it } from 'vitest';
import { parseSelectIntoTemp, parseTempCreate, rewriteTempReferences } from '../../../src/dataapi/sql/temp-names.js';

const S = 'aurora_pg_proxy_session_x';
const q = (name: string) => `${S}.${name}`;

describe('parseTempCreate', () => {
  it('redirects CREATE TEMP TABLE/VIEW/SEQUENCE and pg_temp-qualified creates into the schema', () => {
    expect(parseTempCreate('CREATE TEMP TABLE t (a int)', S)).toMatchObject({ kind: 'table', name: 't', onCommit: 'preserve-rows' });
    expect(parseTempCreate('CREATE TEMP TABLE t (a int)', S)!.rewritten.sql).toBe(`CREATE TABLE ${q('t')} (a int)`);
    expect(parseTempCreate('create global temporary table if not exists "Mixed" (a int)', S)!.rewritten.sql).toBe(
      `create table if not exists ${S}."Mixed" (a int)`,
    );
    expect(parseTempCreate('CREATE OR REPLACE TEMP VIEW v AS SELECT 1', S)!.rewritten.sql).toBe(`CREATE OR REPLACE VIEW ${q('v')} AS SELECT 1`);
    expect(parseTempCreate('CREATE TEMPORARY SEQUENCE s START 5', S)).toMatchObject({ kind: 'sequence', name: 's' });
    expect(parseTempCreate('CREATE TABLE pg_temp.u (a int)', S)!.rewritten.sql).toBe(`CREATE TABLE ${q('u')} (a int)`);
  });

  it('takes ON COMMIT out of the statement and reports it', () => {
    const drop = parseTempCreate('CREATE TEMP TABLE t (a int) ON COMMIT DROP', S)!;
    expect(drop.onCommit).toBe('drop');
    expect(drop.rewritten.sql).toBe(`CREATE TABLE ${q("t")} (a int) `);
    const rows = parseTempCreate('CREATE TEMP TABLE t ON COMMIT DELETE ROWS AS SELECT 1 AS on_commit', S)!;
    expect(rows.onCommit).toBe('delete-rows');
    expect(rows.rewritten.sql).toBe(`CREATE TABLE ${q('t')}  AS SELECT 1 AS on_commit`);
  });

  it('leaves everything else alone', () => {
    expect(parseTempCreate('CREATE TABLE t (a int)', S)).toBeNull();
    expect(parseTempCreate('CREATE TABLE public.t (a int)', S)).toBeNull();
    expect(parseTempCreate('CREATE INDEX ON t (a)', S)).toBeNull();
    expect(parseTempCreate("SELECT 'CREATE TEMP TABLE x'", S)).toBeNull();
  });
});

describe('parseSelectIntoTemp', () => {
  it('redirects SELECT ... INTO TEMP into the schema, and nothing else', () => {
    expect(parseSelectIntoTemp('SELECT a INTO TEMP TABLE t FROM b', S)!.rewritten.sql).toBe(`SELECT a INTO ${q('t')} FROM b`);
    expect(parseSelectIntoTemp('select a into temporary t from b', S)).toMatchObject({ kind: 'table', name: 't' });
    expect(parseSelectIntoTemp('SELECT a INTO t FROM b', S)).toBeNull();
    expect(parseSelectIntoTemp('SELECT (SELECT 1) FROM b', S)).toBeNull();
  });
});

describe('rewriteTempReferences', () => {
  const names = new Set(['t', 'seq', 'Mixed']);
  const rewrite = (sql: string) => rewriteTempReferences(sql, names, S);

  it('qualifies temp names where they name a relation', () => {
    expect(rewrite('SELECT t.a, b.c FROM t JOIN b ON b.id = t.id, t AS again').rewritten.sql).toBe(
      `SELECT t.a, b.c FROM ${q('t')} JOIN b ON b.id = t.id, ${q('t')} AS again`,
    );
    expect(rewrite('INSERT INTO t VALUES (1)').rewritten.sql).toBe(`INSERT INTO ${q('t')} VALUES (1)`);
    expect(rewrite('UPDATE t SET a = 1').rewritten.sql).toBe(`UPDATE ${q('t')} SET a = 1`);
    expect(rewrite('DELETE FROM t USING b WHERE true').rewritten.sql).toBe(`DELETE FROM ${q('t')} USING b WHERE true`);
    expect(rewrite('DROP TABLE IF EXISTS b, t').rewritten.sql).toBe(`DROP TABLE IF EXISTS b, ${q('t')}`);
    expect(rewrite('SELECT * FROM "Mixed"').rewritten.sql).toBe(`SELECT * FROM ${S}."Mixed"`);
    expect(rewrite('SELECT * FROM (SELECT * FROM t) s').rewritten.sql).toBe(`SELECT * FROM (SELECT * FROM ${q('t')}) s`);
    expect(rewrite("SELECT nextval('seq'), 'seq'::regclass").rewritten.sql).toBe(`SELECT nextval('${q('seq')}'), '${q('seq')}'::regclass`);
    expect(rewrite('SELECT * FROM pg_temp.t').rewritten.sql).toBe(`SELECT * FROM ${q('t')}`);
    expect([...rewrite('SELECT * FROM pg_temp.t').referenced]).toEqual(['t']);
  });

  it('leaves columns, other schemas, strings and function arguments alone', () => {
    for (const sql of [
      'SELECT t FROM other',
      'SELECT * FROM public.t',
      "SELECT 't' FROM other",
      'SELECT extract(year FROM t) FROM other',
      'SELECT a IS DISTINCT FROM t FROM other',
      'SELECT * FROM a JOIN b USING (t)',
      'SELECT * FROM other WHERE t LIKE t',
      '-- FROM t\nSELECT 1',
    ]) {
      const r = rewrite(sql);
      expect(r.rewritten.sql, sql).toBe(sql);
      expect(r.referenced.size, sql).toBe(0);
    }
  });

  it('maps positions in the rewritten text back to the original', () => {
    const sql = 'SELECT * FROM t WHERE nope = 1';
    const r = rewrite(sql).rewritten;
    expect(r.originalOffset(r.sql.indexOf('nope'))).toBe(sql.indexOf('nope'));
  });
});
