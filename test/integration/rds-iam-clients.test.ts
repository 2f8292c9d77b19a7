// psql, node-postgres, pgJDBC and psycopg through the real `aurora-pg-proxy rds-iam` process and
// the RDS stand-in: no password and no token on the client side; the proxy signs an rds-db token
// for each database user, and the stand-in verifies it before relaying to PostgreSQL.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { REPO_ROOT, credentialEnv, isolatedAwsEnv, startProxyProcess } from '../harness/proxy-process.js';
import { freePort } from '../harness/ports.js';
import { requirePsycopg, runPsql, runPython } from '../harness/clients.js';
import { RDS_HOSTNAME, useRdsIamStack } from './rds-iam-fixture.js';

const stack = useRdsIamStack();
const open: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => {})));
});

async function connected(extra: pg.ClientConfig = {}): Promise<pg.Client> {
  const c = new pg.Client(stack().pgConfig(undefined, extra));
  c.on('error', () => {});
  open.push(c);
  await c.connect();
  return c;
}

/** DBUser of each distinct token the stand-in received. */
function tokenUsers(): string[] {
  return [...new Set(stack().standIn.stats.tokens)].map((t) => /[?&]DBUser=([^&]*)/.exec(t)?.[1] ?? '?');
}

describe('clients through rds-iam', () => {
  it('psql runs statements with no password (sslmode=prefer and require)', async () => {
    for (const sslmode of ['prefer', 'require']) {
      const r = await runPsql(`host=127.0.0.1 port=${stack().proxy.port} user=postgres dbname=postgres sslmode=${sslmode}`, ['-A', '-t', '-c', 'select current_user; select 40 + 2'], {
        timeoutMs: 20_000,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['postgres', '42']);
    }
  });

  it('node-postgres: parameters, a transaction, and one cached token per database user', async () => {
    const before = stack().standIn.stats.accepted;
    const a = await connected();
    expect((await a.query('select $1::int + $2::int as sum', [20, 22])).rows).toEqual([{ sum: 42 }]);
    await a.query('begin');
    await a.query('create temp table t (x int)');
    await a.query('insert into t values (1), (2)');
    expect((await a.query('select count(*)::int as n from t')).rows).toEqual([{ n: 2 }]);
    await a.query('rollback');
    const b = await connected();
    expect((await b.query('select current_user as u')).rows).toEqual([{ u: 'postgres' }]);
    // The stand-in maps DBUser admin to PostgreSQL's postgres, as the DSQL stand-in does.
    const admin = await connected({ user: 'admin' });
    expect((await admin.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(stack().standIn.stats.accepted - before).toBe(3);
    const users = tokenUsers();
    expect(users.filter((u) => u === 'postgres')).toHaveLength(1);
    expect(users.filter((u) => u === 'admin')).toHaveLength(1);
  });

  it('pgJDBC (the driver of DBeaver and DataGrip) connects without a password and runs its smoke program', async () => {
    const jar = '/usr/share/java/postgresql.jar';
    if (!existsSync(jar)) throw new Error(`${jar} is missing: install it with \`apt-get install -y libpostgresql-jdbc-java\``);
    const url = `jdbc:postgresql://127.0.0.1:${stack().proxy.port}/postgres?sslmode=require&connectTimeout=10&socketTimeout=30`;
    const program = join(REPO_ROOT, 'test', 'integration', 'java', 'DsqlSmoke.java');
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('java', ['-cp', jar, program, url], { timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' } }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    expect(r.stdout, r.stdout + r.stderr).not.toMatch(/^ERROR=/m);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('USER=postgres\n');
    expect(r.stdout).toContain('BATCH_TABLE=100,5050,row 99\n');
    expect(r.stdout).toContain('TX_VISIBLE=committed\n');
    expect(r.stdout).toContain('DONE=ok\n');
  });

  it('psycopg 3 connects without a password and runs its smoke script', async () => {
    await requirePsycopg();
    const conninfo = `host=127.0.0.1 port=${stack().proxy.port} user=postgres dbname=postgres sslmode=require`;
    const r = await runPython([join(REPO_ROOT, 'test', 'integration', 'python', 'dsql_smoke.py'), conninfo]);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out.error, JSON.stringify(out)).toBeUndefined();
    expect(r.code).toBe(0);
    expect(out.user).toBe('postgres');
    expect(out.ssl_in_use).toBe(true);
    expect(out.inserted).toBe(3);
    expect(out.after_rollback).toBe(0);
    expect(out.division).toEqual({ sqlstate: '22012', message: 'division by zero' });
  });

  it('a YAML listener with mode: rds-iam takes the same settings as the flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rds-iam-config-'));
    stack().onStop(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'listeners:',
        '  - name: orders',
        '    mode: rds-iam',
        `    listen: 127.0.0.1:${port}`,
        `    host: ${RDS_HOSTNAME}`,
        '    port: 5432',
        `    connectTo: 127.0.0.1:${stack().standIn.port}`,
        `    upstreamCa: ${stack().pki.caPath}`,
        '    connectTimeout: 5',
      ].join('\n'),
    );
    const proxy = await startProxyProcess(['--config', file], { env: isolatedAwsEnv(credentialEnv()), port });
    stack().onStop(() => proxy.stop());
    const c = new pg.Client(stack().pgConfig(proxy));
    c.on('error', () => {});
    open.push(c);
    await c.connect();
    expect((await c.query('select current_user as u')).rows).toEqual([{ u: 'postgres' }]);
    expect(proxy.output()).toContain('(rds-iam)');
  });
});
