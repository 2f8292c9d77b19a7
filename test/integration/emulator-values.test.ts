// ExecuteStatement through the real SDK: values and columnMetadata for the supported types, the
// text binding of stringValue, typeHints, unsupported results and the JSON record format.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ExecuteStatementCommand, type ExecuteStatementCommandInput, type RDSDataClient } from '@aws-sdk/client-rds-data';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { ARNS, CREDENTIALS, failureOf, sdkClient } from './emulator-setup.js';

let db: ThrowawayPostgres;
let emulator: RunningEmulator;
let client: RDSDataClient;

const exec = (input: Omit<ExecuteStatementCommandInput, 'resourceArn' | 'secretArn'>) =>
  client.send(new ExecuteStatementCommand({ ...ARNS, ...input }));

beforeAll(async () => {
  db = await startPostgres();
  const setup = new pg.Client({ connectionString: db.url });
  setup.on('error', () => undefined);
  await setup.connect();
  await setup.query(`
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE TABLE typed (
      id serial PRIMARY KEY, big bigserial, small int2 NOT NULL DEFAULT 1, i int4, b int8, r real,
      d float8, n numeric(10,4), nn numeric, t text, vc varchar(20), c char(3), nm name, bo bool,
      u uuid, j json, jb jsonb, dt date, tm time, ts timestamp, tstz timestamptz, by bytea, ia int4[],
      ta text[], ba bool[], fa float8[], na numeric[], tsa timestamp[], o oid, ip inet, m mood
    );
    INSERT INTO typed (small, i, b, r, d, n, nn, t, vc, c, nm, bo, u, j, jb, dt, tm, ts, tstz, by, ia, ta, ba, fa, na, tsa, o, ip, m)
    VALUES (7, -42, 9007199254740993, 1.5, 2.25, 19.9900, 123456.7890, 'text', 'varchar', 'ab', 'nm', true,
            'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '{"b": [1, 2]}', '2024-02-29', '12:34:56.789',
            '2022-04-06 22:58:48.990', '2024-01-15 12:34:56.500+09', '\\x00ff10', '{1,NULL,3}', '{"a b",NULL,"c"}',
            '{t,f}', '{1.5,NULL}', '{1.10,2}', '{"2020-01-01 00:00:00.100"}', 12345, '10.0.0.1/8', 'happy');
    INSERT INTO typed (small) VALUES (8);
    CREATE TABLE people (id serial PRIMARY KEY, name text NOT NULL, age int4);
    INSERT INTO people (name, age) VALUES ('ann', 30), ('bob', 40);
  `);
  await setup.query('CREATE DATABASE other');
  await setup.end();
  emulator = await startEmulator({ postgresUrl: db.url, credentials: CREDENTIALS });
  client = sdkClient(emulator.url);
});

afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
  await db?.stop();
});

