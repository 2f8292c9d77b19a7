// node-postgres through the real `aurora-pg-proxy data-api` process and the Data API emulator
// over a throwaway PostgreSQL: prepared statements, a round trip of many column types compared
// with PostgreSQL's own answer, pg-cursor, errors with positions, session settings,
// savepoints, and a client that vanishes in the middle of a transaction.
import { createRequire } from 'node:module';
import { connect as connectTcp } from 'node:net';
import { serialize } from 'pg-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';

// pg-cursor ships no type declarations; this is the part of it the test uses.
interface PgCursor extends pg.Submittable {
  read(rows: number, callback: (err: Error | undefined, rows: Record<string, unknown>[]) => void): void;
  close(callback: (err?: Error) => void): void;
}
const Cursor = createRequire(import.meta.url)('pg-cursor') as new (text: string, values?: unknown[]) => PgCursor;

const stack = useDataApiStack();
const openClients: pg.Client[] = [];

async function connect(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(config);
  client.on('error', () => {}); // a dropped connection fails the test through its query instead
  openClients.push(client);
  await client.connect();
  return client;
}
const viaProxy = () => connect(stack().pgConfig());
const direct = () => connect(stack().directConfig());

afterEach(async () => {
  await Promise.all(openClients.splice(0).map((c) => c.end().catch(() => {})));
});

function readCursor(cursor: PgCursor, rows: number): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => cursor.read(rows, (err, result) => (err ? reject(err) : resolve(result))));
}

function closeCursor(cursor: PgCursor): Promise<void> {
  return new Promise((resolve, reject) => cursor.close((err) => (err ? reject(err) : resolve())));
}

/** The error a query fails with (the test fails if it succeeds). */
async function failure(client: pg.Client, query: string | pg.QueryConfig): Promise<pg.DatabaseError> {
  const outcome = await client.query(query as pg.QueryConfig).then(
    () => null,
    (e: pg.DatabaseError) => e,
  );
  if (outcome === null) throw new Error(`expected ${JSON.stringify(query)} to fail`);
  return outcome;
}

/** A stable, comparable form of a parsed value: -0, NaN, Dates and Buffers are told apart. */
function comparable(value: unknown): unknown {
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (Buffer.isBuffer(value)) return `Buffer(${value.toString('hex')})`;
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return 'number(-0)';
    if (!Number.isFinite(value)) return `number(${value})`;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, comparable(v)]));
  }
  return value;
}

/**
 * What node-postgres says about a result's columns. tableID and columnID are left out: the
 * Data API's columnMetadata names the table but gives no OIDs, so the proxy sends 0 for both.
 */
function fieldFacts(fields: pg.FieldDef[]) {
  return fields.map((f) => ({
    name: f.name,
    dataTypeID: f.dataTypeID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
    format: f.format,
  }));
}

/**
 * Runs one statement with every result column in binary format and returns the exact bytes of
 * each value (hex, null for NULL) with the columns' type OIDs. node-postgres decodes binary
 * values it has no parser for as UTF-8 text, which loses bytes, so the byte comparison is done
 * on the wire here.
 */
