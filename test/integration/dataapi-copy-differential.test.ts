// COPY FROM STDIN through the Data API proxy (set-based loading over the emulator) against
// PostgreSQL's own COPY: each case creates the same objects in two schemas of one PostgreSQL,
// sends the same COPY bytes once straight to PostgreSQL and once through the proxy (over the
// raw protocol: CopyData then CopyDone, as psql does), and expects the same command tag or the
// same error (SQLSTATE, message, CONTEXT lines), then the same table contents and side effects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { useDataApiStack } from './dataapi-fixture.js';
import { RawConnection } from '../harness/raw-protocol.js';

const stack = useDataApiStack();

type Side = 'direct' | 'proxy';
/** Schema names of one length, so that messages naming them compare once normalized. */
const SCHEMA: Record<Side, string> = { direct: 'cpd', proxy: 'cpp' };

interface CopyCase {
  name: string;
  /** Set-up with `S.` (or `{S}`) for the side's schema; the table COPY loads is S.t. */
  setup: string;
  copy: string;
  data: string | Buffer;
  /** Statements run first on the same connection (session settings, BEGIN...). */
  before?: string[];
  /** Statements run after the COPY on the same connection; their tags/errors are compared. */
  after?: string[];
  /** What to compare afterwards besides S.t (e.g. a trigger's log table). */
  extraTables?: string[];
  /** PostgreSQL's answer as this test knows it, so that a case cannot pass by both sides failing alike. */
  expected?: string[];
}

interface Outcome {
  messages: string[];
  tables: Record<string, string[]>;
}

let direct: pg.Client;
beforeAll(async () => {
  direct = new pg.Client(stack().directConfig());
  await direct.connect();
});
afterAll(async () => {
  await direct?.end();
});

/** The answer messages that matter, with the side's schema name normalized. */
function describeMessages(messages: { name: string }[], side: Side): string[] {
  const out: string[] = [];
  for (const m of messages) {
    const f = m as unknown as Record<string, string | undefined>;
    if (m.name === 'commandComplete') out.push(`tag ${f.text}`);
    if (m.name === 'error') out.push(`error ${f.code} ${f.message} | where: ${f.where ?? ''}`);
  }
  return out.map((s) => s.replaceAll(`${SCHEMA[side]}.`, 'S.'));
}

async function runSide(c: CopyCase, side: Side): Promise<Outcome> {
  const schema = SCHEMA[side];
  await direct.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  await direct.query(c.setup.replaceAll('S.', `${schema}.`).replaceAll('{S}', schema));
  const target = side === 'direct' ? stack().db : stack().proxy;
  const conn = await RawConnection.open(target.host, target.port);
  const messages: string[] = [];
  try {
    for (const sql of c.before ?? []) {
      conn.send(serialize.query(sql.replaceAll('S.', `${schema}.`)));
      messages.push(...describeMessages(await conn.untilReady(), side));
    }
    const data = typeof c.data === 'string' ? Buffer.from(c.data) : c.data;
    conn.send(serialize.query(c.copy.replaceAll('S.', `${schema}.`)), serialize.copyData(data), serialize.copyDone());
    messages.push(...describeMessages(await conn.untilReady(), side));
    for (const sql of c.after ?? []) {
      conn.send(serialize.query(sql.replaceAll('S.', `${schema}.`)));
      messages.push(...describeMessages(await conn.untilReady(), side));
    }
  } finally {
    conn.end();
  }
  const tables: Record<string, string[]> = {};
  for (const table of ['t', ...(c.extraTables ?? [])]) {
    // Text of each row in insertion order, read in one time zone.
    const rows = await direct.query<{ r: string }>(`SET TimeZone = 'UTC'; SELECT x::text AS r FROM ${schema}.${table} x ORDER BY ctid`);
    tables[table] = (rows as unknown as pg.QueryResult<{ r: string }>[])[1].rows.map((r) => r.r);
  }
  return { messages, tables };
}

async function expectSame(c: CopyCase): Promise<Outcome> {
  const expected = await runSide(c, 'direct');
  const got = await runSide(c, 'proxy');
  expect({ case: c.name, ...got }).toEqual({ case: c.name, ...expected });
  if (c.expected) expect(got.messages).toEqual(c.expected);
  return got;
}