describe('ExecuteStatement values', () => {
  it('returns each supported type as the service does', async () => {
    const r = await exec({ sql: 'SELECT * FROM typed ORDER BY id' });
    expect(r.numberOfRecordsUpdated).toBe(0);
    expect(r.columnMetadata).toBeUndefined();
    const [row, nullRow] = r.records!;
    const byName = Object.fromEntries(
      ['id', 'big', 'small', 'i', 'b', 'r', 'd', 'n', 'nn', 't', 'vc', 'c', 'nm', 'bo', 'u', 'j', 'jb', 'dt', 'tm', 'ts', 'tstz', 'by', 'ia', 'ta', 'ba', 'fa', 'na', 'tsa', 'o', 'ip', 'm'].map(
        (name, i) => [name, row[i]],
      ),
    );
    expect(byName.id).toEqual({ longValue: 1 });
    expect(byName.small).toEqual({ longValue: 7 });
    expect(byName.i).toEqual({ longValue: -42 });
    expect(byName.r).toEqual({ doubleValue: 1.5 });
    expect(byName.d).toEqual({ doubleValue: 2.25 });
    expect(byName.n).toEqual({ stringValue: '19.9900' });
    expect(byName.nn).toEqual({ stringValue: '123456.7890' });
    expect(byName.t).toEqual({ stringValue: 'text' });
    expect(byName.vc).toEqual({ stringValue: 'varchar' });
    expect(byName.c).toEqual({ stringValue: 'ab ' });
    expect(byName.nm).toEqual({ stringValue: 'nm' });
    expect(byName.bo).toEqual({ booleanValue: true });
    expect(byName.u).toEqual({ stringValue: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' });
    expect(byName.j).toEqual({ stringValue: '{"a": 1}' });
    expect(byName.jb).toEqual({ stringValue: '{"b": [1, 2]}' });
    expect(byName.dt).toEqual({ stringValue: '2024-02-29' });
    expect(byName.tm).toEqual({ stringValue: '12:34:56.789' });
    expect(byName.ts).toEqual({ stringValue: '2022-04-06 22:58:48.99' });
    expect(byName.tstz).toEqual({ stringValue: '2024-01-15 03:34:56.5' });
    expect([...(byName.by.blobValue as Uint8Array)]).toEqual([0x00, 0xff, 0x10]);
    expect(byName.ia).toEqual({ arrayValue: { longValues: [1, null, 3] } });
    expect(byName.ta).toEqual({ arrayValue: { stringValues: ['a b', null, 'c'] } });
    expect(byName.ba).toEqual({ arrayValue: { booleanValues: [true, false] } });
    expect(byName.fa).toEqual({ arrayValue: { doubleValues: [1.5, null] } });
    expect(byName.na).toEqual({ arrayValue: { stringValues: ['1.10', '2'] } });
    expect(byName.tsa).toEqual({ arrayValue: { stringValues: ['2020-01-01 00:00:00.1'] } });
    expect(byName.o).toEqual({ stringValue: '12345' });
    expect(byName.ip).toEqual({ stringValue: '10.0.0.1/8' });
    expect(byName.m).toEqual({ stringValue: 'happy' });
    expect(nullRow[3]).toEqual({ isNull: true });
    expect(nullRow[22]).toEqual({ isNull: true });
  });

  it('keeps every digit of an int8 when longReturnType is STRING', async () => {
    const r = await exec({ sql: 'SELECT b, n FROM typed WHERE id = 1', resultSetOptions: { longReturnType: 'STRING', decimalReturnType: 'DOUBLE_OR_LONG' } });
    expect(r.records![0]).toEqual([{ stringValue: '9007199254740993' }, { doubleValue: 19.99 }]);
    const whole = await exec({ sql: 'SELECT 150::numeric AS n', resultSetOptions: { decimalReturnType: 'DOUBLE_OR_LONG' } });
    expect(whole.records![0]).toEqual([{ longValue: 150 }]);
  });

  it('answers void and counts as the service does', async () => {
    const r = await exec({ sql: "SELECT pg_catalog.pg_sleep(0) AS v, count(*) AS n FROM typed" });
    expect(r.records![0]).toEqual([{ stringValue: '' }, { longValue: 2 }]);
    const update = await exec({ sql: "UPDATE people SET age = age + 1 WHERE name <> 'nobody'" });
    expect(update.numberOfRecordsUpdated).toBe(2);
    expect(update.records).toBeUndefined();
    expect(update.generatedFields).toEqual([]);
  });
});

describe('columnMetadata', () => {
  it('describes table columns as pgJDBC does', async () => {
    const r = await exec({ sql: 'SELECT id, big, small, n, vc, ia, tstz, by, j, t AS renamed, 1 + 1 AS two FROM typed', includeResultMetadata: true });
    const meta = Object.fromEntries(r.columnMetadata!.map((m) => [m.label, m]));
    expect(meta.id).toMatchObject({ name: 'id', typeName: 'serial', type: 4, isAutoIncrement: true, nullable: 0, tableName: 'typed', schemaName: '', precision: 10, scale: 0, isSigned: true, isCaseSensitive: false });
    expect(meta.big).toMatchObject({ typeName: 'bigserial', type: -5, isAutoIncrement: true });
    expect(meta.small).toMatchObject({ typeName: 'int2', type: 5, isAutoIncrement: false, nullable: 0 });
    expect(meta.n).toMatchObject({ typeName: 'numeric', type: 2, precision: 10, scale: 4, nullable: 1 });
    expect(meta.vc).toMatchObject({ typeName: 'varchar', type: 12, precision: 20, isCaseSensitive: true, isSigned: false });
    expect(meta.ia).toMatchObject({ typeName: '_int4', type: 2003, arrayBaseColumnType: 0 });
    expect(meta.tstz).toMatchObject({ typeName: 'timestamptz', type: 93, scale: 6 });
    expect(meta.by).toMatchObject({ typeName: 'bytea', type: -2, precision: 2147483647 });
    expect(meta.j).toMatchObject({ typeName: 'json', type: 1111 });
    expect(meta.renamed).toMatchObject({ name: 'renamed', typeName: 'text', precision: 2147483647, tableName: 'typed' });
    expect(meta.two).toMatchObject({ typeName: 'int4', nullable: 2, tableName: '', isAutoIncrement: false });
  });

  it('is only present for statements that return rows', async () => {
    const empty = await exec({ sql: 'SELECT id FROM people WHERE false', includeResultMetadata: true });
    expect(empty.records).toEqual([]);
    expect(empty.columnMetadata).toHaveLength(1);
    const update = await exec({ sql: 'UPDATE people SET age = age WHERE false', includeResultMetadata: true });
    expect(update.columnMetadata).toBeUndefined();
    expect(update.numberOfRecordsUpdated).toBe(0);
  });
});

describe('parameters', () => {
  it('binds a stringValue as text, so comparing it to an integer fails like the service', async () => {
    const err = await failureOf(exec({ sql: 'SELECT * FROM people WHERE id = :id', parameters: [{ name: 'id', value: { stringValue: '1' } }] }));
    expect(err.name).toBe('DatabaseErrorException');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(err.message).toBe(
      'ERROR: operator does not exist: integer = text; Hint: No operator matches the given name and argument types. You might need to add explicit type casts.; Position: 31; SQLState: 42883',
    );
  });

  it('binds each Field kind and accepts explicit casts', async () => {
    const r = await exec({
      sql: 'SELECT :s AS s, :l AS l, :d AS d, :b AS b, :blob AS blob, :n::int4 AS n, :s::text || :s AS twice',
      parameters: [
        { name: 's', value: { stringValue: 'x' } },
        { name: 'l', value: { longValue: 5 } },
        { name: 'd', value: { doubleValue: 0.5 } },
        { name: 'b', value: { booleanValue: false } },
        { name: 'blob', value: { blobValue: new Uint8Array([9, 8]) } },
        { name: 'n', value: { isNull: true } },
      ],
      includeResultMetadata: true,
    });
    const [s, l, d, b, blob, n, twice] = r.records![0];
    expect([s, l, d, b, n, twice]).toEqual([{ stringValue: 'x' }, { longValue: 5 }, { doubleValue: 0.5 }, { booleanValue: false }, { isNull: true }, { stringValue: 'xx' }]);
    expect([...(blob.blobValue as Uint8Array)]).toEqual([9, 8]);
    expect(r.columnMetadata!.map((m) => m.typeName)).toEqual(['text', 'int8', 'float8', 'bool', 'bytea', 'int4', 'text']);
  });

  it('applies typeHints', async () => {
    const r = await exec({
      sql: 'SELECT :d AS d, :t AS t, :ts AS ts, :dec AS dec, :j AS j, :u AS u',
      parameters: [
        { name: 'd', value: { stringValue: '2024-01-02' }, typeHint: 'DATE' },
        { name: 't', value: { stringValue: '10:11:12.5' }, typeHint: 'TIME' },
        { name: 'ts', value: { stringValue: '2024-01-02 03:04:05.120' }, typeHint: 'TIMESTAMP' },
        { name: 'dec', value: { stringValue: '12.340' }, typeHint: 'DECIMAL' },
        { name: 'j', value: { stringValue: '{"k":true}' }, typeHint: 'JSON' },
        { name: 'u', value: { stringValue: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' }, typeHint: 'UUID' },
      ],
      includeResultMetadata: true,
    });
    expect(r.columnMetadata!.map((m) => m.typeName)).toEqual(['date', 'time', 'timestamp', 'numeric', 'json', 'uuid']);
    expect(r.records![0]).toEqual([
      { stringValue: '2024-01-02' },
      { stringValue: '10:11:12.5' },
      { stringValue: '2024-01-02 03:04:05.12' },
      { stringValue: '12.340' },
      { stringValue: '{"k":true}' },
      { stringValue: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
    ]);
    const ok = await exec({ sql: 'SELECT count(*) FROM typed WHERE u = :u', parameters: [{ name: 'u', value: { stringValue: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' }, typeHint: 'UUID' }] });
    expect(ok.records![0]).toEqual([{ longValue: 1 }]);
  });

  it('scans placeholders like the service: not inside quotes, but inside $$', async () => {
    const r = await exec({ sql: "SELECT ':a' AS q, $$x :a y$$ AS dollar -- :a\n", parameters: [{ name: 'a', value: { stringValue: 'v' } }] });
    expect(r.records![0]).toEqual([{ stringValue: ':a' }, { stringValue: 'x $1 y' }]);
  });

  it('reads an array slice as a placeholder, failing like the service', async () => {
    const err = await failureOf(exec({ sql: 'SELECT (ARRAY[1,2,3])[1:2]' }));
    expect(err.message).toBe('ERROR: syntax error at or near "$1"; Position: 24; SQLState: 42601');
  });

  it('rejects array parameters', async () => {
    const err = await failureOf(exec({ sql: 'SELECT :a', parameters: [{ name: 'a', value: { arrayValue: { longValues: [1] } } }] }));
    expect([err.name, err.message, err.$metadata?.httpStatusCode]).toEqual(['ValidationException', 'Array parameters are not supported.', 400]);
  });
});

describe('statements and errors', () => {
  it('allows one statement with a trailing semicolon and rejects several', async () => {
    expect((await exec({ sql: 'SELECT 1;' })).records).toEqual([[{ longValue: 1 }]]);
    const err = await failureOf(exec({ sql: 'SELECT 1; SELECT 2' }));
    expect([err.name, err.message, err.$metadata?.httpStatusCode]).toEqual(['ValidationException', "Multistatements aren't supported.", 400]);
  });

  it('formats database errors with Position and SQLState, without Detail', async () => {
    const missing = await failureOf(exec({ sql: 'select * from no_such_table_xyz' }));
    expect(missing.message).toBe('ERROR: relation "no_such_table_xyz" does not exist; Position: 15; SQLState: 42P01');
    const notNull = await failureOf(exec({ sql: 'INSERT INTO people (name) VALUES (NULL)' }));
    expect(notNull.message).toBe('ERROR: null value in column "name" of relation "people" violates not-null constraint; SQLState: 23502');
  });

  it('rejects the unsupported result types and multidimensional arrays', async () => {
    for (const [sql, type] of [
      ["SELECT '1 day'::interval", 'interval'],
      ['SELECT \'a\'::"char"', 'char'],
      ["SELECT '<a/>'::xml", 'xml'],
      ['SELECT 1::money', 'money'],
      ["SELECT '(1,2)'::point", 'point'],
    ]) {
      const err = await failureOf(exec({ sql }));
      expect([err.name, err.message]).toEqual(['UnsupportedResultException', `The result contains the unsupported data type ${type}`]);
    }
    const multi = await failureOf(exec({ sql: "SELECT '{{1,2},{3,4}}'::int4[]" }));
    expect([multi.name, multi.message]).toEqual(['UnsupportedResultException', 'The result contains a multidimensional array']);
    // Without a value to convert there is nothing unsupported to return.
    const none = await exec({ sql: "SELECT '1 day'::interval AS iv WHERE false", includeResultMetadata: true });
    expect(none.columnMetadata![0].typeName).toBe('interval');
    expect((await exec({ sql: "SELECT '1 day'::interval::text" })).records).toEqual([[{ stringValue: '1 day' }]]);
  });

  it('fails a result holding an infinite timestamp with a bare InternalFailure', async () => {
    const err = await failureOf(exec({ sql: "SELECT 'infinity'::timestamptz" }));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['InternalFailure', 500]);
  });

  it('validates required members and rejects the schema parameter', async () => {
    const err = await failureOf(client.send(new ExecuteStatementCommand({ resourceArn: ARNS.resourceArn, secretArn: ARNS.secretArn, sql: undefined })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe("1 validation error detected: Value null at 'sql' failed to satisfy constraint: Member must not be null");
    const schema = await failureOf(exec({ sql: 'SELECT 1', schema: 'public' }));
    expect([schema.name, schema.message]).toEqual(['ValidationException', "The schema parameter isn't supported"]);
  });
});

describe('databases and sessions', () => {
  it('selects the database named in the request', async () => {
    expect((await exec({ sql: 'SELECT current_database()', database: 'other' })).records).toEqual([[{ stringValue: 'other' }]]);
    expect((await exec({ sql: 'SELECT current_database()' })).records).toEqual([[{ stringValue: 'postgres' }]]);
    const err = await failureOf(exec({ sql: 'SELECT 1', database: 'no_such_db' }));
    expect([err.name, err.message]).toEqual(['DatabaseErrorException', 'FATAL: database "no_such_db" does not exist; SQLState: 3D000']);
  });

  it('does not let session state outlive a call outside a transaction', async () => {
    await exec({ sql: "SET application_name = 'leaky'" });
    await exec({ sql: 'CREATE TEMP TABLE scratch (x int)' });
    const r = await exec({ sql: "SELECT current_setting('application_name'), to_regclass('pg_temp.scratch')::text, current_setting('TimeZone')" });
    expect(r.records![0]).toEqual([{ stringValue: 'rds-data-emulator' }, { isNull: true }, { stringValue: 'UTC' }]);
  });
});

describe('formatRecordsAs JSON', () => {
  it('returns formattedRecords keyed by label, without records or metadata', async () => {
    const r = await exec({
      sql: "SELECT 17 AS a, 10.0::float8 AS f, 2.50::numeric AS n, true AS t, NULL::text AS z, '\\x68656c6c6f'::bytea AS blob, ARRAY[1,2] AS arr, (-9223372036854775808)::int8 AS min",
      formatRecordsAs: 'JSON',
      includeResultMetadata: true,
    });
    expect(r.records).toBeUndefined();
    expect(r.columnMetadata).toBeUndefined();
    expect(r.formattedRecords).toBe('[{"a":17,"f":10.0,"n":"2.50","t":true,"z":null,"blob":"aGVsbG8=","arr":[1,2],"min":-9223372036854775808}]');
    const typed = await exec({ sql: 'SELECT 2.50::numeric AS n, 5::int8 AS l', formatRecordsAs: 'JSON', resultSetOptions: { decimalReturnType: 'DOUBLE_OR_LONG', longReturnType: 'STRING' } });
    expect(typed.formattedRecords).toBe('[{"n":2.5,"l":"5"}]');
  });

  it('refuses duplicate column labels', async () => {
    const err = await failureOf(exec({ sql: 'SELECT 1 AS a, 2 AS a', formatRecordsAs: 'JSON' }));
    expect(err.name).toBe('UnsupportedResultException');
  });
});
