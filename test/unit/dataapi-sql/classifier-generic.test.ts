import { describe, expect, it } from 'vitest';
import { classifyStatement, commandTag } from '../../../src/dataapi/sql/index.js';

function info(sql: string, rows = 0) {
  const c = classifyStatement(sql);
  if (c.kind !== 'generic') throw new Error(`${sql} classified as ${JSON.stringify(c)}`);
  return { verb: c.verb, rows: c.returnsRows, tag: commandTag(c, rows) };
}

describe('row-returning and DML statements', () => {
  it('classifies queries', () => {
    expect(info('SELECT 1', 1)).toEqual({ verb: 'SELECT', rows: true, tag: 'SELECT 1' });
    expect(info('values (1), (2)', 2)).toEqual({ verb: 'VALUES', rows: true, tag: 'SELECT 2' });
    expect(info('TABLE t', 5)).toEqual({ verb: 'TABLE', rows: true, tag: 'SELECT 5' });
    expect(info('((SELECT 1)) UNION (SELECT 2)', 2)).toMatchObject({ verb: 'SELECT', tag: 'SELECT 2' });
    expect(info('/* c */ -- d\n select 1')).toMatchObject({ verb: 'SELECT' });
  });

  it('resolves WITH to the main verb', () => {
    expect(info('WITH x AS (SELECT 1) SELECT * FROM x', 1)).toEqual({ verb: 'SELECT', rows: true, tag: 'SELECT 1' });
    expect(info('WITH RECURSIVE r (n) AS NOT MATERIALIZED (SELECT 1), s AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM s', 4)).toEqual({
      verb: 'INSERT',
      rows: false,
      tag: 'INSERT 0 4',
    });
    expect(info('WITH x AS (SELECT 1) UPDATE t SET a = 1 RETURNING a', 2)).toEqual({ verb: 'UPDATE', rows: true, tag: 'UPDATE 2' });
    expect(info('WITH x AS (UPDATE t SET a = 1 RETURNING a) SELECT * FROM x', 2)).toMatchObject({ verb: 'SELECT', rows: true });
    expect(
      info('WITH RECURSIVE r(n) AS (SELECT 1) SEARCH DEPTH FIRST BY n, n SET ord CYCLE n, n SET c USING p, q AS (SELECT 2) DELETE FROM t'),
    ).toMatchObject({ verb: 'DELETE', rows: false });
    expect(info('WITH x AS (SELECT 1) (SELECT * FROM x)')).toMatchObject({ verb: 'SELECT', rows: true });
  });

  it('detects RETURNING only at the statement’s own level', () => {
    expect(info('INSERT INTO t VALUES (1)', 1)).toEqual({ verb: 'INSERT', rows: false, tag: 'INSERT 0 1' });
    expect(info('insert into t values (1) returning id', 1)).toEqual({ verb: 'INSERT', rows: true, tag: 'INSERT 0 1' });
    expect(info('UPDATE t SET a = (SELECT 1) WHERE b IN (SELECT b FROM u)', 3)).toEqual({ verb: 'UPDATE', rows: false, tag: 'UPDATE 3' });
    expect(info('DELETE FROM t RETURNING *', 2)).toEqual({ verb: 'DELETE', rows: true, tag: 'DELETE 2' });
    expect(info('MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', 1)).toEqual({ verb: 'MERGE', rows: false, tag: 'MERGE 1' });
    expect(info("SELECT 'returning', \"returning\" FROM t")).toMatchObject({ verb: 'SELECT', rows: true });
  });

  it('treats SELECT … INTO as a table-creating statement', () => {
    expect(info('SELECT * INTO new_t FROM t', 3)).toEqual({ verb: 'SELECT INTO', rows: false, tag: 'SELECT 3' });
    expect(info('WITH x AS (SELECT 1) SELECT * INTO TEMP y FROM x', 1)).toMatchObject({ verb: 'SELECT INTO', rows: false });
    expect(info('SELECT (SELECT 1 FROM t), 1 AS "into"')).toMatchObject({ verb: 'SELECT', rows: true });
  });

  it('marks EXPLAIN and SHOW as row-returning and CALL as depending on the procedure', () => {
    expect(info('EXPLAIN ANALYZE SELECT 1')).toEqual({ verb: 'EXPLAIN', rows: true, tag: 'EXPLAIN' });
    expect(info('CALL p(1)')).toEqual({ verb: 'CALL', rows: 'depends', tag: 'CALL' });
    expect(classifyStatement('SHOW search_path').returnsRows).toBe(true);
  });
});