async function binaryWireRows(host: string, port: number, sql: string, values: string[]): Promise<{ oids: number[]; rows: (string | null)[][] }> {
  const socket = connectTcp({ host, port });
  let buffered = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    buffered = Buffer.concat([buffered, d]);
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<never>((_, reject) => socket.on('close', () => reject(new Error('connection closed'))));
  closed.catch(() => {});
  const nextMessage = async (): Promise<{ type: string; body: Buffer }> => {
    for (let i = 0; i < 10_000; i++) {
      if (buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
        const length = buffered.readInt32BE(1);
        const msg = { type: String.fromCharCode(buffered[0]), body: buffered.subarray(5, 1 + length) };
        buffered = buffered.subarray(1 + length);
        return msg;
      }
      await Promise.race([new Promise<void>((r) => waiters.push(r)), closed]);
    }
    throw new Error('no complete message');
  };
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(serialize.startup({ user: 'postgres', database: 'postgres' }));
    for (let m = await nextMessage(); m.type !== 'Z'; m = await nextMessage()) {
      if (m.type === 'E' || (m.type === 'R' && m.body.readInt32BE(0) !== 0)) throw new Error(`startup failed: ${m.body.toString()}`);
    }
    socket.write(
      Buffer.concat([
        serialize.parse({ text: sql }),
        serialize.bind({ values, binary: true }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      ]),
    );
    const oids: number[] = [];
    const rows: (string | null)[][] = [];
    for (let m = await nextMessage(); m.type !== 'Z'; m = await nextMessage()) {
      if (m.type === 'E') throw new Error(`query failed: ${m.body.toString()}`);
      if (m.type === 'T') {
        let at = 2;
        for (let i = 0; i < m.body.readInt16BE(0); i++) {
          at = m.body.indexOf(0, at) + 1 + 6;
          oids.push(m.body.readUInt32BE(at));
          at += 12;
          expect(m.body.readInt16BE(at - 2)).toBe(1); // binary format announced
        }
      }
      if (m.type === 'D') {
        const row: (string | null)[] = [];
        let at = 2;
        for (let i = 0; i < m.body.readInt16BE(0); i++) {
          const len = m.body.readInt32BE(at);
          at += 4;
          row.push(len < 0 ? null : m.body.subarray(at, at + len).toString('hex'));
          if (len > 0) at += len;
        }
        rows.push(row);
      }
    }
    socket.end(serialize.end());
    return { oids, rows };
  } finally {
    socket.destroy();
  }
}

// ------------------------------------------------------------------ the column-type round trip

const TYPE_COLUMN_DEFS: [string, string][] = [
  ['c_bool', 'bool'], ['c_int2', 'int2'], ['c_int4', 'int4'], ['c_int8', 'int8'], ['c_float4', 'float4'], ['c_float8', 'float8'],
  ['c_numeric_20_6', 'numeric(20,6)'], ['c_numeric', 'numeric'], ['c_text', 'text'], ['c_varchar', 'varchar(10)'], ['c_char', 'char(5)'],
  ['c_bytea', 'bytea'], ['c_date', 'date'], ['c_time', 'time'], ['c_timestamp', 'timestamp'], ['c_timestamptz', 'timestamptz'],
  ['c_uuid', 'uuid'], ['c_json', 'json'], ['c_jsonb', 'jsonb'], ['c_inet', 'inet'], ['c_int4_arr', 'int4[]'], ['c_text_arr', 'text[]'],
  ['c_float8_arr', 'float8[]'], ['c_bool_arr', 'bool[]'], ['c_timestamptz_arr', 'timestamptz[]'], ['c_mood', 'rt_mood'],
  ['c_qchar', '"char"'], ['c_interval', 'interval'], ['c_name', 'name'], ['c_oid', 'oid'], ['c_int8_arr', 'int8[]'],
  ['c_numeric_arr', 'numeric[]'], ['c_date_arr', 'date[]'], ['c_uuid_arr', 'uuid[]'],
];
const TYPE_COLUMNS = TYPE_COLUMN_DEFS.map(([name]) => name);
const TYPE_TABLE_COLUMNS = ['id int4 primary key', ...TYPE_COLUMN_DEFS.map(([name, type]) => `${name} ${type}`)].join(', ');

