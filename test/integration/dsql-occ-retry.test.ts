// Optimistic-concurrency retries (--occ-retries) through the real proxy process, with the DSQL
// stand-in failing statements marked `occ-conflict=N` their first N times with 40001 OC000/OC001
// (test/harness/occ-injector.ts), for node-postgres, psql and pgJDBC.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useDsqlStack } from './dsql-fixture.js';
import { runPsql } from '../harness/clients.js';
import { REPO_ROOT } from '../harness/proxy-process.js';

const stack = useDsqlStack();
const open: pg.Client[] = [];

async function connect(proxy = stack().proxy): Promise<pg.Client> {
  const client = new pg.Client(stack().pgConfig(proxy));
  client.on('error', () => {});
  open.push(client);
  await client.connect();
  return client;
}

async function direct<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: stack().db.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const rows = (table: string) => direct(async (c) => (await c.query(`select v from ${table} order by v`)).rows.map((r) => r.v as number));

beforeAll(async () => {
  await direct(async (c) => {
    for (const t of ['occ_node', 'occ_psql', 'occ_jdbc', 'occ_copy']) await c.query(`create table ${t} (v int)`);
  });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => {})));
});

describe('OCC retries through the DSQL proxy', () => {
  it('node-postgres: a simple autocommit statement that conflicts twice succeeds, once', async () => {
    const client = await connect();
    const before = stack().standIn.stats.occ.injected;
    const r = await client.query('/* occ-conflict=2 */ insert into occ_node values (1)');
    expect(r.rowCount).toBe(1);
    expect(stack().standIn.stats.occ.injected - before).toBe(2);
    expect(await rows('occ_node')).toEqual([1]);
  });

  it('node-postgres: an extended-protocol batch (parameters) is retried, and a schema-change conflict (OC001) too', async () => {
    const client = await connect();
    const r = await client.query('/* occ-conflict=1,OC001 */ insert into occ_node values ($1) returning v', [2]);
    expect(r.rows).toEqual([{ v: 2 }]);
    expect(await rows('occ_node')).toEqual([1, 2]);
  });

  it('node-postgres: after --occ-retries (3) attempts the client gets the 40001, and nothing happened', async () => {
    const client = await connect();
    const before = stack().standIn.stats.occ.injected;
    const err = await client.query('/* occ-conflict=9 */ insert into occ_node values (3)').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('40001');
    expect((err as Error).message).toMatch(/OC000/);
    expect(stack().standIn.stats.occ.injected - before).toBe(4);
    expect(await rows('occ_node')).toEqual([1, 2]);
    // The session goes on normally.
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('node-postgres: never retries inside an explicit transaction', async () => {
    const client = await connect();
    const before = stack().standIn.stats.occ.injected;
    await client.query('begin');
    const err = await client.query('/* occ-conflict=1 */ insert into occ_node values (4)').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('40001');
    expect(stack().standIn.stats.occ.injected - before).toBe(1);
    await client.query('rollback');
    expect(await rows('occ_node')).toEqual([1, 2]);
  });

  it('node-postgres: a multi-statement simple query is not retried', async () => {
    const client = await connect();
    const err = await client.query('select 1; /* occ-conflict=1 */ insert into occ_node values (5)').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('40001');
    expect(await rows('occ_node')).toEqual([1, 2]);
  });

  it('psql: COPY FROM STDIN outside a transaction is not held back (the answer waits for the client)', async () => {
    const p = stack().proxy;
    const dir = mkdtempSync(join(tmpdir(), 'apgp-occ-'));
    try {
      const script = join(dir, 'copy.sql');
      writeFileSync(script, 'copy occ_copy from stdin;\n100\n101\n\\.\n');
      const r = await runPsql(`host=${p.host} port=${p.port} user=admin dbname=postgres sslmode=disable`, ['-f', script]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('COPY 2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await rows('occ_copy')).toEqual([100, 101]);
  });

  it('--occ-retries 0 passes the first conflict to the client', async () => {
    const proxy = await stack().startProxy({ extraArgs: ['--occ-retries', '0'] });
    const client = await connect(proxy);
    const err = await client.query('/* occ-conflict=1 */ insert into occ_node values (6)').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('40001');
    expect(await rows('occ_node')).toEqual([1, 2]);
  });

  it('psql: an autocommit statement that conflicts is retried and psql sees only its success', async () => {
    const p = stack().proxy;
    const r = await runPsql(`host=${p.host} port=${p.port} user=admin dbname=postgres sslmode=disable`, [
      '-c',
      '/* occ-conflict=3 */ insert into occ_psql values (7)',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('INSERT 0 1');
    expect(r.stderr).toBe('');
    expect(await rows('occ_psql')).toEqual([7]);
  });

  it('pgJDBC: a prepared autocommit insert is retried; inside a transaction the driver gets 40001', async () => {
    const url = `jdbc:postgresql://127.0.0.1:${stack().proxy.port}/postgres?sslmode=disable&connectTimeout=10&socketTimeout=30`;
    const program = join(REPO_ROOT, 'test', 'integration', 'java', 'OccRetry.java');
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) =>
      execFile('java', ['-cp', '/usr/share/java/postgresql.jar', program, url], { timeout: 90_000 }, (_e, stdout, stderr) =>
        resolve({ stdout, stderr }),
      ),
    );
    expect(stdout, stderr).toContain('AUTOCOMMIT_INSERT=1');
    expect(stdout).toContain('TX_ERROR=40001');
    expect(stdout).toContain('ROWS=1 SUM=1');
    expect(await rows('occ_jdbc')).toEqual([1]);
  });
});
