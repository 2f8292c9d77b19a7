// The schema, table, column, data type and constraint fields of database errors: each error
// kind runs straight against PostgreSQL 15 and through the proxy (Data API emulator, which like
// the live service returns only the message text), and node-postgres must see the same fields.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';

const stack = useDataApiStack();

const SCHEMA = `
  CREATE SCHEMA es;
  CREATE TABLE es.parent (id int PRIMARY KEY, code text UNIQUE, v int CHECK (v > 0), n text NOT NULL);
  CREATE TABLE es.child (id int PRIMARY KEY, pid int REFERENCES es.parent(id), x int);
  CREATE UNIQUE INDEX child_x_uidx ON es.child (x);
  CREATE DOMAIN es.posint AS int CHECK (VALUE > 0);
  CREATE DOMAIN es.nn AS int NOT NULL;
  CREATE DOMAIN public_posint AS int CONSTRAINT public_posint_positive CHECK (VALUE > 0);
  CREATE TABLE es.dt (id int, p es.posint);
  CREATE TABLE es.ex (r int4range, EXCLUDE USING gist (r WITH &&));
  CREATE TABLE es."Mixed Case" (id int PRIMARY KEY, "Col X" int NOT NULL);
  CREATE TABLE es.parted (k int NOT NULL) PARTITION BY RANGE (k);
  CREATE TABLE es.parted_low PARTITION OF es.parted FOR VALUES FROM (0) TO (10);
  CREATE SCHEMA a; CREATE SCHEMA b;
  CREATE TABLE a.items (id int PRIMARY KEY, ref int);
  CREATE TABLE b.items (id int PRIMARY KEY, ref int);
  CREATE TABLE public.dup_t (a int);
  INSERT INTO es.parent VALUES (1, 'a', 1, 'x');
  INSERT INTO es.child VALUES (1, 1, 1);
  INSERT INTO es.ex VALUES ('[1,5)');
  INSERT INTO es."Mixed Case" VALUES (1, 1);
  INSERT INTO a.items VALUES (1, 1); INSERT INTO b.items VALUES (1, 1);
`;

/** Each case: set-up statements run first on the same connection, then the failing statement. */
const CASES: { name: string; sql: string; values?: unknown[]; before?: string[] }[] = [
  { name: '23505 primary key', sql: "INSERT INTO es.parent VALUES (1, 'b', 1, 'x')" },
  { name: '23505 unique constraint', sql: "INSERT INTO es.parent VALUES (2, 'a', 1, 'x')" },
  { name: '23505 unique index without a constraint', sql: 'INSERT INTO es.child VALUES (2, 1, 1)' },
  { name: '23505 with parameters (extended protocol)', sql: 'INSERT INTO es.parent VALUES ($1, $2, $3, $4)', values: [1, 'z', 1, 'x'] },
  { name: '23505 mixed-case names', sql: 'INSERT INTO es."Mixed Case" VALUES (1, 2)' },
  { name: '23514 check constraint', sql: "INSERT INTO es.parent VALUES (2, 'b', 0, 'x')" },
  { name: '23514 check added over existing rows', sql: 'ALTER TABLE es.child ADD CONSTRAINT chk CHECK (id > 5)' },
  { name: '23514 partition constraint', sql: 'INSERT INTO es.parted_low VALUES (50)' },
  { name: '23514 domain check (qualified domain)', sql: 'INSERT INTO es.dt VALUES (1, 0)' },
  { name: '23514 domain check (visible domain)', sql: 'SELECT 0::public_posint' },
  { name: '23502 not-null column', sql: "INSERT INTO es.parent VALUES (2, 'b', 1, NULL)" },
  { name: '23502 mixed-case column', sql: 'INSERT INTO es."Mixed Case" VALUES (2, NULL)' },
  { name: '23502 NOT NULL column added over existing rows', sql: 'ALTER TABLE es.parent ADD COLUMN z int NOT NULL' },
  { name: '23502 domain not null', sql: 'SELECT NULL::es.nn' },
  { name: '23503 insert without the referenced row', sql: 'INSERT INTO es.child VALUES (2, 99, 2)' },
  { name: '23503 delete of a referenced row', sql: 'DELETE FROM es.parent WHERE id = 1' },
  { name: '23503 update of a referenced key', sql: 'UPDATE es.parent SET id = 5 WHERE id = 1' },
  { name: '23P01 exclusion constraint', sql: "INSERT INTO es.ex VALUES ('[2,3)')" },
  { name: 'same constraint name in two schemas: the qualified table', sql: 'INSERT INTO a.items VALUES (1, 1)' },
  { name: 'same constraint name in two schemas: search_path decides', sql: 'INSERT INTO items VALUES (1, 1)', before: ['SET search_path = b, public'] },
  { name: 'same constraint name in two schemas: the other way round', sql: 'INSERT INTO items VALUES (1, 1)', before: ['SET search_path = a, public'] },
  { name: '23505 inside a transaction', sql: "INSERT INTO es.parent VALUES (1, 'q', 1, 'x')", before: ['BEGIN'] },
  { name: '42P01 undefined table (no fields on PostgreSQL)', sql: 'SELECT * FROM no_such_table' },
  { name: '42703 undefined column', sql: 'SELECT no_col FROM es.parent' },
  { name: '42883 undefined function', sql: 'SELECT no_such_fn(1)' },
  { name: '42P07 duplicate table', sql: 'CREATE TABLE dup_t (a int)' },
  { name: '42701 duplicate column', sql: 'ALTER TABLE dup_t ADD COLUMN a int' },
  { name: '22P02 invalid input for a type', sql: "SELECT 'x'::int" },
];

interface Fields {
  code?: string;
  message: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
}

async function failure(config: pg.ClientConfig, c: (typeof CASES)[number]): Promise<Fields> {
  const client = new pg.Client(config);
  client.on('error', () => {});
  await client.connect();
  try {
    for (const sql of c.before ?? []) await client.query(sql);
    await client.query(c.sql, c.values);
    throw new Error(`${c.sql} did not fail`);
  } catch (err) {
    const e = err as pg.DatabaseError;
    if (e.code === undefined) throw err;
    const out: Fields = { code: e.code, message: e.message, schema: e.schema, table: e.table, column: e.column, dataType: e.dataType, constraint: e.constraint };
    for (const k of Object.keys(out) as (keyof Fields)[]) if (out[k] === undefined) delete out[k];
    return out;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('error fields recovered from the Data API message', () => {
  beforeAll(async () => {
    const setup = new pg.Client(stack().directConfig());
    await setup.connect();
    await setup.query(SCHEMA);
    await setup.end();
  });

  afterAll(async () => {});

  for (const c of CASES) {
    it(c.name, async () => {
      const expected = await failure(stack().directConfig(), c);
      const actual = await failure(stack().pgConfig(), c);
      expect(actual).toEqual(expected);
    });
  }

  it('the emulator, like the live service, sends no name fields: they are the proxy’s work', async () => {
    // Guards the comparison above from passing vacuously.
    const fields = await failure(stack().directConfig(), CASES[0]!);
    expect(fields).toMatchObject({ schema: 'es', table: 'parent', constraint: 'parent_pkey' });
  });
});