const lines = (...rows: string[]) => rows.map((r) => r + '\n').join('');

const CASES: CopyCase[] = [
  {
    name: 'text format: NULL, empty string, the string null, escapes, unicode',
    setup: 'CREATE TABLE S.t (id integer, note text, extra text)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\t\\N\t', '2\t\tnull', '3\ta\\tb\\nc\\\\d\\x41\\101\\v\\f\\b\\r\tx', '4\tzoë 😀 "q" \'s\'\t\\\\N', '5\t\\.x\t{"a": 1}'),
  },
  {
    name: 'CSV: header, quotes, NULL vs quoted empty, embedded newline, FORCE_NOT_NULL and FORCE_NULL',
    setup: 'CREATE TABLE S.t (a text, b text, c text, d text)',
    copy: 'COPY S.t FROM STDIN WITH (FORMAT csv, HEADER, FORCE_NOT_NULL (b), FORCE_NULL (c))',
    data: lines('a,b,c,d', '1,,"",x', '"multi', 'line",  sp  ,"",""""', '3,"",,NULL'),
  },
  {
    name: 'CSV with DELIMITER, QUOTE, ESCAPE and NULL options',
    setup: 'CREATE TABLE S.t (a text, b text, c text)',
    copy: "COPY S.t FROM STDIN WITH (FORMAT csv, DELIMITER ';', QUOTE '''', ESCAPE '\\', NULL 'NIL')",
    data: lines("'it\\'s';NIL;'NIL'", "x;'a;b';\\"),
  },
  {
    name: 'text with DELIMITER and NULL options, and an end-of-data marker',
    setup: 'CREATE TABLE S.t (a integer, b text)',
    copy: "COPY S.t FROM STDIN WITH (DELIMITER '|', NULL '')",
    data: lines('1|', '2|x', '\\.', '3|never'),
  },
  {
    name: 'column list: defaults, identity, serial, GENERATED ALWAYS given and generated stored columns',
    setup:
      'CREATE TABLE S.t (id integer GENERATED ALWAYS AS IDENTITY, s serial, b text, d integer DEFAULT 42, ' +
      "dflt text DEFAULT 'dv', g integer GENERATED ALWAYS AS (d * 2) STORED)",
    copy: 'COPY S.t (b, d) FROM STDIN',
    data: lines('x\t1', 'y\t\\N', 'z\t7'),
    expected: ['tag COPY 3'],
  },
  {
    name: 'identity columns written as given',
    setup: 'CREATE TABLE S.t (id integer GENERATED ALWAYS AS IDENTITY, b text)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('10\tx', '20\ty'),
  },
  {
    name: "types read by their input functions: arrays, bytea, numeric, booleans, varchar(n), char(n), json, jsonb, domains",
    setup:
      'CREATE DOMAIN S.posint AS integer CHECK (VALUE > 0); CREATE DOMAIN S.shortv AS varchar(3); ' +
      'CREATE TABLE S.t (ia integer[], ta text[], by bytea, nu numeric(6,2), bo boolean, vc varchar(3), ch char(3), ' +
      'js json, jb jsonb, pi S.posint, sv S.shortv, bits bit(3), iv interval, ts timestamp(0))',
    copy: 'COPY S.t FROM STDIN',
    data: lines(
      '{1,2,NULL}\t{"a b","c\\\\"d",NULL,"NULL"}\t\\\\x00ff41\t1.005\tyes\tab  \tx\t{"k" : [1, 2]}\t{"k" : [1, 2], "k": 3}\t5\tab \t101\t1 day 2 hours\t2026-01-02 03:04:05.6',
      '{}\t{}\tab\\\\000c\t-12.3\toff\tabc\tabc\t"s"\tnull\t\\N\t\\N\t010\tP1D\t2026-01-02',
    ),
  },
  {
    name: 'timestamptz, date and time read with the session TimeZone and DateStyle',
    setup: 'CREATE TABLE S.t (tz timestamptz, d date, t timetz)',
    before: ["SET TimeZone = 'Asia/Tokyo'", "SET DateStyle = 'ISO, DMY'"],
    copy: 'COPY S.t FROM STDIN',
    data: lines('01/02/2026 10:00\t03/04/2026\t10:00', '2026-06-01 00:00:00+02\t2026-06-01\t23:59:59+05:30'),
  },
  {
    name: 'insert triggers fire once per row, in order',
    setup:
      'CREATE TABLE S.t (a integer, b text); CREATE TABLE S.log (n serial, what text); ' +
      "CREATE FUNCTION S.before_t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO S.log (what) VALUES ('before ' || NEW.a); NEW.b := upper(NEW.b); RETURN NEW; END $$; " +
      "CREATE FUNCTION S.after_t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO S.log (what) VALUES ('after ' || NEW.a || ' ' || NEW.b); RETURN NULL; END $$; " +
      'CREATE TRIGGER b BEFORE INSERT ON S.t FOR EACH ROW EXECUTE FUNCTION S.before_t(); ' +
      'CREATE TRIGGER a AFTER INSERT ON S.t FOR EACH ROW EXECUTE FUNCTION S.after_t()',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\tx', '2\ty', '3\tz'),
    extraTables: ['log'],
  },
  {
    name: 'WHERE: rows failing the condition are not inserted nor counted',
    setup: 'CREATE TABLE S.t (a integer, b text, c integer DEFAULT 7)',
    copy: "COPY S.t (a, b) FROM STDIN WHERE a > 1 AND t.b <> 'skip'",
    data: lines('1\tx', '2\ty', '3\tskip', '4\tz'),
    expected: ['tag COPY 2'],
  },
  {
    name: 'WHERE does not spare a filtered row its conversion',
    setup: 'CREATE TABLE S.t (a integer, b integer)',
    copy: 'COPY S.t FROM STDIN WHERE a > 1',
    data: lines('2\t1', '1\tx'),
  },
  {
    name: 'a BEFORE trigger that skips rows: they are not counted',
    setup:
      'CREATE TABLE S.t (a integer); ' +
      'CREATE FUNCTION S.odd_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.a % 2 = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$; ' +
      'CREATE TRIGGER o BEFORE INSERT ON S.t FOR EACH ROW EXECUTE FUNCTION S.odd_only()',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1', '2', '3', '4', '5'),
    expected: ['tag COPY 3'],
  },
  {
    name: 'no INSERT privilege: the error has no COPY context',
    setup:
      "DO $$ BEGIN CREATE ROLE apgp_copy_limited; EXCEPTION WHEN duplicate_object THEN NULL; END $$; " +
      'CREATE TABLE S.t (a integer); GRANT USAGE ON SCHEMA {S} TO apgp_copy_limited; GRANT SELECT ON S.t TO apgp_copy_limited',
    before: ['SET ROLE apgp_copy_limited'],
    copy: 'COPY S.t FROM STDIN',
    data: lines('1', '2'),
    after: ['RESET ROLE'],
  },
  {
    name: 'a table with no columns takes empty lines',
    setup: 'CREATE TABLE S.t ()',
    copy: 'COPY S.t FROM STDIN',
    data: lines('', '', ''),
  },
  {
    name: 'no data at all',
    setup: 'CREATE TABLE S.t (a integer)',
    copy: 'COPY S.t FROM STDIN',
    data: '',
  },
  // Bad rows: the COPY fails whole, with PostgreSQL's error and CONTEXT line.
  {
    name: 'bad integer on line 3',
    setup: 'CREATE TABLE S.t (a integer, b text)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\tx', '2\ty', 'abc\tz', '4\tw'),
    expected: ['error 22P02 invalid input syntax for type integer: "abc" | where: COPY t, line 3, column a: "abc"'],
  },
  {
    name: 'bad value in the second column, a later row also bad',
    setup: 'CREATE TABLE S.t (a integer, b integer, c date)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\t1\t2026-01-01', '2\t2\t2026-13-01', '3\tx\t2026-01-01'),
  },
  {
    name: 'CSV header counts as a line; a null for a domain NOT NULL',
    setup: 'CREATE DOMAIN S.nn AS text NOT NULL; CREATE TABLE S.t (a integer, b S.nn)',
    copy: 'COPY S.t FROM STDIN (FORMAT csv, HEADER true)',
    data: lines('a,b', '1,x', '2,'),
    expected: ['error 23502 domain S.nn does not allow null values | where: COPY t, line 3, column b: null input'],
  },
  {
    name: 'varchar(3) too long is an error, as the input function says (a CAST would truncate)',
    setup: 'CREATE TABLE S.t (a varchar(3))',
    copy: 'COPY S.t FROM STDIN',
    data: lines('abc', 'ab  ', 'abcd'),
    expected: ['error 22001 value too long for type character varying(3) | where: COPY t, line 3, column a: "abcd"'],
  },
  {
    name: 'domain CHECK violated',
    setup: 'CREATE DOMAIN S.posint AS integer CHECK (VALUE > 0); CREATE TABLE S.t (a S.posint)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1', '0'),
  },
  {
    name: 'NOT NULL violated: the line with its text',
    setup: 'CREATE TABLE S.t (a integer NOT NULL, b text)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\tx', '\\N\ty'),
    expected: ['error 23502 null value in column "a" of relation "t" violates not-null constraint | where: COPY t, line 2: "\\N\ty"'],
  },
  {
    name: 'CHECK constraint violated after a conversion error-free row',
    setup: 'CREATE TABLE S.t (a integer CHECK (a < 10), b text)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\tx', '11\ty', 'bad\tz'),
  },
  {
    name: 'duplicate key inside the data: the line without its text (a buffered insert)',
    setup: 'CREATE TABLE S.t (a integer PRIMARY KEY, b text)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\tx', '2\ty', '3\tz', '2\tw'),
    expected: ['error 23505 duplicate key value violates unique constraint "t_pkey" | where: COPY t, line 4'],
  },
  {
    name: 'duplicate key with a BEFORE trigger: the line with its text',
    setup:
      'CREATE TABLE S.t (a integer PRIMARY KEY, b text); ' +
      'CREATE FUNCTION S.keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; ' +
      'CREATE TRIGGER k BEFORE INSERT ON S.t FOR EACH ROW EXECUTE FUNCTION S.keep()',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\tx', '1\ty'),
  },
  {
    name: 'an error raised by a BEFORE trigger',
    setup:
      'CREATE TABLE S.t (a integer, b text); ' +
      "CREATE FUNCTION S.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.a = 2 THEN RAISE EXCEPTION 'no twos' USING ERRCODE = 'P0002'; END IF; RETURN NEW; END $$; " +
      'CREATE TRIGGER r BEFORE INSERT ON S.t FOR EACH ROW EXECUTE FUNCTION S.refuse()',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\tx', '2\ty'),
  },
  {
    name: 'foreign key violated: no COPY context',
    setup: 'CREATE TABLE S.p (id integer PRIMARY KEY); INSERT INTO S.p VALUES (1); CREATE TABLE S.t (a integer REFERENCES S.p)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1', '2'),
  },
  {
    name: 'invalid JSON for a jsonb column',
    setup: 'CREATE TABLE S.t (a integer, j jsonb)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\t{"a": 1}', '2\t{"a": }'),
  },
  {
    name: 'a NUL byte made by an escape',
    setup: 'CREATE TABLE S.t (a text)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('ok', 'a\\0b'),
  },
  {
    name: 'a NUL byte made by a hex escape in CSV-free text, and a raw NUL byte',
    setup: 'CREATE TABLE S.t (a text)',
    copy: 'COPY S.t FROM STDIN',
    data: Buffer.from('ok\nx\\x00\n'),
  },
  {
    name: 'a raw NUL byte in the data',
    setup: 'CREATE TABLE S.t (a text)',
    copy: 'COPY S.t FROM STDIN',
    data: Buffer.from('ok\na\u0000b\n'),
  },
  {
    name: 'missing data for a column (found by the parser)',
    setup: 'CREATE TABLE S.t (a integer, b text)',
    copy: 'COPY S.t FROM STDIN',
    data: lines('1\tx', '2'),
  },
  {
    name: 'extra data after the last column (found by the parser)',
    setup: 'CREATE TABLE S.t (a integer)',
    copy: 'COPY S.t FROM STDIN (FORMAT csv)',
    data: lines('1', '2,3'),
  },
  {
    name: 'a failed COPY inside a transaction block leaves it failed',
    setup: 'CREATE TABLE S.t (a integer)',
    before: ['BEGIN', 'INSERT INTO S.t VALUES (100)'],
    copy: 'COPY S.t FROM STDIN',
    data: lines('1', 'x'),
    after: ['SELECT 1', 'ROLLBACK', 'SELECT count(*) FROM S.t'],
  },
  {
    name: 'a COPY inside a transaction block, then a savepoint rolled back',
    setup: 'CREATE TABLE S.t (a integer)',
    before: ['BEGIN', 'INSERT INTO S.t VALUES (100)', 'SAVEPOINT s'],
    copy: 'COPY S.t FROM STDIN',
    data: lines('1', '2'),
    after: ['ROLLBACK TO SAVEPOINT s', 'INSERT INTO S.t VALUES (3)', 'COMMIT'],
  },
  {
    name: 'a failed COPY rolled back to a savepoint of the client',
    setup: 'CREATE TABLE S.t (a integer PRIMARY KEY)',
    before: ['BEGIN', 'INSERT INTO S.t VALUES (1)', 'SAVEPOINT s'],
    copy: 'COPY S.t FROM STDIN',
    data: lines('2', '1'),
    after: ['ROLLBACK TO SAVEPOINT s', 'INSERT INTO S.t VALUES (5)', 'COMMIT'],
  },
];

