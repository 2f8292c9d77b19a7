// psql 15 through the real `aurora-pg-proxy data-api` process and the Data API emulator over a
// throwaway PostgreSQL, with no password on the client side. Wherever it can, a test runs the
// same psql command once through the proxy and once straight against PostgreSQL and expects
// the same output.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';
import { runPsql, type RunResult } from '../harness/clients.js';

const stack = useDataApiStack();

type Target = 'proxy' | 'postgres';


let workDir = '';
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'apgp-dataapi-psql-'));
});
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function conninfo(target: Target, sslmode = 'prefer'): string {
  const { host, port } = target === 'proxy' ? stack().proxy : stack().db;
  return `host=${host} port=${port} user=postgres dbname=postgres sslmode=${sslmode}`;
}

function psql(target: Target, args: string[], opts: { sslmode?: string; onErrorStop?: boolean } = {}): Promise<RunResult> {
  return runPsql(conninfo(target, opts.sslmode), args, { onErrorStop: opts.onErrorStop, cwd: workDir });
}

/** Runs psql and insists it succeeded without a word on stderr. */
async function psqlOk(target: Target, args: string[], opts?: Parameters<typeof psql>[2]): Promise<string> {
  const r = await psql(target, args, opts);
  expect({ target, args, stderr: r.stderr, code: r.code }).toEqual({ target, args, stderr: '', code: 0 });
  return r.stdout;
}

