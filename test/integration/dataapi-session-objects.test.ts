// Session-scoped objects in Data API mode (issue 9): temporary tables, views and sequences that
// live for the client's session, WITH HOLD cursors outside a transaction, and RowDescriptions
// that carry the table OID and column number. Each psql script runs once through the proxy and
// once straight against PostgreSQL, and the two outputs (stdout and stderr) must be identical.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';
import { runPsql, runPython } from '../harness/clients.js';
import { SESSION_SCHEMA_PREFIX } from '../../src/dataapi/session/session-schema.js';

const stack = useDataApiStack();
type Target = 'proxy' | 'postgres';

let workDir = '';
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'apgp-session-objects-'));
});
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function conninfo(target: Target): string {
  const { host, port } = target === 'proxy' ? stack().proxy : stack().db;
  return `host=${host} port=${port} user=postgres dbname=postgres sslmode=disable`;
}

/** Runs the script with psql (errors do not stop it) and returns what it printed, stderr included. */
async function psqlScript(target: Target, name: string, lines: string[]): Promise<string> {
  const file = join(workDir, `${name}.sql`);
  writeFileSync(file, lines.join('\n') + '\n');
  const r = await runPsql(conninfo(target), ['-f', file], { onErrorStop: false, cwd: workDir });
  return `${r.stdout}\n--- stderr ---\n${r.stderr.replaceAll(file, 'SCRIPT')}`;
}

async function sameAsPostgres(name: string, lines: string[]): Promise<string> {
  const proxy = await psqlScript('proxy', name, lines);
  const postgres = await psqlScript('postgres', name, lines);
  expect(proxy).toBe(postgres);
  return proxy;
}

async function direct<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client(stack().directConfig());
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

