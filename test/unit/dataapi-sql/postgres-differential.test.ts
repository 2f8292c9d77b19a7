// Checks the SQL text tools against a real PostgreSQL 15: the command tags it sends, how many
// statements it runs for a simple query, how many parameters it infers, which COPY options and
// SET/transaction forms it rejects (and with what error), and that the Data API rewrite keeps
// results identical.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEmitter } from 'node:events';
import pg from 'pg';
import { startPostgres, type ThrowawayPostgres } from '../../harness/postgres.js';
import {
  classifyStatement,
  commandTag,
  findPlaceholders,
  quoteLiteral,
  splitStatements,
  toDataApiSql,
  type ClassifiedStatement,
} from '../../../src/dataapi/sql/index.js';

let db: ThrowawayPostgres;
let client: pg.Client;
/** Raw CommandComplete texts and EmptyQueryResponses seen since the last reset. */
let tags: string[] = [];
let emptyResponses = 0;

beforeAll(async () => {
  db = await startPostgres();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const connection = (client as unknown as { connection: EventEmitter }).connection;
  connection.on('commandComplete', (msg: { text: string }) => tags.push(msg.text));
  connection.on('emptyQuery', () => emptyResponses++);
});

afterAll(async () => {
  await client?.end();
  await db?.stop();
});

function resetCapture(): void {
  tags = [];
  emptyResponses = 0;
}

/** Runs one statement by the simple protocol; returns PostgreSQL's tag and whether it sent rows. */
async function run(sql: string): Promise<{ tag: string; rowCount: number; sentRows: boolean }> {
  resetCapture();
  const result = (await client.query(sql)) as pg.QueryResult;
  expect(tags).toHaveLength(1);
  return { tag: tags[0]!, rowCount: result.rowCount ?? 0, sentRows: result.fields.length > 0 };
}

async function pgError(sql: string): Promise<{ code: string; message: string } | null> {
  try {
    await client.query(sql);
    return null;
  } catch (e) {
    const err = e as pg.DatabaseError;
    return { code: err.code ?? '', message: err.message };
  }
}