// int8 beyond ±2^53, scalar and in int8[], must come back exact: the Data API sends array
// elements as JSON numbers (longReturnType STRING covers scalars only), which the AWS SDK for
// JavaScript would read as doubles.
const TYPE_ROWS: unknown[][] = [
  [
    1, true, 32767, -2147483648, '9007199254740993', 1.5, 'NaN',
    '12345678901234.123456', '3.14159265358979323846264338327950288', "it's \"quoted\" \\ ünïcødé", 'short', 'ab',
    Buffer.from([0, 1, 2, 0x5c, 0xff]), '2024-02-29', '23:59:59.999999', '2024-01-02 03:04:05.678', '2024-06-07T08:09:10.123456+02:00',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2],  "b": "spaced"}', '{"b": {"c": null}, "a": 1}', '192.168.0.1/24',
    [1, null, 3], ['a', null, 'with "quote"', 'comma,here', '', 'NULL', 'back\\slash', '{braces}'], ['-0', 1e-7, 'Infinity'],
    [true, false, null], ['2024-01-01T00:00:00Z', null, '1999-12-31T23:59:59.5-08:00'], 'happy', 'x',
    '1 year 2 mons 3 days 04:05:06.5', 'a_name', 4294967295, ['9007199254740993', '-9223372036854775808', null, '1'], ['1.50', 'NaN', '-0.000001'],
    ['2024-02-29', null], ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ],
  [
    2, false, -1, 0, '-9223372036854775808', '-Infinity', '-0',
    '-0.000001', '0', '', '', '', Buffer.alloc(0), '0001-01-01', '00:00:00', '1999-12-31 23:59:59', '1970-01-01T00:00:00Z',
    '00000000-0000-0000-0000-000000000000', 'null', '[]', '::1', [], [], [1e-7, 'NaN', '-Infinity', 0.1], [], [],
    'sad', ' ', '-1 days -00:00:00.000001', '', 0, [], [], [], [],
  ],
  [3, 'on', 7, 7, 7, 'Infinity', 1e-7, '1e3', '-123.4500', 'line1\nline2\ttab', 'tenchars!!', 'abcde', Buffer.from('hello'),
    '2000-01-01', '12:00', '2038-01-19 03:14:08', '2038-01-19 03:14:08+00', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
    '"just a string"', '[1, "two", 3.0]', '10.0.0.0/8', [2147483647], ['x'], [-0.5], [false], ['infinity'], 'ok', 'q',
    'P1Y2M', 'NAME', 12345, [0], ['0.0'], ['infinity'], []],
  [4, ...TYPE_COLUMNS.map(() => null)],
];

async function createTypeTables(client: pg.Client): Promise<void> {
  await client.query("create type rt_mood as enum ('sad', 'ok', 'happy')");
  await client.query(`create table rt_via_proxy (${TYPE_TABLE_COLUMNS})`);
  await client.query(`create table rt_direct (${TYPE_TABLE_COLUMNS})`);
}

const insertSql = (table: string) =>
  `insert into ${table} (id, ${TYPE_COLUMNS.join(', ')}) values (${['id', ...TYPE_COLUMNS].map((_, i) => `$${i + 1}`).join(', ')})`;