async function sessionSchemas(): Promise<string[]> {
  const rows = await direct<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1`, [SESSION_SCHEMA_PREFIX]);
  return rows.map((r) => r.nspname);
}

describe('temporary tables through the Data API proxy', () => {
  it('creates, fills, queries, shadows and drops temp tables, views and sequences as PostgreSQL does', async () => {
    const out = await sameAsPostgres('temp-basics', [
      "create table perm_t (id int primary key, label text);",
      "insert into perm_t values (1, 'one'), (2, 'two');",
      'create temp table tmp_a (id int, note text);',
      "insert into tmp_a values (1, 'first'), (2, 'second');",
      'insert into tmp_a select id + 10, label from perm_t;',
      'select * from tmp_a order by id;',
      'select p.label, t.note from perm_t p join tmp_a t on t.id = p.id order by 1;',
      'update tmp_a set note = upper(note) where id < 10;',
      "select count(*), string_agg(note, ',' order by id) from tmp_a;",
      'create temp view tmp_v as select id * 2 as twice from tmp_a where id < 10;',
      'select * from tmp_v order by twice;',
      'create temp sequence tmp_s start 5;',
      "select nextval('tmp_s'), nextval('tmp_s');",
      'create temp table tmp_serial (id serial primary key, v text);',
      "insert into tmp_serial (v) values ('a'), ('b') returning id, v;",
      'select * from pg_temp.tmp_a where id = 1;',
      "insert into pg_temp.tmp_a values (3, 'qualified');",
      'select count(*) from tmp_a;',
      'create table pg_temp.tmp_b (x int);',
      'insert into tmp_b values (42);',
      'select x from tmp_b;',
      '-- a temp table hides a permanent one of the same name, until it is dropped',
      'create temp table perm_t (id int, label text);',
      'select count(*) from perm_t;',
      "insert into perm_t values (9, 'temp');",
      'select * from perm_t;',
      'drop table perm_t;',
      'select count(*) from perm_t;',
      'select id, note into temp table tmp_into from tmp_a where id < 10;',
      'select * from tmp_into order by id;',
      'create temp table tmp_copy (a int, b text);',
      'copy tmp_copy from stdin;',
      '1\tone',
      '2\ttwo',
      '\\.',
      'copy tmp_copy to stdout;',
      'copy (select b from tmp_copy order by a desc) to stdout;',
      'drop view tmp_v;',
      'drop table tmp_a, tmp_b;',
      'select * from tmp_a;',
      'drop table perm_t;',
    ]);
    expect(out).toContain('relation "tmp_a" does not exist');
    expect(out).toMatch(/ count \n-------\n +5\n/);
    expect(out).toContain('1\tone\n2\ttwo\ntwo\none\n');
  });

  it('honours ON COMMIT DROP, ON COMMIT DELETE ROWS and rollbacks', async () => {
    await sameAsPostgres('temp-on-commit', [
      'begin;',
      'create temp table oc_drop (a int) on commit drop;',
      'insert into oc_drop values (1), (2);',
      'select count(*) from oc_drop;',
      'commit;',
      'select * from oc_drop;',
      'create temp table oc_rows (a int) on commit delete rows;',
      'insert into oc_rows values (1);',
      'select count(*) from oc_rows;',
      'begin;',
      'insert into oc_rows values (1), (2);',
      'select count(*) from oc_rows;',
      'commit;',
      'select count(*) from oc_rows;',
      'create temp table oc_keep (a int) on commit preserve rows;',
      'insert into oc_keep values (7);',
      'begin;',
      'create temp table oc_rolled (a int);',
      'insert into oc_rolled values (1);',
      'rollback;',
      'select * from oc_rolled;',
      'begin;',
      'drop table oc_keep;',
      'rollback;',
      'select * from oc_keep;',
      'create temp table oc_now (a int) on commit drop;',
      'select * from oc_now;',
      'discard temp;',
      'select * from oc_keep;',
    ]);
  });

  it('keeps two sessions’ temp tables of one name apart and drops a session’s schema when it leaves', async () => {
    const before = await sessionSchemas();
    const a = new pg.Client(stack().pgConfig());
    const b = new pg.Client(stack().pgConfig());
    await a.connect();
    await b.connect();
    try {
      await a.query('create temp table shared_name (v text)');
      await b.query('create temp table shared_name (v text)');
      await a.query("insert into shared_name values ('from a')");
      await b.query("insert into shared_name values ('from b'), ('again b')");
      expect((await a.query('select v from shared_name order by v')).rows).toEqual([{ v: 'from a' }]);
      expect((await b.query('select v from shared_name order by v')).rows).toEqual([{ v: 'again b' }, { v: 'from b' }]);
      // Extended protocol with parameters, as node-postgres sends them.
      expect((await a.query('select count(*)::int as n from shared_name where v = $1', ['from a'])).rows).toEqual([{ n: 1 }]);
      expect((await sessionSchemas()).length).toBe(before.length + 2);
    } finally {
      await a.end();
    }
    // The proxy drops the schema once it has seen the client go.
    for (let i = 0; i < 100 && (await sessionSchemas()).length > before.length + 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await sessionSchemas()).length).toBe(before.length + 1);
    expect((await b.query('select count(*)::int as n from shared_name')).rows).toEqual([{ n: 2 }]);
    await b.end();
    for (let i = 0; i < 100 && (await sessionSchemas()).length > before.length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await sessionSchemas()).toEqual(before);
  });

  it('removes the schemas a crashed proxy left behind, and only those', async () => {
    const stale = `${SESSION_SCHEMA_PREFIX}crashed_long_ago`;
    const alive = `${SESSION_SCHEMA_PREFIX}another_live_proxy`;
    await direct(`CREATE SCHEMA ${stale}; CREATE TABLE ${stale}.t (a int); COMMENT ON SCHEMA ${stale} IS 'aurora-pg-proxy session schema, alive at 1000'`);
    await direct(`CREATE SCHEMA ${alive}`);
    await direct(`DO $$BEGIN EXECUTE format('COMMENT ON SCHEMA ${alive} IS %L', 'aurora-pg-proxy session schema, alive at ' || floor(extract(epoch FROM now()))::bigint); END$$`);
    // A proxy sweeps when it first needs a session schema in a database: start a fresh one.
    const proxy = await stack().startProxy();
    const client = new pg.Client({ ...stack().pgConfig(), port: proxy.port });
    await client.connect();
    try {
      await client.query('create temp table sweep_trigger (a int)');
      const schemas = await sessionSchemas();
      expect(schemas).not.toContain(stale);
      expect(schemas).toContain(alive);
    } finally {
      await client.end();
      await direct(`DROP SCHEMA ${alive} CASCADE`);
    }
  });
});

describe('WITH HOLD cursors through the Data API proxy', () => {
  it('answers DECLARE ... WITH HOLD, FETCH, MOVE and CLOSE outside a transaction as PostgreSQL does', async () => {
    const out = await sameAsPostgres('held-cursors', [
      'drop table if exists hc;',
      'create table hc (id int primary key, name varchar(20) not null, amount numeric(8,2), at timestamp, tags text[]);',
      "insert into hc select g, 'n' || g, g * 1.5, timestamp '2024-01-01 00:00:00' + g * interval '1 day', array['t' || g, null] from generate_series(1, 25) g;",
      'declare c1 no scroll cursor with hold for select id, name, amount, at, tags from hc where id <= 20 order by id desc;',
      'fetch forward 3 from c1;',
      'fetch next from c1;',
      'move forward 5 in c1;',
      'fetch 2 from c1;',
      'fetch all from c1;',
      'fetch 1 from c1;',
      'move absolute 3 in c1;',
      'fetch backward 1 from c1;',
      'close c1;',
      'fetch 1 from c1;',
      'declare c2 scroll cursor with hold for select id, name from hc order by id;',
      'fetch absolute 3 from c2;',
      'fetch relative 2 from c2;',
      'fetch prior from c2;',
      'fetch first from c2;',
      'fetch last from c2;',
      'fetch backward 3 from c2;',
      'move absolute 10 in c2;',
      'fetch relative 0 from c2;',
      'move last in c2;',
      'fetch forward 2 from c2;',
      'fetch absolute -2 from c2;',
      'move relative 30 in c2;',
      'fetch backward all from c2;',
      'fetch absolute 0 from c2;',
      'close c2;',
      'begin;',
      'declare c3 cursor with hold for select id from hc where id > 22 order by id;',
      'fetch 1 from c3;',
      'commit;',
      "update hc set name = 'changed' where id = 25;",
      'fetch all from c3;',
      'close c3;',
      'begin;',
      'declare c4 cursor with hold for select 1 as one;',
      'rollback;',
      'fetch 1 from c4;',
      'declare c5 cursor with hold for select 1 as x, 2 as x;',
      'fetch all from c5;',
      'declare c5 cursor with hold for select 1;',
      'close c5;',
      'declare c7 cursor with hold for select 1 as one;',
      'begin;',
      'select 1/0;',
      'fetch 1 from c7;',
      'rollback;',
      'fetch 1 from c7;',
      'declare c6 cursor with hold for select * from no_such_table;',
      'close all;',
    ]);
    expect(out).toContain('cursor can only scan forward');
    expect(out).toContain('(0 rows)');
  });

  it('serves a psycopg2 named cursor with withhold=True outside a transaction, as PostgreSQL does', async () => {
    await direct('drop table if exists hold_items');
    await direct(
      "create table hold_items (id serial primary key, name text not null, price numeric(10,2), born date, flag boolean);" +
        "insert into hold_items (name, price, born, flag) select 'item ' || g, g * 0.25, date '2020-02-28' + g, g % 2 = 0 from generate_series(1, 4500) g",
    );
    const script = join(workDir, 'withhold.py');
    writeFileSync(
      script,
      [
        'import sys, psycopg2',
        'conn = psycopg2.connect(sys.argv[1])',
        'conn.autocommit = True',
        "cur = conn.cursor(name='_django_curs_1_sync_1', withhold=True)",
        'cur.itersize = 2000',
        "cur.execute('SELECT id, name, price, born, flag FROM hold_items WHERE id > %s ORDER BY id', (10,))",
        'n = 0',
        'first = last = None',
        'while True:',
        '    rows = cur.fetchmany(2000)',
        '    if not rows: break',
        '    n += len(rows)',
        '    first = first or rows[0]',
        '    last = rows[-1]',
        "print('rows', n, first, last)",
        "print('description', [(d.name, d.type_code) for d in cur.description])",
        'cur.close()',
        "cur = conn.cursor(name='scrolling', withhold=True, scrollable=True)",
        "cur.execute('SELECT id FROM hold_items ORDER BY id DESC')",
        "print('some', cur.fetchmany(3))",
        "cur.scroll(100, mode='absolute')",
        "print('at 100', cur.fetchone())",
        "cur.scroll(-5)",
        "print('back 5', cur.fetchone())",
        'cur.close()',
        'plain = conn.cursor()',
        "plain.execute('SELECT count(*) FROM hold_items')",
        "print('count', plain.fetchone())",
        'conn.close()',
      ].join('\n'),
    );
    const viaProxy = await runPython([script, conninfo('proxy')]);
    const straight = await runPython([script, conninfo('postgres')]);
    expect(viaProxy.stderr).toBe('');
    expect(viaProxy.stdout).toContain('rows 4490 (11,');
    expect(viaProxy.stdout).toBe(straight.stdout);
  });
});

describe('Django QuerySet.iterator() through the Data API proxy', () => {
  it('reads a queryset in chunks through a WITH HOLD cursor outside a transaction, as against PostgreSQL', async () => {
    const probe = await runPython(['-c', 'import django; print(django.VERSION[0])']);
    if (probe.code !== 0) throw new Error(`Django is not importable (apt-get install -y python3-django): ${probe.stderr}`);
    const script = join(workDir, 'django_iterator.py');
    writeFileSync(
      script,
      [
        'import sys, django',
        'from django.conf import settings',
        "settings.configure(DATABASES={'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'postgres', 'USER': 'postgres',",
        "    'HOST': sys.argv[1], 'PORT': sys.argv[2], 'OPTIONS': {'sslmode': 'disable'}}}, INSTALLED_APPS=[], USE_TZ=True)",
        'django.setup()',
        'from django.db import connection, models',
        'class Item(models.Model):',
        '    name = models.TextField()',
        '    n = models.IntegerField()',
        '    class Meta:',
        "        app_label = 'held'",
        "        db_table = 'django_held_items'",
        'with connection.cursor() as c:',
        "    c.execute('DROP TABLE IF EXISTS django_held_items')",
        'with connection.schema_editor() as editor:',
        '    editor.create_model(Item)',
        "Item.objects.bulk_create([Item(name='item %d' % i, n=i) for i in range(4321)])", // Django's default batch: one INSERT of every row, over 64 KiB
        'seen = [(i.id, i.n) for i in Item.objects.filter(n__gte=7).order_by(\'-n\').iterator(chunk_size=1000)]',
        "print('iterated', len(seen), seen[0][1], seen[-1][1], sum(n for _, n in seen))",
        "print('ids ascend as n descends', all(a[0] > b[0] for a, b in zip(seen, seen[1:])))",
      ].join('\n'),
    );
    const viaProxy = await runPython([script, stack().proxy.host, String(stack().proxy.port)]);
    const straight = await runPython([script, stack().db.host, String(stack().db.port)]);
    expect(viaProxy.stderr).toBe('');
    expect(viaProxy.stdout).toBe('iterated 4314 4320 7 9333339\nids ascend as n descends True\n');
    expect(viaProxy.stdout).toBe(straight.stdout);
  });
});

describe('RowDescription table OIDs through the Data API proxy', () => {
  it('sends the table OID and column number PostgreSQL sends, reading the catalogue once', async () => {
    await direct('drop table if exists rd_items');
    await direct('create table rd_items (id serial primary key, skipped int, name text not null, note varchar(40))');
    await direct('alter table rd_items drop column skipped');
    await direct("insert into rd_items (name, note) values ('a', null), ('b', 'x')");
    const sql = 'select i.note, i.id, i.name, length(i.name) as len, i.name as alias from rd_items i order by i.id';
    const fieldsOf = async (config: pg.ClientConfig) => {
      const c = new pg.Client(config);
      await c.connect();
      try {
        const r = await c.query(sql);
        return r.fields.map((f) => `${f.name}:${f.tableID === 0 ? 0 : 'T'}:${f.columnID}:${f.dataTypeID}`);
      } finally {
        await c.end();
      }
    };
    const expected = await fieldsOf(stack().directConfig());
    // An aliased column cannot be traced to its table column: the proxy leaves it at 0.
    expect(await fieldsOf(stack().pgConfig())).toEqual(expected.map((f) => (f.startsWith('alias:') ? 'alias:0:0:25' : f)));
    const oid = (await direct<{ oid: number }>("select 'rd_items'::regclass::oid as oid"))[0]!.oid;
    const c = new pg.Client(stack().pgConfig());
    await c.connect();
    try {
      const first = await c.query(sql);
      expect(first.fields[1]).toMatchObject({ tableID: oid, columnID: 1 });
      expect(first.fields[0]).toMatchObject({ tableID: oid, columnID: 4 });
      stack().emulator.resetStats();
      await c.query(sql);
      // The repeat costs its own call and no catalogue read.
      expect(stack().emulator.stats().calls.ExecuteStatement).toBe(1);
    } finally {
      await c.end();
    }
  });
});
