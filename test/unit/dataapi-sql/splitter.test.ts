import { describe, expect, it } from 'vitest';
import { isEmptyQuery, splitStatements } from '../../../src/dataapi/sql/index.js';

const texts = (sql: string) => splitStatements(sql).map((s) => s.text);

describe('splitStatements', () => {
  it('splits at top-level semicolons and drops the separators', () => {
    expect(texts('select 1; select 2;')).toEqual(['select 1', 'select 2']);
    expect(texts('select 1')).toEqual(['select 1']);
  });

  it('ignores empty pieces', () => {
    expect(texts(';;select 1;;; ;select 2;;')).toEqual(['select 1', 'select 2']);
    expect(texts('select 1; -- trailing comment')).toEqual(['select 1']);
    expect(texts('select 1; /* c */ ; ')).toEqual(['select 1']);
  });

  it('reports an empty query for whitespace, comments and semicolons only', () => {
    for (const sql of ['', '   \n\t', ';', ';;', '-- hi', '/* a /* b */ */', ' ; -- x\n ; /* y */ ']) {
      expect(isEmptyQuery(sql)).toBe(true);
      expect(splitStatements(sql)).toEqual([]);
    }
    expect(isEmptyQuery('select')).toBe(false);
  });

  it('keeps each statement with its offset in the original string', () => {
    const sql = '  select 1 ;\n\n  /* lead */ select 2  ;select 3';
    const statements = splitStatements(sql);
    expect(statements.map((s) => ({ text: s.text, offset: s.offset }))).toEqual([
      { text: 'select 1', offset: 2 },
      { text: '/* lead */ select 2', offset: 16 },
      { text: 'select 3', offset: 38 },
    ]);
    for (const s of statements) expect(sql.slice(s.offset, s.offset + s.text.length)).toBe(s.text);
  });

  it('does not split inside strings, identifiers, dollar quotes or comments', () => {
    const sql = "select 'a;b', \"c;d\", $$e;f$$, $t$g;h$t$, E'\\';' /* ; */ -- ;\n; select 2";
    expect(texts(sql)).toEqual(["select 'a;b', \"c;d\", $$e;f$$, $t$g;h$t$, E'\\';' /* ; */ -- ;", 'select 2']);
  });

  it('does not split inside parentheses (the server rejects that text whole)', () => {
    expect(texts('select (1; 2); select 3')).toEqual(['select (1; 2)', 'select 3']);
    expect(texts('select 1); select 2')).toEqual(['select 1)', 'select 2']);
  });

  it('keeps a BEGIN ATOMIC routine body together, CASE … END included', () => {
    const fn =
      'CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; SELECT 3 AS end; END';
    expect(texts(`${fn}; SELECT f(1);`)).toEqual([fn, 'SELECT f(1)']);
    const proc = 'create or replace procedure p() begin atomic insert into t values (1); end';
    expect(texts(`${proc};select 1`)).toEqual([proc, 'select 1']);
  });

  it('treats a leading BEGIN as a transaction start, not a routine body', () => {
    expect(texts('begin; select 1; commit')).toEqual(['begin', 'select 1', 'commit']);
    expect(texts('BEGIN ATOMIC; select 1')).toEqual(['BEGIN ATOMIC', 'select 1']);
  });

  it('keeps an unterminated quote or comment as one last, incomplete statement', () => {
    for (const tail of ["select 'a; b", 'select "x; y', 'select $$ ; ', 'select /* ; ']) {
      const statements = splitStatements(`select 1; ${tail}`);
      expect(statements.map((s) => s.text)).toEqual(['select 1', tail]);
      expect(statements.map((s) => s.incomplete)).toEqual([false, true]);
    }
    // An unterminated comment alone is still a statement: PostgreSQL reports an error for it.
    expect(splitStatements('select 1; /* open')).toHaveLength(2);
  });
});