describe('node-postgres through the Data API proxy', () => {
  it('runs parameterised queries and named prepared statements', async () => {
    const client = await viaProxy();
    const r = await client.query('select $1::int + $2::int as sum, $3::text as label, $4::timestamptz as at, $5 as untyped', [
      40,
      2,
      'answer',
      '2024-02-29T12:34:56Z',
      'plain',
    ]);
    expect(r.rows).toEqual([{ sum: 42, label: 'answer', at: new Date('2024-02-29T12:34:56Z'), untyped: 'plain' }]);
    // Untyped parameters take the type PostgreSQL infers from their context.
    const inferred = await client.query('select x from generate_series(1, 5) x where x > $1 and x <= $2 order by x', ['2', 4]);
    expect(inferred.rows).toEqual([{ x: 3 }, { x: 4 }]);

    const square = { name: 'dataapi_square', text: 'select $1::int * $1::int as sq, $2::text as tag', values: [7, 'a'] };
    expect((await client.query(square)).rows).toEqual([{ sq: 49, tag: 'a' }]);
    expect((await client.query({ ...square, values: [12, null] })).rows).toEqual([{ sq: 144, tag: null }]);
    expect((await client.query({ ...square, values: [-3, "it's"] })).rows).toEqual([{ sq: 9, tag: "it's" }]);

    await client.query('create table np_prepared (id int primary key, label text)');
    const ins = { name: 'dataapi_insert', text: 'insert into np_prepared values ($1, $2) returning id, label' };
    for (let i = 1; i <= 3; i++) {
      const res = await client.query({ ...ins, values: [i, `row ${i}`] });
      expect(res.command).toBe('INSERT');
      expect(res.rowCount).toBe(1);
      expect(res.rows).toEqual([{ id: i, label: `row ${i}` }]);
    }
    const upd = await client.query({ name: 'dataapi_update', text: 'update np_prepared set label = upper(label) where id >= $1', values: [2] });
    expect(upd.command).toBe('UPDATE');
    expect(upd.rowCount).toBe(2);
    const check = await direct();
    expect((await check.query('select id, label from np_prepared order by id')).rows).toEqual([
      { id: 1, label: 'row 1' },
      { id: 2, label: 'ROW 2' },
      { id: 3, label: 'ROW 3' },
    ]);
  });

  it('runs a lone parameterised statement as one ExecuteStatement call, with no transaction around it', async () => {
    const client = await viaProxy();
    await client.query('select 1');
    stack().emulator.resetStats();
    expect((await client.query('select $1::int * 2 as v', [21])).rows).toEqual([{ v: 42 }]);
    expect((await client.query({ name: 'dataapi_lone', text: 'select $1::text as t', values: ['x'] })).rows).toEqual([{ t: 'x' }]);
    const { calls } = stack().emulator.stats();
    expect({ execute: calls.ExecuteStatement, begin: calls.BeginTransaction, commit: calls.CommitTransaction }).toEqual({
      execute: 2,
      begin: 0,
      commit: 0,
    });
  });

  it(`round-trips ${TYPE_COLUMNS.length} column types: same rows and fields as PostgreSQL, text and binary`, async () => {
    expect(TYPE_COLUMNS.length).toBeGreaterThanOrEqual(25);
    const setup = await direct();
    await createTypeTables(setup);
    const client = await viaProxy();
    for (const row of TYPE_ROWS) {
      const res = await client.query(insertSql('rt_via_proxy'), row);
      expect(res.rowCount).toBe(1);
      await setup.query(insertSql('rt_direct'), row);
    }
    // What the proxy stored is what PostgreSQL stores for the same parameters.
    const stored = (table: string) => setup.query(`select ${table}::text as r from ${table} order by id`);
    const storedViaProxy = (await stored('rt_via_proxy')).rows.map((r) => (r.r as string).replace(/^\(\d+,/, '('));
    const storedDirect = (await stored('rt_direct')).rows.map((r) => (r.r as string).replace(/^\(\d+,/, '('));
    expect(storedViaProxy).toEqual(storedDirect);
    expect(storedViaProxy).toHaveLength(TYPE_ROWS.length);

    const select = 'select * from rt_via_proxy where id >= $1 order by id';
    const throughProxy = await client.query(select, [1]);
    const fromPostgres = await setup.query(select, [1]);
    expect(comparable(throughProxy.rows)).toEqual(comparable(fromPostgres.rows));
    expect(throughProxy.rows).toHaveLength(TYPE_ROWS.length);
    // One known difference: an enum column is announced as text (OID 25), since the Data API's
    // columnMetadata names the enum but does not give its OID. Everything else is identical.
    const proxyFields = fieldFacts(throughProxy.fields);
    const pgFields = fieldFacts(fromPostgres.fields);
    const moodAt = pgFields.findIndex((f) => f.name === 'c_mood');
    expect(proxyFields[moodAt]).toMatchObject({ name: 'c_mood', dataTypeID: 25 });
    expect(proxyFields.filter((_, i) => i !== moodAt)).toEqual(pgFields.filter((_, i) => i !== moodAt));

    // The simple protocol (no parameters) gives the same answer.
    const simple = await client.query('select * from rt_via_proxy order by id');
    expect(comparable(simple.rows)).toEqual(comparable(fromPostgres.rows));

    // Binary results through node-postgres (`binary: true`), for the types it has binary
    // parsers for (it reads other binary values as UTF-8 text, which garbles them).
    const parsedInBinary = ['id', 'c_bool', 'c_int2', 'c_int4', 'c_int8', 'c_float4', 'c_float8', 'c_numeric_20_6', 'c_numeric',
      'c_text', 'c_varchar', 'c_char', 'c_name', 'c_json', 'c_timestamp', 'c_timestamptz', 'c_oid', 'c_mood'];
    const binarySelect = { text: `select ${parsedInBinary.join(', ')} from rt_via_proxy where id >= $1 order by id`, values: [1], binary: true };
    const binaryProxy = await client.query(binarySelect);
    const binaryPostgres = await setup.query(binarySelect);
    expect(binaryProxy.fields.every((f) => f.format === 'binary')).toBe(true);
    expect(comparable(binaryProxy.rows)).toEqual(comparable(binaryPostgres.rows));
    expect(fieldFacts(binaryProxy.fields).filter((f) => f.name !== 'c_mood')).toEqual(
      fieldFacts(binaryPostgres.fields).filter((f) => f.name !== 'c_mood'),
    );

    // And byte for byte on the wire, for every column the proxy encodes in binary: all but
    // inet, "char" and interval, whose binary forms it does not produce (0A000, asking for text).
    const wireColumns = ['id', ...TYPE_COLUMNS.filter((c) => !['c_inet', 'c_qchar', 'c_interval'].includes(c))];
    const wireSql = `select ${wireColumns.join(', ')} from rt_via_proxy where id >= $1 order by id`;
    const wireProxy = await binaryWireRows(stack().proxy.host, stack().proxy.port, wireSql, ['1']);
    const wirePostgres = await binaryWireRows(stack().db.host, stack().db.port, wireSql, ['1']);
    expect(wireProxy.rows).toHaveLength(TYPE_ROWS.length);
    for (let r = 0; r < wirePostgres.rows.length; r++) {
      for (let c = 0; c < wireColumns.length; c++) {
        expect({ row: r + 1, column: wireColumns[c], bytes: wireProxy.rows[r][c] }).toEqual({
          row: r + 1,
          column: wireColumns[c],
          bytes: wirePostgres.rows[r][c],
        });
      }
    }
    expect(wireProxy.oids.filter((_, i) => wireColumns[i] !== 'c_mood')).toEqual(wirePostgres.oids.filter((_, i) => wireColumns[i] !== 'c_mood'));
  });

  it('reads 10 000 rows through pg-cursor in pages of 500', async () => {
    const client = await viaProxy();
    const cursor = client.query(new Cursor("select g as n, md5(g::text) as h, repeat('y', g % 50) as pad from generate_series(1, 10000) g where g > $1", [0]));
    const pages: number[] = [];
    let last = 0;
    for (let i = 0; i < 25; i++) {
      const rows = await readCursor(cursor, 500);
      if (rows.length === 0) break;
      pages.push(rows.length);
      for (const row of rows) {
        expect(row.n).toBe(last + 1);
        last = row.n as number;
      }
      expect(rows[rows.length - 1].pad).toBe('y'.repeat(last % 50));
    }
    await closeCursor(cursor);
    expect(pages).toEqual(Array(20).fill(500));
    expect(last).toBe(10000);
    // The session is usable after the cursor, and the cursor left no transaction behind.
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(stack().emulator.stats().openTransactions).toBe(0);

    // The same inside an explicit transaction.
    await client.query('begin');
    const inTx = client.query(new Cursor('select g as n from generate_series(1, 10000) g'));
    let total = 0;
    for (let i = 0; i < 25; i++) {
      const rows = await readCursor(inTx, 500);
      if (rows.length === 0) break;
      total += rows.length;
    }
    await closeCursor(inTx);
    await client.query('commit');
    expect(total).toBe(10000);
  });

  it('reports errors with SQLSTATE and position like PostgreSQL, and the connection keeps working', async () => {
    const setup = await direct();
    await setup.query('create table np_errors (id int primary key, name text)');
    const client = await viaProxy();
    const cases: (string | pg.QueryConfig)[] = [
      'select nosuchcolumn from np_errors',
      { text: 'select nosuchcolumn from np_errors where id = $1', values: [1] },
      'select id, name from np_errors whre id = 1',
      { text: 'select id, name from np_errors whre id = $1', values: [1] },
      'selec 1',
      'select 1/0',
      { text: 'select $1::int / 0', values: [1] },
      'select * from no_such_table_anywhere',
      "insert into np_errors values (1, 'a'), (1, 'b')",
      "select 'abc'::int",
      '   select\n  1,\n  nosuch_on_line_3',
    ];
    for (const query of cases) {
      const got = await failure(client, query);
      const want = await failure(setup, query);
      const label = typeof query === 'string' ? query : query.text;
      expect({ label, code: got.code, message: got.message, position: got.position, severity: got.severity }).toEqual({
        label,
        code: want.code,
        message: want.message,
        position: want.position,
        severity: want.severity,
      });
      expect((await client.query('select 42 as answer')).rows).toEqual([{ answer: 42 }]);
    }
    const missing = await failure(client, 'select nosuchcolumn from np_errors');
    expect(missing.code).toBe('42703');
    expect(missing.position).toBe('8');
    const syntax = await failure(client, 'select id from np_errors whre id = 1');
    expect(syntax.code).toBe('42601');
    expect(syntax.position).toBe('31');
    // Detail and constraint of a unique violation survive the Data API's error text.
    const dup = await failure(client, "insert into np_errors values (5, 'a'), (5, 'b')");
    expect(dup.code).toBe('23505');
    expect(dup.message).toBe('duplicate key value violates unique constraint "np_errors_pkey"');

    // An error inside a transaction aborts it until ROLLBACK, as PostgreSQL does.
    await client.query('begin');
    await client.query("insert into np_errors values (10, 'kept?')");
    expect((await failure(client, 'select nosuchcolumn from np_errors')).code).toBe('42703');
    const aborted = await failure(client, 'select 1');
    expect(aborted.code).toBe('25P02');
    expect(aborted.message).toBe('current transaction is aborted, commands ignored until end of transaction block');
    await client.query('rollback');
    expect((await client.query('select count(*)::int as n from np_errors')).rows).toEqual([{ n: 0 }]);
  });

  it('keeps SET search_path and statement_timeout for the session, in and out of transactions, until RESET', async () => {
    const setup = await direct();
    await setup.query('create schema np_app');
    await setup.query("create table np_app.only_here (v text); insert into np_app.only_here values ('found')");
    const client = await viaProxy();
    const show = async (name: string) => (await client.query(`show ${name}`)).rows[0][name] as string;

    expect(await show('search_path')).toBe('"$user", public');
    await client.query('set search_path to np_app, public');
    expect(await show('search_path')).toBe('np_app, public');
    // Later statements, autocommit or in a transaction, resolve names through the setting.
    expect((await client.query('select v from only_here')).rows).toEqual([{ v: 'found' }]);
    expect((await client.query('select v from only_here where v = $1', ['found'])).rows).toEqual([{ v: 'found' }]);
    expect((await client.query('select current_schema() as s')).rows).toEqual([{ s: 'np_app' }]);
    await client.query('begin');
    expect(await show('search_path')).toBe('np_app, public');
    expect((await client.query('select v from only_here')).rows).toEqual([{ v: 'found' }]);
    await client.query('commit');

    await client.query("set statement_timeout = '150ms'");
    expect(await show('statement_timeout')).toBe('150ms');
    const timedOut = await failure(client, 'select pg_sleep(3)');
    expect(timedOut.code).toBe('57014');
    expect(timedOut.message).toBe('canceling statement due to statement timeout');
    expect(await show('search_path')).toBe('np_app, public');

    // SET LOCAL lasts until the end of its transaction; a SET in a rolled-back transaction is undone.
    await client.query('begin');
    await client.query("set local statement_timeout = '5s'");
    expect(await show('statement_timeout')).toBe('5s');
    await client.query('commit');
    expect(await show('statement_timeout')).toBe('150ms');
    await client.query('begin');
    await client.query('set search_path to public');
    expect(await show('search_path')).toBe('public');
    await client.query('rollback');
    expect(await show('search_path')).toBe('np_app, public');
    await client.query('begin');
    await client.query("set statement_timeout = '7s'");
    await client.query('commit');
    expect(await show('statement_timeout')).toBe('7s');

    await client.query('reset statement_timeout');
    expect(await show('statement_timeout')).toBe('0');
    expect((await client.query('select pg_sleep(0.3), 1 as done')).rows[0].done).toBe(1);
    await client.query('reset search_path');
    expect(await show('search_path')).toBe('"$user", public');
    const gone = await failure(client, 'select v from only_here');
    expect(gone.code).toBe('42P01');

    // Settings the proxy answers itself roll back too (at the error already, as PostgreSQL
    // undoes an aborted transaction's settings at once), with the same ParameterStatus messages.
    const rollbackScript = [
      "set application_name = 'before'",
      'begin',
      "set application_name = 'inside'",
      'savepoint s1',
      "set application_name = 'after_savepoint'",
      'rollback to savepoint s1',
      'show application_name',
      'savepoint s2',
      "set application_name = 'doomed'",
      'select 1/0',
      'rollback to s2',
      'show application_name',
      'rollback',
      'show application_name',
      'begin',
      "set application_name = 'failing'",
      'select nosuch',
      'rollback',
      'show application_name',
    ];
    // ParameterStatus messages and query results are recorded apart: node-postgres reports an
    // error the moment it arrives, so how the two interleave depends on how TCP cuts the bytes,
    // for PostgreSQL itself as much as for the proxy.
    const replay = async (c: pg.Client) => {
      const statuses: string[] = [];
      const results: string[] = [];
      (c as unknown as { connection: NodeJS.EventEmitter }).connection.on('parameterStatus', (m: { parameterName: string; parameterValue: string }) => {
        if (m.parameterName === 'application_name') statuses.push(`status ${m.parameterValue}`);
      });
      for (const q of rollbackScript) {
        const r = await c.query(q).then(
          (res) => (q.startsWith('show') ? `show ${res.rows[0].application_name}` : null),
          (e: pg.DatabaseError) => `error ${e.code}`,
        );
        if (r) results.push(r);
      }
      return { statuses, results };
    };
    const viaProxyEvents = await replay(await viaProxy());
    expect(viaProxyEvents).toEqual(await replay(await direct()));
    expect(viaProxyEvents.results.filter((e) => e.startsWith('show'))).toEqual(['show inside', 'show inside', 'show before', 'show before']);

    // Another session never sees this one's settings.
    await client.query('set search_path to np_app');
    const other = await viaProxy();
    expect((await other.query('show search_path')).rows[0].search_path).toBe('"$user", public');
  });

  it('rolls back to a savepoint inside a transaction, also after an error', async () => {
    const client = await viaProxy();
    await client.query('create table np_savepoints (id int primary key)');
    await client.query('begin');
    await client.query('insert into np_savepoints values (1)');
    await client.query('savepoint a');
    await client.query('insert into np_savepoints values (2)');
    await client.query('rollback to savepoint a');
    await client.query('insert into np_savepoints values (3)');
    await client.query('savepoint b');
    expect((await failure(client, 'insert into np_savepoints values (1)')).code).toBe('23505');
    expect((await failure(client, 'insert into np_savepoints values (99)')).code).toBe('25P02');
    await client.query('rollback to b');
    await client.query('insert into np_savepoints values (4)');
    await client.query('release savepoint b');
    expect((await client.query('select array_agg(id order by id) as ids from np_savepoints')).rows).toEqual([{ ids: [1, 3, 4] }]);
    await client.query('commit');
    const check = await direct();
    expect((await check.query('select array_agg(id order by id) as ids from np_savepoints')).rows).toEqual([{ ids: [1, 3, 4] }]);
    // Outside a transaction a savepoint is an error, as on PostgreSQL.
    expect((await failure(client, 'savepoint c')).code).toBe('25P01');
  });

  it('rolls back the open transaction of a client that disconnects without a word', async () => {
    const setup = await direct();
    await setup.query('create table np_abandoned (id int primary key)');
    expect(stack().emulator.stats().openTransactions).toBe(0);
    const client = await viaProxy();
    await client.query('begin');
    await client.query('insert into np_abandoned values (1), (2), (3)');
    expect((await client.query('select count(*)::int as n from np_abandoned')).rows).toEqual([{ n: 3 }]);
    expect(stack().emulator.stats().openTransactions).toBe(1);
    // Drop the TCP connection with no Terminate message.
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

    let open = -1;
    for (let i = 0; i < 100; i++) {
      open = stack().emulator.stats().openTransactions;
      if (open === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(open).toBe(0);
    expect((await setup.query('select count(*)::int as n from np_abandoned')).rows).toEqual([{ n: 0 }]);
    // The rows are not locked either: another client can insert the same keys.
    const again = await viaProxy();
    await again.query('insert into np_abandoned values (1)');
    expect((await setup.query('select count(*)::int as n from np_abandoned')).rows).toEqual([{ n: 1 }]);
  });
});