async function directQuery<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client(stack().directConfig());
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('psql through the Data API proxy', () => {
  it('runs several statements given in one -c string', async () => {
    const out = await psqlOk('proxy', ['-A', '-t', '-c', "select 1; select 'two', 2.50::numeric(4,2); values (3), (4)"]);
    expect(out).toBe('1\ntwo|2.50\n3\n4\n');
    // The aligned output with headers and row counts matches PostgreSQL's.
    const sql = "select 1 as a, 'x' as b; select now() is not null as ok; select generate_series(1, 3) as g";
    expect(await psqlOk('proxy', ['-c', sql])).toBe(await psqlOk('postgres', ['-c', sql]));
    // Without ON_ERROR_STOP psql reports the failing statement and nothing after it in the string runs.
    const failing = await psql('proxy', ['-c', 'select 1 as first; select 1/0; select 3 as never'], { onErrorStop: false });
    expect(failing.stdout).toContain(' first \n-------\n     1\n(1 row)');
    expect(failing.stdout).not.toContain('never');
    expect(failing.stderr).toBe('ERROR:  division by zero\n');
  });

  it('runs a script with CREATE TABLE, INSERT and SELECT', async () => {
    const outputs: Record<Target, string> = {} as never;
    for (const target of ['proxy', 'postgres'] as const) {
      const table = `script_items_${target}`;
      const script = join(workDir, `script_${target}.sql`);
      writeFileSync(
        script,
        [
          `create table ${table} (id integer primary key, name text not null, price numeric(8,2), tags text[]);`,
          `insert into ${table} values (1, 'apple', 1.25, '{red,"green apple"}'), (2, 'pear', 2.50, null), (3, 'plum', null, '{}');`,
          `update ${table} set price = price * 2 where name <> 'plum';`,
          `delete from ${table} where id = 3;`,
          `select id, name, price, tags from ${table} order by id;`,
          `select count(*) as n, sum(price) as total from ${table};`,
          '',
        ].join('\n'),
      );
      outputs[target] = await psqlOk(target, ['-f', script]);
    }
    expect(outputs.proxy).toBe(outputs.postgres);
    expect(outputs.proxy).toContain('CREATE TABLE\nINSERT 0 3\nUPDATE 2\nDELETE 1\n');
    expect(outputs.proxy).toContain('  1 | apple |  2.50 | {red,"green apple"}\n  2 | pear  |  5.00 | \n(2 rows)');
    expect(outputs.proxy).toContain(' n | total \n---+-------\n 2 |  7.50\n(1 row)');
    expect(await directQuery('select count(*)::int as n from script_items_proxy')).toEqual([{ n: 2 }]);
  });

  it('describes objects with \\d, \\dt, \\d+, \\l, \\dn, \\df, \\dv and \\di exactly as PostgreSQL does', async () => {
    const setup = [
      'create schema psql_meta',
      'create sequence psql_meta.ticket_seq',
      `create table psql_meta.orders (
         id bigint primary key default nextval('psql_meta.ticket_seq'),
         customer text not null,
         placed timestamptz not null default now(),
         total numeric(12,2) default 0 check (total >= 0),
         note varchar(200),
         status "char" default 'n'
       )`,
      'create index orders_customer_idx on psql_meta.orders (customer, placed desc)',
      'create unique index orders_note_uidx on psql_meta.orders (lower(note)) where note is not null',
      "comment on table psql_meta.orders is 'orders placed by customers'",
      "comment on column psql_meta.orders.customer is 'who placed it'",
      'create table psql_meta.lines (order_id bigint references psql_meta.orders(id) on delete cascade, qty int not null)',
      'create view psql_meta.big_orders as select id, total from psql_meta.orders where total > 100',
      "create function psql_meta.add_tax(amount numeric, rate numeric default 0.2) returns numeric language sql immutable as 'select amount * (1 + rate)'",
      'create table public.psql_meta_plain (k int)',
    ];
    // The objects are made through the proxy: DDL goes the same way as everything else.
    await psqlOk('proxy', setup.flatMap((s) => ['-c', s]));

    // Nothing legitimately differs for these commands: the proxy passes psql's catalogue
    // queries to the same database and returns PostgreSQL's own text for every value (columns
    // the Data API cannot return, like "char" and aclitem[], are fetched as text).
    const commands = [
      '\\d',
      '\\dt',
      '\\dt psql_meta.*',
      '\\d psql_meta.orders',
      '\\d+ psql_meta.orders',
      '\\d+ psql_meta.lines',
      '\\d psql_meta.big_orders',
      '\\d+ psql_meta.orders_customer_idx',
      '\\l',
      '\\l+ postgres',
      '\\dn',
      '\\dn+',
      '\\df psql_meta.*',
      '\\df+ psql_meta.add_tax',
      '\\dv psql_meta.*',
      '\\di psql_meta.*',
      '\\ds psql_meta.*',
      '\\dT',
      '\\du',
      '\\dp psql_meta.*',
    ];
    // psql 15's \l reads pg_database columns that PostgreSQL 17 renamed: it fails straight
    // against a newer server too, so it is compared only where psql and the server match.
    const newerServer = Number(process.env.APGP_PG_VERSION ?? '15') > 15;
    for (const command of commands.filter((c) => !(newerServer && c.startsWith('\\l')))) {
      const viaProxy = await psqlOk('proxy', ['-c', command]);
      const direct = await psqlOk('postgres', ['-c', command]);
      expect({ command, output: viaProxy }).toEqual({ command, output: direct });
    }
    // And the output says what it should (so that two identical failures cannot pass).
    const described = await psqlOk('proxy', ['-c', '\\d+ psql_meta.orders']);
    expect(described).toContain('Table "psql_meta.orders"');
    expect(described).toMatch(/ id +\| bigint +\| +\| not null \| nextval\('psql_meta.ticket_seq'::regclass\)/);
    expect(described).toMatch(/ customer +\| text +\| +\| not null \| +\| extended \| +\| +\| who placed it/);
    expect(described).toContain('"orders_pkey" PRIMARY KEY, btree (id)');
    expect(described).toContain('"orders_customer_idx" btree (customer, placed DESC)');
    expect(described).toContain('"orders_total_check" CHECK (total >= 0::numeric)');
    expect(described).toContain('TABLE "psql_meta.lines" CONSTRAINT "lines_order_id_fkey" FOREIGN KEY (order_id) REFERENCES psql_meta.orders(id) ON DELETE CASCADE');
    expect(await psqlOk('proxy', ['-c', '\\df psql_meta.*'])).toContain('add_tax | numeric          | amount numeric, rate numeric DEFAULT 0.2 | func');
    expect(await psqlOk('proxy', ['-c', '\\dv psql_meta.*'])).toContain('psql_meta | big_orders | view');
    expect(await psqlOk('proxy', ['-c', '\\di psql_meta.*'])).toContain('orders_note_uidx');
    expect(await psqlOk('proxy', ['-c', '\\dn'])).toContain('psql_meta');
    if (!newerServer) expect(await psqlOk('proxy', ['-c', '\\l'])).toContain('template1');
    expect(await psqlOk('proxy', ['-c', '\\dt'])).toContain('psql_meta_plain');
  });

  it('loads a CSV file with \\copy from and writes it back with \\copy to, byte for byte as PostgreSQL', async () => {
    const csv = [
      'id,name,note,amount,at,flags',
      '1,apple,"has, a comma",1.50,2024-01-02 03:04:05+00,"{t,f}"',
      '2,"pear ""quoted""",,2.25,2024-06-07 08:09:10.5+02,',
      '3,plum,"two',
      'lines",,,{}',
      '4,,"",-0.001,1999-12-31 23:59:59.999999+00,"{NULL,t}"',
      '5,ünïcødé ✓,back\\slash,1e3,2000-02-29 00:00:00-08,{f}',
      '',
    ].join('\n');
    writeFileSync(join(workDir, 'in.csv'), csv);
    const ddl = (t: string) => `create table ${t} (id int primary key, name text, note text, amount numeric(10,3), at timestamptz, flags bool[])`;
    const outputs: Record<Target, { rows: string; textFile: Buffer; csvFile: Buffer; stdout: string }> = {} as never;
    for (const target of ['proxy', 'postgres'] as const) {
      const table = `csv_${target}`;
      const out = await psqlOk(target, [
        '-c', ddl(table),
        '-c', `\\copy ${table} from 'in.csv' with (format csv, header)`,
        '-c', `\\copy ${table} to 'out_${target}.txt'`,
        '-c', `\\copy ${table} (id, note, at) to 'out_${target}.csv' with (format csv, header, force_quote (note))`,
        '-c', `\\copy (select id, upper(name) as shout, amount * 2 as twice, flags from ${table} order by id desc) to stdout with csv header`,
      ]);
      expect(out.startsWith('CREATE TABLE\nCOPY 5\nCOPY 5\nCOPY 5\n')).toBe(true);
      const rows = (await directQuery<{ r: string }>(`select ${table}::text as r from ${table} order by id`)).map((r) => r.r).join('\n');
      outputs[target] = {
        rows,
        textFile: readFileSync(join(workDir, `out_${target}.txt`)),
        csvFile: readFileSync(join(workDir, `out_${target}.csv`)),
        stdout: out,
      };
    }
    expect(outputs.proxy.rows).toBe(outputs.postgres.rows);
    expect(outputs.proxy.textFile.equals(outputs.postgres.textFile)).toBe(true);
    expect(outputs.proxy.csvFile.equals(outputs.postgres.csvFile)).toBe(true);
    expect(outputs.proxy.stdout).toBe(outputs.postgres.stdout);
    // Spot checks on what came back.
    expect(outputs.proxy.textFile.toString()).toContain('3\tplum\ttwo\\nlines\t\\N\t\\N\t{}\n');
    expect(outputs.proxy.textFile.toString()).toContain('2\tpear "quoted"\t\\N\t2.250\t2024-06-07 06:09:10.5+00\t\\N\n');
    // (upper() leaves non-ASCII letters alone under the C locale, on both sides.)
    expect(outputs.proxy.stdout).toContain('id,shout,twice,flags\n5,üNïCøDé ✓,2000.000,{f}\n4,,-0.002,"{NULL,t}"\n');
  });

  it('copies 20 000 rows in text format in and out with \\copy', async () => {
    const lines: string[] = [];
    for (let i = 1; i <= 20_000; i++) {
      const amount = i % 7 === 0 ? '\\N' : `${Math.floor(i * 1.25)}.${String((i * 25) % 100).padStart(2, '0')}`;
      lines.push(`${i}\tname ${i}\t${amount}\ttab\\there\\\\back ${'é'.repeat(i % 5)}`);
    }
    const data = lines.join('\n') + '\n';
    writeFileSync(join(workDir, 'big.txt'), data);
    const checksumSql = (t: string) =>
      `select count(*)::int as n, md5(string_agg(concat_ws('|', id, name, coalesce(v::text, 'N'), note), ',' order by id)) as h from ${t}`;
    const results: Record<Target, { n: number; h: string; copiedOut: string }> = {} as never;
    for (const target of ['proxy', 'postgres'] as const) {
      const table = `bulk_${target}`;
      const out = await psqlOk(target, [
        '-c', `create table ${table} (id int primary key, name text, v numeric(12,2), note text)`,
        '-c', `\\copy ${table} from 'big.txt'`,
        '-c', `\\copy (select * from ${table} order by id) to 'big_${target}.out'`,
      ]);
      expect(out).toBe('CREATE TABLE\nCOPY 20000\nCOPY 20000\n');
      const [sum] = await directQuery<{ n: number; h: string }>(checksumSql(table));
      results[target] = { ...sum, copiedOut: createHash('sha256').update(readFileSync(join(workDir, `big_${target}.out`))).digest('hex') };
    }
    expect(results.proxy.n).toBe(20_000);
    expect(results.proxy).toEqual(results.postgres);
    // The file written through the proxy is the file that was loaded.
    expect(results.proxy.copiedOut).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('reports an error in the middle of a transaction, refuses what follows and rolls back at COMMIT', async () => {
    await psqlOk('proxy', ['-c', 'create table tx_proxy (id int); create table tx_postgres (id int)']);
    const results: Record<Target, RunResult> = {} as never;
    for (const target of ['proxy', 'postgres'] as const) {
      const script = join(workDir, `tx_${target}.sql`);
      writeFileSync(
        script,
        [`BEGIN;`, `INSERT INTO tx_${target} VALUES (1);`, 'SELECT 1/0;', `INSERT INTO tx_${target} VALUES (2);`, 'COMMIT;', `SELECT count(*) FROM tx_${target};`, ''].join('\n'),
      );
      results[target] = await psql(target, ['-f', script], { onErrorStop: false });
    }
    const proxy = results.proxy;
    expect(proxy.code).toBe(0);
    expect(proxy.stdout).toBe('BEGIN\nINSERT 0 1\nROLLBACK\n count \n-------\n     0\n(1 row)\n\n');
    const scriptPath = join(workDir, 'tx_proxy.sql');
    expect(proxy.stderr).toBe(
      `psql:${scriptPath}:3: ERROR:  division by zero\n` +
        `psql:${scriptPath}:4: ERROR:  current transaction is aborted, commands ignored until end of transaction block\n`,
    );
    expect(proxy.stdout).toBe(results.postgres.stdout);
    expect(proxy.stderr).toBe(results.postgres.stderr.replaceAll('tx_postgres', 'tx_proxy'));
    expect(await directQuery('select count(*)::int as n from tx_proxy')).toEqual([{ n: 0 }]);
    expect(stack().emulator.stats().openTransactions).toBe(0);
  });

  it('connects with sslmode=require (TLS to the proxy)', async () => {
    const out = await psqlOk('proxy', ['-c', '\\conninfo', '-A', '-t', '-c', 'select current_user, 1 + 1'], { sslmode: 'require' });
    expect(out).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
    expect(out).toContain('postgres|2\n');
    const plain = await psqlOk('proxy', ['-c', '\\conninfo'], { sslmode: 'disable' });
    expect(plain).not.toContain('SSL connection');
  });

  it('shows the SQLSTATE and the error position with \\set VERBOSITY verbose', async () => {
    await psqlOk('proxy', ['-c', 'create table verbose_t (a int, b text)']);
    const cases = [
      'select 1; select a, nosuch from verbose_t',
      "select 'a;b' as semi; /* ; */ select a,\n       b, nosuch_here\n  from verbose_t",
      'select 1;   selec 2',
    ];
    for (const sql of cases) {
      const results: Record<Target, RunResult> = {} as never;
      for (const target of ['proxy', 'postgres'] as const) {
        results[target] = await psql(target, ['-c', '\\set VERBOSITY verbose', '-c', sql]);
        expect(results[target].code).toBe(1);
      }
      // A legitimate difference: PostgreSQL adds a LOCATION line (its source file and line),
      // which the Data API's error text does not carry.
      const withoutLocation = results.postgres.stderr.replace(/^LOCATION: .*\n/m, '');
      expect({ sql, stderr: results.proxy.stderr }).toEqual({ sql, stderr: withoutLocation });
      if (!sql.includes('selec 2')) expect(results.proxy.stdout).toBe(results.postgres.stdout);
    }
    // Another: PostgreSQL parses a whole query string before running any of it, so a syntax
    // error in its 2nd statement means the 1st shows nothing. The proxy learns of the error
    // only when the Data API parses that statement, so the 1st statement's rows are shown
    // (it ran in the string's implicit transaction, which is then rolled back).
    const late = await psql('proxy', ['-A', '-t', '-c', 'select 1;   selec 2']);
    expect(late.stdout).toBe('1\n');
    expect((await psql('postgres', ['-A', '-t', '-c', 'select 1;   selec 2'])).stdout).toBe('');
    const first = await psql('proxy', ['-c', '\\set VERBOSITY verbose', '-c', cases[0]]);
    expect(first.stderr).toBe(
      'ERROR:  42703: column "nosuch" does not exist\n' + 'LINE 1: select 1; select a, nosuch from verbose_t\n' + '                            ^\n',
    );
    const second = await psql('proxy', ['-c', '\\set VERBOSITY verbose', '-c', cases[1]]);
    expect(second.stderr).toBe(
      'ERROR:  42703: column "nosuch_here" does not exist\n' + 'LINE 2:        b, nosuch_here\n' + '                  ^\n',
    );
    const syntax = await psql('proxy', ['-c', '\\set VERBOSITY verbose', '-c', cases[2]]);
    expect(syntax.stderr).toBe('ERROR:  42601: syntax error at or near "selec"\n' + 'LINE 1: select 1;   selec 2\n' + '                    ^\n');
  });
});
