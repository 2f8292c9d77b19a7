// Describe of a statement (Parse, Describe S, before Bind: Postgres.js, pgJDBC metadata) in Data
// API mode never runs a data-changing statement. On PostgreSQL 13, 15, 16 and 17, through the
// real proxy and the emulator: after describing each kind of statement, a sequence has not
// advanced, a row trigger's audit table has not grown and no row is locked; the row
// descriptions equal the ones PostgreSQL itself sends for the same Describe; Postgres.js runs an
// INSERT ... RETURNING with parameters and gets its values back; a CALL is described from the
// catalogue and runs once, and SQL EXECUTE is described from pg_prepared_statements.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import postgres from 'postgres';
import { useDataApiStack } from './dataapi-fixture.js';
import { RawConnection } from '../harness/raw-protocol.js';
import { postgresBinaries } from '../harness/pg-versions.js';

const VERSIONS = [13, 15, 16, 17];

// The first run on a machine downloads the other versions' binaries (test/harness/pg-versions.ts):
// all at once, before any stack starts, with time for a slow network.
beforeAll(() => Promise.all(VERSIONS.filter((v) => v !== 15).map((v) => postgresBinaries(v))), 600_000);

const SETUP = `
  create table item (id serial primary key, i int not null, t text, v varchar(20), n numeric(10,2), at timestamptz default now());
  create table other (id int primary key, label varchar(10));
  create table audit (op text);
  create function audit_row() returns trigger language plpgsql as $$
    begin insert into audit values (TG_OP); return coalesce(new, old); end $$;
  create trigger item_audit before insert or update or delete on item for each row execute function audit_row();
  create trigger other_audit before insert or update or delete on other for each row execute function audit_row();
  insert into other values (1, 'one'), (2, 'two');
  create procedure add_item(inout n int, inout label text default null) language plpgsql as $$
    begin insert into item (i, t) values (n, label) returning id into n; label := 'added'; end $$;
  create procedure bump(step int) language sql as $$ update item set i = i + step $$;
  insert into item (i, t, v, n) values (1, 'a', 'x', 1.5), (2, 'b', 'y', 2.25);
`;

/** Each kind of statement a Describe must not run, with the lowest version that has it. */
const CASES: { name: string; sql: string; since?: number }[] = [
  { name: 'INSERT taking a sequence value', sql: 'insert into item (i, t) values ($1, $2) returning *' },
  { name: 'INSERT with expressions and aliases', sql: 'insert into item (id, i, t) values ($1, $2, $3) returning id, i * 2 as i2, t, $2 + 1, v::text as vt' },
  {
    name: 'INSERT ON CONFLICT with a target alias',
    sql: 'insert into item as x (id, i, t) values ($1, $2, $3) on conflict (id) do update set t = excluded.t returning x.id, x.v, n, at',
  },
  { name: 'UPDATE without WHERE', sql: 'update item set t = $1 returning id, t, v, n * 2' },
  { name: 'UPDATE ONLY ... FROM', sql: 'update only item set t = o.label from other o where o.id = item.id returning item.*, o.label, o.id + 1 as next' },
  { name: 'DELETE ... USING', sql: 'delete from item d using other o where d.id = o.id and o.label = $1 returning d.id, o.*' },
  { name: 'DELETE without RETURNING', sql: 'delete from item where i > $1' },
  {
    name: 'MERGE',
    sql: 'merge into item t using other o on t.id = o.id when matched then update set t = o.label when not matched then insert (i, t) values (o.id, o.label)',
    since: 15,
  },
  {
    name: 'MERGE ... RETURNING',
    sql: 'merge into item t using other o on t.id = o.id when matched then delete when not matched then insert (i, t) values (o.id, o.label) returning merge_action(), t.id, o.label',
    since: 17,
  },
  {
    name: 'data-modifying CTEs',
    sql:
      "with ins as (insert into item (i, t) values ($1, 'c') returning id, t), upd as (update other set label = $2 returning id) " +
      'select ins.id, ins.t, (select count(*) from upd) as c from ins',
  },
  { name: 'INSERT after a data-modifying WITH', sql: 'with d as (delete from other returning id) insert into item (i) select id from d returning id, i' },
  { name: 'SELECT ... FOR UPDATE', sql: 'select id, t, v from item where i > $1 for update' },
  { name: 'CALL of a procedure with INOUT arguments', sql: 'call add_item($1, $2)' },
  { name: 'CALL with a default left out and a cast', sql: 'call public.add_item($1::int)' },
  { name: 'CALL in named notation', sql: 'call add_item(label => $2, n => $1)' },
  { name: 'CALL of a procedure with no result', sql: 'call bump($1)' },
  { name: 'EXPLAIN ANALYZE of an INSERT', sql: 'explain (analyze, format json) insert into item (i) values (5) returning id' },
  { name: 'EXPLAIN ANALYZE of an UPDATE', sql: 'explain analyze update item set i = 0' },
];