describe('command tags and row shape match PostgreSQL 15', () => {
  // Run in order in one session; every statement must succeed.
  const corpus: string[] = [
    'CREATE SCHEMA tagtest',
    'SET search_path = tagtest, public',
    'CREATE TABLE t (id int PRIMARY KEY, name text)',
    'CREATE TEMP TABLE tmp (x int)',
    'CREATE UNLOGGED TABLE ul (x int)',
    "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')",
    "INSERT INTO t VALUES (4, 'd') RETURNING id",
    "INSERT INTO t VALUES (4, 'x') ON CONFLICT DO NOTHING",
    "UPDATE t SET name = upper(name) WHERE id < 3",
    'UPDATE t SET name = name RETURNING *',
    'DELETE FROM t WHERE id = 4',
    'DELETE FROM t WHERE id = 3 RETURNING name',
    "MERGE INTO t USING (VALUES (3, 'c')) AS v(id, name) ON t.id = v.id WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.name)",
    'SELECT * FROM t',
    '(SELECT 1) UNION ALL (SELECT 2)',
    'VALUES (1), (2), (3)',
    'TABLE t',
    'WITH x AS (SELECT 1 AS a) SELECT * FROM x',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 4) SELECT * FROM r',
    'WITH d AS (DELETE FROM t WHERE id = 3 RETURNING *) INSERT INTO t SELECT * FROM d',
    "WITH u AS MATERIALIZED (SELECT 1) UPDATE t SET name = 'z' WHERE id = 1 RETURNING id",
    'SELECT * INTO t_copy FROM t',
    'CREATE TABLE t_as AS SELECT * FROM t',
    'CREATE TABLE t_nodata AS SELECT * FROM t WITH NO DATA',
    'CREATE MATERIALIZED VIEW mv AS SELECT * FROM t',
    'CREATE MATERIALIZED VIEW mv_nodata AS SELECT * FROM t WITH NO DATA',
    'REFRESH MATERIALIZED VIEW mv',
    'CREATE VIEW v AS SELECT id FROM t',
    'CREATE OR REPLACE VIEW v AS SELECT id FROM t',
    'CREATE UNIQUE INDEX t_name_idx ON t (name)',
    'CREATE INDEX ON t (id, name)',
    'CREATE SEQUENCE s',
    'ALTER SEQUENCE s RESTART WITH 5',
    "CREATE TYPE mood AS ENUM ('sad', 'ok')",
    "ALTER TYPE mood ADD VALUE 'happy'",
    'CREATE DOMAIN posint AS int CHECK (VALUE > 0)',
    'CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + 1 $$',
    'CREATE OR REPLACE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END',
    'CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$',
    'CALL p()',
    "DO $$ BEGIN PERFORM 1; END $$",
    'CREATE EXTENSION IF NOT EXISTS plpgsql',
    "COMMENT ON TABLE t IS 'a table'",
    'CREATE ROLE tag_role',
    'CREATE USER tag_user',
    'GRANT SELECT ON t TO tag_role',
    'GRANT tag_role TO tag_user',
    'REVOKE tag_role FROM tag_user',
    'REVOKE SELECT ON t FROM tag_role',
    'ALTER ROLE tag_user SET work_mem = 1000',
    'ALTER TABLE t ADD COLUMN extra int',
    'ALTER TABLE t RENAME COLUMN extra TO extra2',
    'ALTER INDEX t_name_idx RENAME TO t_name_idx2',
    'ALTER VIEW v RENAME TO v2',
    'ALTER FUNCTION f(int) RENAME TO f2',
    'CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()',
    'DROP TRIGGER trg ON t',
    'CREATE POLICY pol ON t USING (true)',
    'DROP POLICY pol ON t',
    'SELECT * FROM t FOR UPDATE',
    '(VALUES (1), (2)) ORDER BY 1',
    'WITH x AS (SELECT 1 AS a) TABLE x',
    'WITH x AS (SELECT 1 AS a) SELECT a INTO TEMP t_into FROM x',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SEARCH DEPTH FIRST BY n SET ord SELECT n FROM r',
    'SELECT 1 AS "into", (SELECT count(*) FROM t) AS c',
    'CREATE TEMP TABLE t_vals AS VALUES (1), (2)',
    'PREPARE sel AS SELECT * FROM t',
    'CREATE TEMP TABLE t_exec AS EXECUTE sel',
    'CREATE TABLE IF NOT EXISTS t (id int)',
    'CREATE SCHEMA tagtest2 CREATE TABLE inner_t (a int) CREATE VIEW inner_v AS SELECT 1',
    'ALTER TABLE tagtest2.inner_t SET SCHEMA tagtest',
    'ALTER TABLE inner_t OWNER TO postgres',
    'COMMENT ON COLUMN t.name IS NULL',
    'CREATE OR REPLACE TRIGGER trg2 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()',
    'CREATE FUNCTION evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$',
    'CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION evt()',
    'ALTER EVENT TRIGGER et DISABLE',
    'DROP EVENT TRIGGER et',
    "CREATE COLLATION coll (provider = icu, locale = 'und')",
    'CREATE TEXT SEARCH CONFIGURATION tsc (COPY = simple)',
    'DROP TEXT SEARCH CONFIGURATION tsc',
    'CREATE AGGREGATE agg(int) (SFUNC = int4pl, STYPE = int)',
    'CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)',
    'DROP OPERATOR === (int, int)',
    'CREATE STATISTICS st ON id, name FROM t',
    'CREATE RULE r AS ON INSERT TO tmp DO ALSO NOTHING',
    'DROP RULE r ON tmp',
    'CREATE FOREIGN DATA WRAPPER w',
    'CREATE SERVER srv FOREIGN DATA WRAPPER w',
    'CREATE USER MAPPING FOR postgres SERVER srv',
    'CREATE FOREIGN TABLE ft (a int) SERVER srv',
    'ALTER FOREIGN TABLE ft ADD COLUMN b int',
    'DROP FOREIGN TABLE ft',
    'DROP USER MAPPING FOR postgres SERVER srv',
    'DROP SERVER srv',
    'DROP FOREIGN DATA WRAPPER w',
    'CREATE PUBLICATION pub FOR TABLE t',
    'DROP PUBLICATION pub',
    'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC',
    'ALTER DATABASE postgres SET work_mem = 4096',
    'ALTER DATABASE postgres RESET work_mem',
    'CREATE DATABASE tagdb',
    'DROP DATABASE tagdb',
    'CLUSTER t USING t_pkey',
    'REINDEX TABLE t',
    'TRUNCATE TABLE t_vals',
    'EXPLAIN ANALYZE INSERT INTO tmp VALUES (5)',
    'SET CONSTRAINTS ALL DEFERRED',
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
    'SET ROLE NONE',
    'RESET ROLE',
    'SET SESSION AUTHORIZATION DEFAULT',
    'RESET SESSION AUTHORIZATION',
    'SHOW TIME ZONE',
    'SHOW TRANSACTION ISOLATION LEVEL',
    'ANALYZE t',
    'VACUUM t',
    'TRUNCATE t_copy',
    'EXPLAIN SELECT * FROM t',
    'EXPLAIN (ANALYZE, COSTS OFF) SELECT 1',
    'SHOW search_path',
    'SHOW ALL',
    'SET statement_timeout = 1000',
    'SET SESSION work_mem TO DEFAULT',
    'SET TIME ZONE UTC',
    'RESET statement_timeout',
    'RESET ALL',
    'SET search_path = tagtest, public',
    "SELECT set_config('application_name', 'x', false)",
    'LISTEN chan',
    "NOTIFY chan, 'hello'",
    'UNLISTEN *',
    'PREPARE q(int) AS SELECT $1 + 1',
    'EXECUTE q(1)',
    'PREPARE ins AS INSERT INTO tmp VALUES (1), (2)',
    'EXECUTE ins',
    'DEALLOCATE q',
    'DEALLOCATE ALL',
    'BEGIN',
    'SAVEPOINT sp',
    'RELEASE SAVEPOINT sp',
    'SAVEPOINT sp2',
    'ROLLBACK TO SAVEPOINT sp2',
    'SET LOCAL work_mem = 2000',
    'SET TRANSACTION READ ONLY',
    'DECLARE c SCROLL CURSOR FOR SELECT generate_series(1, 10)',
    'FETCH 3 FROM c',
    'MOVE 2 IN c',
    'FETCH ALL FROM c',
    'FETCH PRIOR FROM c',
    'MOVE ABSOLUTE 0 IN c',
    'FETCH BACKWARD 2 FROM c',
    'CLOSE c',
    'DECLARE c2 CURSOR FOR SELECT 1',
    'CLOSE ALL',
    'LOCK TABLE t IN SHARE MODE',
    'COMMIT',
    'START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY',
    'ROLLBACK',
    'BEGIN WORK',
    'END',
    'BEGIN TRANSACTION',
    'ABORT',
    'DISCARD PLANS',
    'DISCARD SEQUENCES',
    'DISCARD TEMP',
    'DROP VIEW v2',
    'DROP MATERIALIZED VIEW mv',
    'DROP INDEX t_name_idx2',
    'DROP FUNCTION f2(int)',
    'DROP PROCEDURE p()',
    'DROP SEQUENCE s',
    'DROP DOMAIN posint',
    'DROP TYPE mood',
    'DROP TABLE t_copy, t_as',
    'REASSIGN OWNED BY tag_user TO postgres',
    'DROP OWNED BY tag_role',
    'DROP USER tag_user',
    'DROP ROLE tag_role',
    'CHECKPOINT',
    'DISCARD ALL',
    'SET search_path = tagtest, public',
    'DROP SCHEMA tagtest CASCADE',
  ];

  it('reproduces the tag PostgreSQL sends for each statement', async () => {
    const mismatches: string[] = [];
    // As the session will: remember PREPAREd statements so EXECUTE can report their tag.
    const prepared = new Map<string, ClassifiedStatement>();
    for (const sql of corpus) {
      const { tag, rowCount, sentRows } = await run(sql);
      const c = classifyStatement(sql);
      if (c.kind === 'prepare') prepared.set(c.name, classifyStatement(c.statement));
      const ours = commandTag(c, rowCount, { prepared: c.kind === 'execute' ? prepared.get(c.name) : undefined });
      if (ours !== tag) mismatches.push(`${sql}: PostgreSQL "${tag}", ours "${ours}"`);
      if (c.returnsRows !== 'depends' && c.returnsRows !== sentRows) {
        mismatches.push(`${sql}: PostgreSQL ${sentRows ? 'sent' : 'did not send'} rows, ours says returnsRows=${c.returnsRows}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('reports ROLLBACK for COMMIT (and END) of a failed transaction', async () => {
    for (const end of ['COMMIT', 'END', 'COMMIT AND NO CHAIN']) {
      await run('BEGIN');
      expect(await pgError('SELECT 1/0')).toMatchObject({ code: '22012' });
      const { tag } = await run(end);
      expect(tag).toBe('ROLLBACK');
      expect(commandTag(classifyStatement(end), 0, { transactionFailed: true })).toBe(tag);
    }
  });

  it('EXECUTE reports the tag of the prepared statement', async () => {
    await run('CREATE TEMP TABLE ex (x int)');
    await run('PREPARE ex_ins AS INSERT INTO ex SELECT generate_series(1, 4)');
    const { tag, rowCount } = await run('EXECUTE ex_ins');
    expect(tag).toBe('INSERT 0 4');
    const prepared = classifyStatement('PREPARE ex_ins AS INSERT INTO ex SELECT generate_series(1, 4)');
    expect(prepared.kind).toBe('prepare');
    const inner = classifyStatement((prepared as Extract<ClassifiedStatement, { kind: 'prepare' }>).statement);
    expect(commandTag(classifyStatement('EXECUTE ex_ins'), rowCount, { prepared: inner })).toBe(tag);
    await run('DEALLOCATE ex_ins');
  });
});

describe('statement splitting matches what PostgreSQL executes', () => {
  const cases = [
    'select 1; select 2;',
    'select 1;;; select 2',
    ';',
    '   ',
    '-- only a comment',
    '/* only /* nested */ comment */ ;',
    "select 'a;b'; select $$c;d$$; select $x$e;f$x$",
    'select "semi;colon" from (select 1 as "semi;colon") s; select 2',
    'select 1 -- ; not a separator\n; select 2',
    'select /* ; */ 1; /* trailing */',
    "select E'\\';'; select 2",
    "select U&'\\0041;'; select 'a'\n';b'",
    'create function tmp_split_f() returns int language sql begin atomic select 1; select case when true then 2 end; end; select tmp_split_f(); drop function tmp_split_f()',
    'select a$$b from (select 1 as a$$b) s; select 2',
    'select 1 as begin; select 2',
  ];

  it('runs as many statements as splitStatements() finds, and agrees on EmptyQueryResponse', async () => {
    for (const sql of cases) {
      resetCapture();
      await client.query(sql);
      const statements = splitStatements(sql);
      expect({ sql, count: statements.length, empty: statements.length === 0 }).toEqual({
        sql,
        count: tags.length,
        empty: emptyResponses === 1,
      });
    }
  });

  it('each piece runs on its own with the same tags as the whole string', async () => {
    const sql = 'create temp table sp(x int); insert into sp values (1),(2); update sp set x = x + 1; select * from sp; drop table sp';
    resetCapture();
    await client.query(sql);
    const whole = [...tags];
    const pieces: string[] = [];
    for (const s of splitStatements(sql)) {
      resetCapture();
      await client.query(s.text);
      pieces.push(...tags);
    }
    expect(pieces).toEqual(whole);
  });
});

describe('parameter counting matches PostgreSQL', () => {
  const cases = [
    'SELECT $1::int',
    "SELECT $1::int, '$2', $$ $3 $$, $q$ $4 $q$ AS \"$5\" /* $6 /* $7 */ */ -- $8",
    "SELECT $2::int + $1::int, E'\\' $3'",
    'SELECT $1::int AS a$2',
    'SELECT $3::int, $1::int, $2::int',
  ];
  it('finds the highest $n PostgreSQL infers', async () => {
    for (const [i, sql] of cases.entries()) {
      await client.query(`PREPARE count_${i} AS ${sql}`);
      const res = await client.query('SELECT cardinality(parameter_types) AS n FROM pg_prepared_statements WHERE name = $1', [`count_${i}`]);
      expect({ sql, n: findPlaceholders(sql).highest }).toEqual({ sql, n: Number(res.rows[0].n) });
      await client.query(`DEALLOCATE count_${i}`);
    }
  });
});

describe('the Data API rewrite keeps results identical', () => {
  const cases: Array<{ sql: string; params?: string[] }> = [
    { sql: 'SELECT $$a :b c$$ AS v' },
    { sql: "SELECT $t$it's :x$t$ AS v" },
    { sql: 'SELECT (ARRAY[1,2,3,4])[2:3] AS v' },
    { sql: 'SELECT (ARRAY[1,2,3,4])[:2] AS a, (ARRAY[1,2,3,4])[3:] AS b' },
    { sql: "SELECT E'it\\'s :x' AS v" },
    { sql: "SELECT 'C:\\' AS v, ':y' AS w" },
    { sql: "SELECT 'a'\n'b:c' AS v" },
    { sql: 'SELECT /* a /* b */ :c */ 1 AS v' },
    { sql: "SELECT '{\"a\":1}'::jsonb ->> 'a' AS v" },
    { sql: 'SELECT (ARRAY[10,20,30])[$1:$2] AS v', params: ['1', '2'] },
    { sql: 'SELECT -$1::int AS v', params: ['-5'] },
    { sql: "SELECT $1 || $$:tail$$ AS v", params: [quoteLiteral('x\\y')] },
  ];

  it('returns the same rows before and after rewriting', async () => {
    for (const { sql, params = [] } of cases) {
      const inlined = (text: string) => text.replace(/\$(\d)/g, (_, n: string) => `(${params[Number(n) - 1]})`);
      const rewritten = toDataApiSql(sql, { renderParameter: (n) => params[n - 1]! }).sql;
      const before = await client.query(params.length ? inlined(sql) : sql);
      const after = await client.query(rewritten);
      expect({ sql: rewritten, rows: after.rows }).toEqual({ sql: rewritten, rows: before.rows });
    }
  });
});

describe('COPY option validation matches PostgreSQL', () => {
  const statements = [
    'COPY cp FROM STDIN',
    'COPY cp (a, b) FROM STDIN WITH CSV HEADER',
    "COPY cp FROM STDIN WITH CSV HEADER DELIMITER ';' NULL 'N' QUOTE '''' ESCAPE '\\'",
    "COPY cp FROM STDIN WITH DELIMITER AS '|' NULL AS 'x'",
    'COPY cp FROM STDIN (FORMAT csv, HEADER match)',
    'COPY cp FROM STDIN (FORMAT text, HEADER)',
    "COPY cp FROM STDIN (FORMAT csv, FORCE_NOT_NULL (a), FORCE_NULL (b), ENCODING 'latin1')",
    "COPY cp FROM STDIN USING DELIMITERS '|'",
    'COPY BINARY cp FROM STDIN',
    'COPY cp FROM STDIN (FORMAT binary)',
    "COPY cp FROM STDIN WHERE a > '1'",
    'COPY cp FROM STDIN (FREEZE false, HEADER off)',
    'COPY cp FROM STDIN (FORMAT binary, DELIMITER \',\')',
    "COPY cp FROM STDIN (FORMAT binary, NULL 'x')",
    'COPY cp FROM STDIN (FORMAT binary, HEADER)',
    "COPY cp FROM STDIN (FORMAT 'CSV')",
    'COPY cp FROM STDIN (FORMAT xml)',
    'COPY cp FROM STDIN (FORMAT csv, FORMAT text)',
    "COPY cp FROM STDIN (DELIMITER ',,')",
    "COPY cp FROM STDIN (DELIMITER 'a')",
    "COPY cp FROM STDIN (DELIMITER E'\\n')",
    "COPY cp FROM STDIN (NULL E'\\r')",
    "COPY cp FROM STDIN (QUOTE '\"')",
    "COPY cp FROM STDIN (ESCAPE '\\')",
    "COPY cp FROM STDIN (FORMAT csv, QUOTE 'ab')",
    "COPY cp FROM STDIN (FORMAT csv, QUOTE ',')",
    "COPY cp FROM STDIN (FORMAT csv, ESCAPE '')",
    'COPY cp FROM STDIN (FORMAT csv, FORCE_QUOTE *)',
    'COPY cp FROM STDIN (FORCE_NOT_NULL (a))',
    'COPY cp FROM STDIN (FORMAT csv, FORCE_NOT_NULL *)',
    "COPY cp FROM STDIN (NULL 'a,b', DELIMITER ',')",
    "COPY cp FROM STDIN (FORMAT csv, NULL 'x\"')",
    "COPY cp FROM STDIN (ENCODING 'klingon')",
    'COPY cp FROM STDIN (HEADER maybe)',
    'COPY cp FROM STDIN (FREEZE 2)',
    'COPY cp FROM STDIN (bogus 1)',
    'COPY cp FROM STDIN (DELIMITER)',
    'COPY cp TO STDOUT (FORMAT csv, HEADER match)',
    'COPY cp TO STDOUT (FORMAT csv, FORCE_NULL (a))',
    'COPY cp TO STDOUT WHERE a > 1',
    'COPY cp TO STDOUT (FORMAT csv, FORCE_QUOTE (a), HEADER)',
    'COPY (SELECT 1) TO STDOUT WITH CSV',
    'COPY cp TO STDOUT WITH BINARY',
    "COPY cp TO STDOUT WITH CSV FORCE QUOTE a, b",
    'COPY cp TO STDOUT (FORMAT csv, FORCE_QUOTE a)',
  ];

  it('accepts and rejects the same option sets, with the same errors', async () => {
    await client.query('CREATE TEMP TABLE cp (a text, b text)');
    const mismatches: string[] = [];
    for (const sql of statements) {
      const pgErr = await pgError(sql);
      // pg answers COPY FROM STDIN with CopyFail when no stream is given: that means "accepted".
      const pgAccepted = pgErr === null || pgErr.code === '57014';
      const c = classifyStatement(sql);
      if (pgAccepted) {
        if (c.kind !== 'copy') mismatches.push(`${sql}: PostgreSQL accepted it, ours ${JSON.stringify(c)}`);
      } else if (c.kind !== 'invalid' || c.sqlState !== pgErr!.code || c.message !== pgErr!.message) {
        mismatches.push(`${sql}: PostgreSQL ${pgErr!.code} "${pgErr!.message}", ours ${JSON.stringify(c)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('SET, SHOW and transaction control match PostgreSQL', () => {
  const settings: Array<[string, string]> = [
    ["SET search_path = 'My Schema', public", 'search_path'],
    ['SET search_path TO "$user", public, "Other"', 'search_path'],
    ["SET search_path = ''", 'search_path'],
    ["SET SCHEMA 'Mixed'", 'search_path'],
    ["SET SCHEMA 'user'", 'search_path'],
    ['SET application_name = Foo', 'application_name'],
    ["SET application_name TO 'Bar Baz'", 'application_name'],
    ['SET myapp.int = 007', 'myapp.int'],
    ['SET myapp.neg = -42', 'myapp.neg'],
    ['SET myapp.float = 1.50', 'myapp.float'],
    ['SET myapp.negfloat = -1.5e3', 'myapp.negfloat'],
    ['SET myapp.big = 99999999999', 'myapp.big'],
    ['SET myapp.flag = TRUE', 'myapp.flag'],
    ['SET myapp.onoff = on', 'myapp.onoff'],
    ["SET myapp.str = E'tab\\there'", 'myapp.str'],
    ['SET myapp.dollar = $$dollar value$$', 'myapp.dollar'],
    ["SET TIME ZONE 'Europe/Paris'", 'timezone'],
    ["SET NAMES 'UTF8'", 'client_encoding'],
    ['SET XML OPTION CONTENT', 'xmloption'],
    ['SET search_path = a, "B", \'c d\', 7', 'search_path'],
  ];

  it('computes the value PostgreSQL stores', async () => {
    for (const [sql, name] of settings) {
      await client.query(sql);
      const res = await client.query('SELECT current_setting($1) AS v', [name]);
      const c = classifyStatement(sql);
      expect(c.kind).toBe('set');
      if (c.kind !== 'set') continue;
      expect(c.name).toBe(name);
      expect({ sql, value: c.value }).toEqual({ sql, value: { type: 'value', value: res.rows[0].v } });
    }
    await client.query('RESET ALL');
  });

  const validity = [
    'BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE',
    'BEGIN ISOLATION LEVEL READ UNCOMMITTED, READ WRITE, NOT DEFERRABLE',
    'BEGIN ISOLATION LEVEL foo',
    'BEGIN READ',
    'BEGIN READ ONLY,',
    'BEGIN TRANSACTION WORK',
    'START TRANSACTION',
    'START',
    'COMMIT AND CHAIN',
    'COMMIT AND',
    'ROLLBACK AND NO CHAIN',
    'ROLLBACK TO nowhere_x',
    'END TRANSACTION extra',
    'SAVEPOINT "Mixed Case"',
    'SAVEPOINT select',
    'RELEASE',
    'SET x',
    'SET myapp.x = ',
    'SET myapp.x = null',
    'SET myapp.x = a b',
    "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
    'SET TRANSACTION',
    "SET CATALOG 'x'",
    'SET NAMES utf8',
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY',
    'SET LOCAL lock_timeout = 10',
    'SET SESSION lock_timeout = 10',
    'SHOW',
    'SHOW TRANSACTION ISOLATION LEVEL',
    'RESET SESSION AUTHORIZATION',
    'RESET TIME ZONE',
    'RESET',
    'DECLARE c CURSOR',
    'DECLARE c SCROLL NO SCROLL CURSOR FOR SELECT 1',
    'DECLARE c CURSOR FOR INSERT INTO x VALUES (1)',
    'FETCH',
    'FETCH FORWARD ALL IN',
    'FETCH 1.5 FROM c',
    'CLOSE',
    'DISCARD EVERYTHING',
    'DEALLOCATE',
    'PREPARE TRANSACTION',
    'NOTIFY chan, 42',
    'UNLISTEN',
    "LISTEN 'x'",
  ];

  it('rejects exactly the statements PostgreSQL rejects as syntax errors, with its message', async () => {
    const mismatches: string[] = [];
    for (const sql of validity) {
      await client.query('BEGIN');
      await client.query('SAVEPOINT probe');
      const pgErr = await pgError(sql);
      await client.query('ROLLBACK');
      const c = classifyStatement(sql);
      // Errors that are not about the statement's text (unknown cursor, unknown savepoint…) count as accepted.
      const rejected = pgErr !== null && ['42601', '0A000', '42P11'].includes(pgErr.code);
      if (rejected !== (c.kind === 'invalid')) {
        mismatches.push(`${sql}: PostgreSQL ${pgErr ? `${pgErr.code} ${pgErr.message}` : 'ok'}, ours ${c.kind}`);
      } else if (rejected && c.kind === 'invalid' && (c.message !== pgErr!.message || c.sqlState !== pgErr!.code)) {
        mismatches.push(`${sql}: PostgreSQL "${pgErr!.message}", ours "${c.message}"`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