describe('COPY FROM STDIN through the Data API proxy matches PostgreSQL', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await expectSame(c);
    });
  }

  it('loads several chunks in one transaction and names the bad row of a later chunk', async () => {
    // About 7 MiB of data: three chunks. Row 50 000 duplicates row 10 (in the first chunk).
    const rowText = (i: number) => `${i}\t${'v'.repeat(120)} ${i}\t${(i * 0.5).toFixed(1)}`;
    const good = Array.from({ length: 52_000 }, (_, i) => rowText(i + 1));
    const base: CopyCase = {
      name: 'multi-chunk',
      setup: 'CREATE TABLE S.t (a integer PRIMARY KEY, b text, c numeric)',
      copy: 'COPY S.t FROM STDIN',
      data: lines(...good),
    };
    const loaded = await expectSame(base);
    expect(loaded.messages).toEqual(['tag COPY 52000']);
    const withDuplicate = [...good];
    withDuplicate[49_999] = rowText(10);
    const failed = await expectSame({ ...base, data: lines(...withDuplicate) });
    expect(failed.messages).toEqual([expect.stringContaining('COPY t, line 50000')]);
    expect(failed.tables.t).toEqual([]);
  }, 240_000);

  it('loads a temp table of the session', async () => {
    const answers: Record<Side, string[]> = { direct: [], proxy: [] };
    for (const side of ['direct', 'proxy'] as const) {
      const target = side === 'direct' ? stack().db : stack().proxy;
      const conn = await RawConnection.open(target.host, target.port);
      try {
        const run = async (...messages: Buffer[]) => {
          conn.send(...messages);
          const got = await conn.untilReady();
          answers[side].push(...describeMessages(got, side));
          for (const m of got) if (m.name === 'dataRow') answers[side].push(`row ${(m as unknown as { fields: unknown[] }).fields.join(',')}`);
        };
        await run(serialize.query('CREATE TEMP TABLE tt (a integer, b text DEFAULT \'d\')'));
        await run(serialize.query('COPY tt (a) FROM STDIN'), serialize.copyData(Buffer.from('1\n2\n')), serialize.copyDone());
        await run(serialize.query('COPY tt FROM STDIN'), serialize.copyData(Buffer.from('3\tx\nbad\ty\n')), serialize.copyDone());
        await run(serialize.query('SELECT a, b FROM tt ORDER BY a'));
      } finally {
        conn.end();
      }
    }
    expect(answers.proxy).toEqual(answers.direct);
    expect(answers.direct).toContain('tag COPY 2');
  });
});