describe('utility statements', () => {
  const tags: Array<[string, string]> = [
    ['CREATE TABLE t (a int)', 'CREATE TABLE'],
    ['create temporary table t (a int)', 'CREATE TABLE'],
    ['CREATE GLOBAL TEMP TABLE t (a int)', 'CREATE TABLE'],
    ['CREATE TABLE t (a int GENERATED ALWAYS AS (1) STORED)', 'CREATE TABLE'],
    ['CREATE TABLE t PARTITION OF p FOR VALUES IN (1)', 'CREATE TABLE'],
    ['CREATE TABLE t AS SELECT 1 WITH NO DATA', 'CREATE TABLE AS'],
    ['CREATE MATERIALIZED VIEW v AS SELECT 1 WITH NO DATA', 'CREATE MATERIALIZED VIEW'],
    ['CREATE FOREIGN TABLE ft (a int) SERVER s', 'CREATE FOREIGN TABLE'],
    ['CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)', 'CREATE INDEX'],
    ['CREATE OR REPLACE TEMP RECURSIVE VIEW v (n) AS SELECT 1', 'CREATE VIEW'],
    ['CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql', 'CREATE FUNCTION'],
    ['CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END', 'CREATE PROCEDURE'],
    ['CREATE CONSTRAINT TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()', 'CREATE TRIGGER'],
    ['CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION f()', 'CREATE EVENT TRIGGER'],
    ['CREATE USER u', 'CREATE ROLE'],
    ['CREATE GROUP g', 'CREATE ROLE'],
    ['CREATE USER MAPPING FOR u SERVER s', 'CREATE USER MAPPING'],
    ['CREATE SCHEMA s CREATE TABLE x (a int)', 'CREATE SCHEMA'],
    ['CREATE EXTENSION IF NOT EXISTS pgcrypto', 'CREATE EXTENSION'],
    ['CREATE UNLOGGED SEQUENCE s', 'CREATE SEQUENCE'],
    ['CREATE TYPE t AS (a int)', 'CREATE TYPE'],
    ['CREATE DATABASE d', 'CREATE DATABASE'],
    ['CREATE DEFAULT CONVERSION c FOR \'LATIN1\' TO \'UTF8\' FROM f', 'CREATE CONVERSION'],
    ['CREATE OR REPLACE TRUSTED PROCEDURAL LANGUAGE l', 'CREATE LANGUAGE'],
    ['CREATE TEXT SEARCH DICTIONARY d (TEMPLATE = simple)', 'CREATE TEXT SEARCH DICTIONARY'],
    ['CREATE OPERATOR CLASS c FOR TYPE int USING btree AS OPERATOR 1 <', 'CREATE OPERATOR CLASS'],
    ['CREATE ACCESS METHOD m TYPE TABLE HANDLER h', 'CREATE ACCESS METHOD'],
    ['ALTER TABLE t ADD COLUMN b int', 'ALTER TABLE'],
    ['ALTER TABLE IF EXISTS t RENAME TO u', 'ALTER TABLE'],
    ['ALTER USER u WITH PASSWORD NULL', 'ALTER ROLE'],
    ['ALTER MATERIALIZED VIEW v RENAME TO w', 'ALTER MATERIALIZED VIEW'],
    ['ALTER SEQUENCE s RESTART', 'ALTER SEQUENCE'],
    ['ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC', 'ALTER DEFAULT PRIVILEGES'],
    ['ALTER SYSTEM SET work_mem = 1', 'ALTER SYSTEM'],
    ['ALTER LARGE OBJECT 1 OWNER TO u', 'ALTER LARGE OBJECT'],
    ['DROP TABLE IF EXISTS a, b CASCADE', 'DROP TABLE'],
    ['DROP INDEX CONCURRENTLY i', 'DROP INDEX'],
    ['DROP PROCEDURAL LANGUAGE l', 'DROP LANGUAGE'],
    ['DROP USER u', 'DROP ROLE'],
    ['DROP OWNED BY u', 'DROP OWNED'],
    ['DROP TEXT SEARCH PARSER p', 'DROP TEXT SEARCH PARSER'],
    ['TRUNCATE t', 'TRUNCATE TABLE'],
    ['VACUUM (VERBOSE) t', 'VACUUM'],
    ['ANALYSE t', 'ANALYZE'],
    ['LOCK t IN ACCESS EXCLUSIVE MODE', 'LOCK TABLE'],
    ["COMMENT ON TABLE t IS 'x'", 'COMMENT'],
    ["SECURITY LABEL ON TABLE t IS 'x'", 'SECURITY LABEL'],
    ['GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA s TO u', 'GRANT'],
    ['GRANT admin, dev TO alice WITH ADMIN OPTION', 'GRANT ROLE'],
    ['REVOKE GRANT OPTION FOR SELECT ON t FROM u', 'REVOKE'],
    ['REVOKE ADMIN OPTION FOR admin FROM alice', 'REVOKE ROLE'],
    ['REFRESH MATERIALIZED VIEW CONCURRENTLY v', 'REFRESH MATERIALIZED VIEW'],
    ['IMPORT FOREIGN SCHEMA s FROM SERVER x INTO y', 'IMPORT FOREIGN SCHEMA'],
    ['REASSIGN OWNED BY a TO b', 'REASSIGN OWNED'],
    ["DO $$ BEGIN RAISE NOTICE 'x'; END $$", 'DO'],
    ['CHECKPOINT', 'CHECKPOINT'],
    ["LOAD 'auto_explain'", 'LOAD'],
    ['CLUSTER t', 'CLUSTER'],
    ['REINDEX INDEX i', 'REINDEX'],
  ];

  it('gives PostgreSQL’s command tag', () => {
    for (const [sql, tag] of tags) {
      expect({ sql, ...info(sql) }).toEqual({ sql, verb: tag, rows: false, tag });
    }
  });

  it('reports SELECT n for CREATE TABLE AS and CREATE MATERIALIZED VIEW with data', () => {
    expect(info('CREATE TABLE t AS SELECT * FROM u', 7)).toEqual({ verb: 'CREATE TABLE AS', rows: false, tag: 'SELECT 7' });
    expect(info('CREATE TEMP TABLE t (a) AS VALUES (1)', 1)).toMatchObject({ verb: 'CREATE TABLE AS', tag: 'SELECT 1' });
    expect(info('CREATE TABLE t AS EXECUTE q', 2)).toMatchObject({ tag: 'SELECT 2' });
    expect(info('CREATE MATERIALIZED VIEW v AS SELECT 1 WITH DATA', 1)).toEqual({ verb: 'CREATE MATERIALIZED VIEW', rows: false, tag: 'SELECT 1' });
  });

  it('marks words PostgreSQL does not know as unrecognised', () => {
    const c = classifyStatement('FROBNICATE t');
    expect(c).toMatchObject({ kind: 'generic', verb: 'FROBNICATE', recognised: false, returnsRows: false });
    expect(classifyStatement('CREATE WIDGET w')).toMatchObject({ kind: 'generic', recognised: false });
    expect(classifyStatement("'just a string'")).toMatchObject({ kind: 'generic', recognised: false });
  });
});

describe('unlexable statements', () => {
  it('report scan.l’s message with the text from the bad token to the end', () => {
    expect(classifyStatement("SELECT 'abc")).toEqual({
      kind: 'invalid',
      sqlState: '42601',
      message: 'unterminated quoted string at or near "\'abc"',
      offset: 7,
      returnsRows: false,
    });
    expect(classifyStatement('SELECT 1 /* x')).toMatchObject({ message: 'unterminated /* comment at or near "/* x"', offset: 9 });
    expect(classifyStatement('SELECT "ab')).toMatchObject({ message: 'unterminated quoted identifier at or near ""ab"' });
    expect(classifyStatement('SELECT $$ab')).toMatchObject({ message: 'unterminated dollar-quoted string at or near "$$ab"' });
    expect(classifyStatement("SELECT B'01")).toMatchObject({ message: 'unterminated bit string literal at or near "B\'01"' });
    expect(classifyStatement("SELECT X'0F")).toMatchObject({ message: 'unterminated hexadecimal string literal at or near "X\'0F"' });
  });

  it('empty statements are empty and have no tag', () => {
    const c = classifyStatement('-- nothing');
    expect(c).toEqual({ kind: 'empty', returnsRows: false });
    expect(commandTag(c)).toBe('');
  });
});