for (const version of VERSIONS) {
  describe(`Describe without side effects on PostgreSQL ${version}`, () => {
    const stack = useDataApiStack({ postgres: { version } });
    const open: { end(): unknown }[] = [];
    afterEach(async () => {
      for (const c of open.splice(0)) await c.end();
    });

    async function direct(): Promise<pg.Client> {
      const c = new pg.Client(stack().directConfig());
      await c.connect();
      open.push(c);
      return c;
    }

    /** The sequence's state and the audit table's size: what a run of any case would change. */
    async function sideEffects(c: pg.Client): Promise<unknown> {
      const seq = await c.query('select last_value, is_called from item_id_seq');
      const audit = await c.query('select count(*)::int as n from audit');
      const items = await c.query('select id, i, t from item order by id');
      return { seq: seq.rows[0], audit: audit.rows[0].n, items: items.rows };
    }

    it('describes every kind of statement as PostgreSQL does, and changes nothing', async () => {
      const admin = await direct();
      await admin.query(SETUP);
      // A Describe that tried to lock a row would wait for this transaction: fail instead.
      await admin.query("alter role postgres set lock_timeout = '3s'");
      const holder = await direct();
      await holder.query('begin');
      await holder.query('select * from item for update');

      const before = await sideEffects(admin);
      const viaProxy = await RawConnection.open(stack().proxy.host, stack().proxy.port);
      const straight = await RawConnection.open(stack().db.host, stack().db.port);
      open.push(viaProxy, straight);
      const cases = CASES.filter((c) => version >= (c.since ?? 0));
      for (const c of cases) {
        const proxied = await viaProxy.describe(c.sql);
        expect({ case: c.name, ...proxied }).toEqual({ case: c.name, ...(await straight.describe(c.sql)) });
        expect(proxied.error).toBeNull();
      }
      await holder.query('rollback');
      expect(await sideEffects(admin)).toEqual(before);
    });

    it('Postgres.js inserts with parameters and RETURNING and gets the values back', async () => {
      const admin = await direct();
      const before = (await admin.query<{ n: number }>('select count(*)::int as n from audit')).rows[0].n;
      const sql = postgres({ host: stack().proxy.host, port: stack().proxy.port, user: 'postgres', database: 'postgres', max: 1, onnotice: () => undefined });
      open.push({ end: () => sql.end() });
      const rows = await sql.unsafe('insert into item (id, i, t) values ($1, $2, $3) returning id, i * 2 as i2, t', [100, 7, 'seven'], { prepare: true });
      expect([...rows]).toEqual([{ id: 100, i2: 14, t: 'seven' }]);
      const updated = await sql`update item set t = ${'again'} where id = ${100} returning id, t, v`;
      expect([...updated]).toEqual([{ id: 100, t: 'again', v: null }]);
      // Inside a transaction the Describe runs under a savepoint of the client's transaction.
      const seqBefore = (await admin.query('select last_value, is_called from item_id_seq')).rows[0];
      const inTx = await sql.begin((tx) => tx.unsafe('insert into item (id, i) values ($1, $2) returning id, i', [101, 8], { prepare: true }));
      expect([...inTx]).toEqual([{ id: 101, i: 8 }]);
      expect((await admin.query('select last_value, is_called from item_id_seq')).rows[0]).toEqual(seqBefore);
      // A CALL is described from the catalogue: the procedure runs once, for the Execute.
      const called = await sql`call add_item(${9}, ${'nine'})`;
      expect([...called]).toEqual([{ n: Number(seqBefore.last_value) + 1, label: 'added' }]);
      // SQL EXECUTE, described from pg_prepared_statements inside the transaction that prepared it.
      const executed = await sql.begin(async (tx) => {
        await tx.unsafe('prepare pick (int) as select id, t, $1 * 2 as twice from item where id = $1');
        return tx.unsafe('execute pick(100)', [], { prepare: true });
      });
      expect([...executed]).toEqual([{ id: 100, t: 'again', twice: 200 }]);
      await expect(sql.unsafe('execute pick(100)', [], { prepare: true })).rejects.toMatchObject({ code: '26000' });
      // The trigger fired once per statement run (insert, update, insert, call), never for a Describe.
      expect((await admin.query<{ n: number }>('select count(*)::int as n from audit')).rows[0].n).toBe(before + 4);
    });
  });
}
