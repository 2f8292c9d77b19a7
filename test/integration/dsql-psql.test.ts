// psql 15 (libpq) through the real proxy process and the DSQL stand-in: no password and no
// token on the client side; the proxy signs one for each login.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDsqlStack } from './dsql-fixture.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { runPsql, type RunResult } from '../harness/clients.js';

const stack = useDsqlStack();


function psql(
  proxy: ProxyProcess,
  args: string[],
  opts: { sslmode?: string; password?: string; user?: string } = {},
): Promise<RunResult> {
  const conninfo = `host=127.0.0.1 port=${proxy.port} user=${opts.user ?? 'admin'} dbname=postgres sslmode=${opts.sslmode ?? 'prefer'}`;
  return runPsql(conninfo, args, { password: opts.password, timeoutMs: 20_000 });
}

/** Unaligned, tuples-only output lines. */
async function psqlValues(proxy: ProxyProcess, args: string[], opts?: Parameters<typeof psql>[2]): Promise<string[]> {
  const r = await psql(proxy, ['-A', '-t', ...args], opts);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

describe('psql through the DSQL proxy', () => {
  it('runs several statements given with -c', async () => {
    expect(await psqlValues(stack().proxy, ['-c', 'select 1; select 2'])).toEqual(['1', '2']);
  });

  it('runs a script given with -f and describes its table with \\d', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apgp-psql-'));
    try {
      const script = join(dir, 'script.sql');
      writeFileSync(
        script,
        [
          'create table psql_items (id integer primary key, name text not null, price numeric(8,2));',
          "insert into psql_items values (1, 'apple', 1.25), (2, 'pear', 2.50), (3, 'plum', null);",
          'select id, name, price from psql_items order by id;',
          '',
        ].join('\n'),
      );
      const r = await psql(stack().proxy, ['-A', '-F', '|', '-f', script]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('CREATE TABLE');
      expect(r.stdout).toContain('INSERT 0 3');
      expect(r.stdout).toContain('id|name|price\n1|apple|1.25\n2|pear|2.50\n3|plum|\n(3 rows)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const list = await psql(stack().proxy, ['-c', '\\d']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('List of relations');
    expect(list.stdout).toMatch(/public\s*\|\s*psql_items\s*\|\s*table\s*\|\s*postgres/);

    const table = await psql(stack().proxy, ['-c', '\\d psql_items']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Table "public.psql_items"');
    expect(table.stdout).toMatch(/id\s*\|\s*integer\s*\|\s*\|\s*not null/);
    expect(table.stdout).toMatch(/name\s*\|\s*text\s*\|\s*\|\s*not null/);
    expect(table.stdout).toMatch(/price\s*\|\s*numeric\(8,2\)/);
    expect(table.stdout).toContain('"psql_items_pkey" PRIMARY KEY, btree (id)');
  });

  it('shows an error with its message and SQLSTATE', async () => {
    const r = await psql(stack().proxy, ['-v', 'VERBOSITY=verbose', '-c', 'select * from no_such_table']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ERROR:  42P01: relation "no_such_table" does not exist');
    expect(r.stderr).toContain('LINE 1: select * from no_such_table');
  });

  it('connects with sslmode=require (TLS to the proxy) and with sslmode=disable', async () => {
    const tls = await psql(stack().proxy, ['-c', '\\conninfo'], { sslmode: 'require' });
    expect(tls.code).toBe(0);
    expect(tls.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
    const plain = await psql(stack().proxy, ['-c', '\\conninfo'], { sslmode: 'disable' });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('You are connected to database "postgres" as user "admin"');
    expect(plain.stdout).not.toContain('SSL connection');
    expect(await psqlValues(stack().proxy, ['-c', 'select current_user'], { sslmode: 'require' })).toEqual(['postgres']);
    expect(await psqlValues(stack().proxy, ['-c', 'select current_user'], { sslmode: 'disable' })).toEqual(['postgres']);
  });

  // Megabytes each way through the relay's read buffers, over TLS to the proxy and over plain TCP:
  // what psql sends with \copy from must come back from \copy to byte for byte.
  for (const sslmode of ['require', 'disable']) {
    it(`moves megabytes both ways with \\copy (sslmode=${sslmode})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'apgp-psql-bulk-'));
      const table = `psql_bulk_${sslmode}`;
      try {
        const rows: string[] = [];
        for (let i = 1; i <= 30_000; i++) rows.push(`${i}\t${randomBytes(120).toString('hex')}\n`);
        const input = join(dir, 'in.tsv');
        const output = join(dir, 'out.tsv');
        writeFileSync(input, rows.join(''));
        const r = await psql(
          stack().proxy,
          [
            '-c', `create table ${table} (id integer primary key, payload text not null)`,
            '-c', `\\copy ${table} from '${input}'`,
            '-c', `\\copy (select id, payload from ${table} order by id) to '${output}'`,
            '-c', `drop table ${table}`,
          ],
          { sslmode },
        );
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toContain('COPY 30000');
        const sent = readFileSync(input);
        const back = readFileSync(output);
        expect(sent.length).toBeGreaterThan(7_000_000);
        expect(back.length).toBe(sent.length);
        expect(back.equals(sent)).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  describe('with --client-auth scram-sha-256', () => {
    const PASSWORD = 'correct horse battery staple';
    let scramProxy: ProxyProcess | undefined;
    const proxy = async () =>
      (scramProxy ??= await stack().startProxy({
        extraArgs: ['--client-auth', 'scram-sha-256'],
        env: { AURORA_PG_PROXY_CLIENT_PASSWORD: PASSWORD },
      }));

    it('accepts the right password', async () => {
      expect(await psqlValues(await proxy(), ['-c', 'select 40 + 2'], { password: PASSWORD })).toEqual(['42']);
    });

    it('refuses a wrong password', async () => {
      const r = await psql(await proxy(), ['-c', 'select 1'], { password: 'wrong password' });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('password authentication failed for user "admin"');
    });

    it('refuses a missing password without prompting', async () => {
      const r = await psql(await proxy(), ['-c', 'select 1']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('no password supplied');
    });
  });
});
