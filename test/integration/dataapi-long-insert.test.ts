// A multi-row INSERT ... VALUES longer than the Data API's 65536-character statement limit (what
// Django's bulk_create writes with its default batch size, or psql running a dump made with
// --rows-per-insert) runs in parts in one transaction: through the real proxy and the emulator,
// the rows, RETURNING output, row count and errors equal PostgreSQL's, and a failing part leaves
// nothing behind. A statement that cannot be split gets a clear 54000.
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';

const ROWS = 4000;
const literalRows = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => `(${from + k}, 'row number ${from + k}, padded to make the statement long', ${k % 7 === 0 ? 'NULL' : `'${(from + k) * 1.5}'`})`).join(', ');

describe('INSERT ... VALUES longer than the Data API accepts', () => {
  const stack = useDataApiStack();
  const open: pg.Client[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.end();
  });
  async function connect(config: pg.ClientConfig): Promise<pg.Client> {
    const c = new pg.Client(config);
    await c.connect();
    open.push(c);
    return c;
  }
  const setUp = async (c: pg.Client, table: string) => {
    await c.query(`drop table if exists ${table}`);
    await c.query(`create table ${table} (id int primary key, label text not null, amount numeric(8,2), made timestamptz default '2026-01-01')`);
    await c.query(`create table ${table}_log (n int)`);
    // A statement-level trigger: fires once per statement, so once per part through the proxy.
    await c.query(`create or replace function ${table}_count() returns trigger language plpgsql as $$ begin insert into ${table}_log values (1); return null; end $$`);
    await c.query(`create trigger ${table}_count after insert on ${table} for each statement execute function ${table}_count()`);
  };

  it('inserts every row with the same RETURNING rows and count as PostgreSQL, atomically', async () => {
    const direct = await connect(stack().directConfig());
    const proxied = await connect(stack().pgConfig());
    await setUp(direct, 'li_direct');
    await setUp(direct, 'li_proxy');
    const sql = (t: string) => `insert into ${t} (id, label, amount) values ${literalRows(0, ROWS)} returning id, label, amount, made`;
    expect(sql('li_proxy').length).toBeGreaterThan(3 * 65536);

    const want = await direct.query(sql('li_direct'));
    const got = await proxied.query(sql('li_proxy'));
    expect(got.rowCount).toBe(ROWS);
    expect(got.command).toBe('INSERT');
    expect(got.rows).toEqual(want.rows);
    expect(got.fields.map((f) => [f.name, f.dataTypeID])).toEqual(want.fields.map((f) => [f.name, f.dataTypeID]));
    // More than one part ran, so the statement trigger fired more than once.
    const parts = (await direct.query('select count(*)::int as n from li_proxy_log')).rows[0].n;
    expect(parts).toBeGreaterThan(1);

    // A duplicate in the last part: PostgreSQL's error, and no row of any part stays.
    await direct.query('truncate li_proxy');
    const bad = `insert into li_proxy (id, label, amount) values ${literalRows(0, ROWS)}, (5, 'again', 1)`;
    const directErr = await direct.query(bad.replace('li_proxy', 'li_direct')).catch((e: pg.DatabaseError) => e);
    const err = await proxied.query(bad).catch((e: pg.DatabaseError) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as pg.DatabaseError).code).toBe('23505');
    expect((err as pg.DatabaseError).message).toBe((directErr as pg.DatabaseError).message.replace('li_direct', 'li_proxy'));
    expect((await direct.query('select count(*)::int as n from li_proxy')).rows[0].n).toBe(0);
  });

  it('runs in the client transaction, with bound parameters too, and rolls back with it', async () => {
    const direct = await connect(stack().directConfig());
    const proxied = await connect(stack().pgConfig());
    await setUp(direct, 'li_tx');
    // node-postgres binds $n: the parameters travel as Data API parameters, each part its own.
    const n = 6000;
    const values = Array.from({ length: n }, (_, k) => `($${2 * k + 1}::int, $${2 * k + 2})`).join(', ');
    const params = Array.from({ length: n }, (_, k) => [k, `bound ${k}`]).flat();
    await proxied.query('begin');
    const r = await proxied.query(`insert into li_tx (id, label) values ${values}`, params);
    expect(r.rowCount).toBe(n);
    const inside = await proxied.query('select count(*)::int as n, min(label) as lo, max(id) as hi from li_tx');
    expect(inside.rows[0]).toEqual({ n, lo: 'bound 0', hi: n - 1 });
    expect((await proxied.query('select count(*)::int as n from li_tx_log')).rows[0].n).toBeGreaterThan(1);
    await proxied.query('rollback');
    expect((await direct.query('select count(*)::int as n from li_tx')).rows[0].n).toBe(0);
  });

  it('refuses with 54000 and advice what cannot be split', async () => {
    const proxied = await connect(stack().pgConfig());
    const long = `select '${'x'.repeat(70_000)}' as v`;
    const err = await proxied.query(long).catch((e: pg.DatabaseError) => e);
    expect((err as pg.DatabaseError).code).toBe('54000');
    expect((err as pg.DatabaseError).message).toMatch(/at most 65536 characters/);
    expect((err as pg.DatabaseError).hint).toMatch(/COPY/);
    // The session goes on.
    expect((await proxied.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });
});
