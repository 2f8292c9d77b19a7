// The README's main job: `aurora-pg-proxy demo` with no AWS account and nothing installed beyond
// `npm ci`, then the psql line it prints, exactly as printed. SIGTERM ends it with exit code 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, isolatedAwsEnv } from '../harness/proxy-process.js';
import { freePort } from '../harness/ports.js';

const running: ChildProcess[] = [];

afterAll(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Demo {
  child: ChildProcess;
  stdout: () => string;
  output: () => string;
  psqlLine: string;
  exited: Promise<number | null>;
}

/** No AWS credentials or configuration at all: the demo must not need any. */
function noAwsEnv(): NodeJS.ProcessEnv {
  const env = isolatedAwsEnv();
  for (const key of Object.keys(env)) if (key.startsWith('PG')) delete env[key];
  return env;
}

async function startDemo(args: string[]): Promise<Demo> {
  const child = spawn(process.execPath, [CLI, 'demo', ...args], { cwd: REPO_ROOT, env: noAwsEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let stdout = '';
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  let line: string | undefined;
  while (!line) {
    line = /^\s*(psql .+)$/m.exec(stdout)?.[1];
    if (line) break;
    if (child.exitCode !== null) throw new Error(`demo exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`demo printed no psql line:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, stdout: () => stdout, output: () => output, psqlLine: line.trim(), exited };
}

/** Runs the printed line through a shell, as a user pastes it, with extra psql arguments. */
function runPsql(line: string, extra: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${line} ${extra}`], {
      env: { ...noAwsEnv(), PATH: `/usr/bin:${process.env.PATH ?? ''}`, PSQLRC: '/dev/null', PAGER: 'cat' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`psql did not finish: ${stdout}\n${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function stopDemo(demo: Demo): Promise<number | null> {
  demo.child.kill('SIGTERM');
  const timer = setTimeout(() => demo.child.kill('SIGKILL'), 15_000);
  const code = await demo.exited;
  clearTimeout(timer);
  return code;
}

describe('aurora-pg-proxy demo', () => {
  it('prints a psql line that works as printed, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const demo = await startDemo(['--listen', `127.0.0.1:${port}`]);
    try {
      expect(demo.psqlLine).toBe(`psql "postgresql://postgres@127.0.0.1:${port}/postgres"`);

      const r = await runPsql(demo.psqlLine, `-X -c 'select count(*) from customers' -c '\\dt'`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ count \n-------\n     5\n\(1 row\)/);
      // \dt lists the sample tables (psql's catalog queries, through the Data API translation).
      for (const table of ['customers', 'order_lines', 'orders', 'products']) {
        expect(r.stdout).toMatch(new RegExp(`^ public \\| ${table} +\\| table \\| postgres$`, 'm'));
      }
      expect(r.stdout).toMatch(/\(4 rows\)/);

      const view = await runPsql(demo.psqlLine, `-X -A -t -c 'select customer, total from order_totals order by order_id'`);
      expect(view.code).toBe(0);
      expect(view.stdout.trim().split('\n')).toEqual([
        'Ada Lovelace|168.90',
        'Grace Hopper|629.00',
        'Margaret Hamilton|54.00',
        'Ada Lovelace|25.00',
        'Hedy Lamarr|291.00',
      ]);
      // Temp objects made inside a transaction: the session's schema is made in that same
      // transaction, since the demo's database (PGlite) has one connection that the open
      // transaction holds; a rolled-back one takes its temp table with it, as in PostgreSQL.
      const temp = await runPsql(
        demo.psqlLine,
        `-X -A -t -v ON_ERROR_STOP=1 -c 'begin' -c 'create temp table scratch (n int)' -c 'rollback' ` +
          `-c 'begin' -c 'create temp table picks as select id from customers where id <= 2' -c 'savepoint s' -c 'rollback to s' ` +
          `-c 'create temp sequence tick' -c 'commit' -c 'select count(*) from picks' -c 'select to_regclass($$scratch$$) is null'`,
      );
      expect(temp.stderr).toBe('');
      expect(temp.stdout.trim().split('\n')).toEqual(['BEGIN', 'CREATE TABLE', 'ROLLBACK', 'BEGIN', 'SELECT 2', 'SAVEPOINT', 'ROLLBACK', 'CREATE SEQUENCE', 'COMMIT', '2', 't']);
      // Errors inside a transaction (psql's ON_ERROR_ROLLBACK savepoints, a unique violation,
      // whose error fields the proxy would complete by asking the catalogue beside the
      // transaction) and SET TIME ZONE in one (resolved by asking the database) must not wait
      // for the one session that transaction holds.
      const inTx = await runPsql(
        demo.psqlLine,
        `-X -A -t -v ON_ERROR_ROLLBACK=on -c 'begin' -c 'insert into customers (name, email, country) values ($$x$$, $$ada@example.com$$, $$GB$$)' ` +
          `-c 'set time zone $$Europe/Paris$$' -c 'show timezone' -c 'select count(*) from customers' -c 'commit' -c 'show timezone'`,
      );
      expect(inTx.stderr).toContain('duplicate key value violates unique constraint "customers_email_key"');
      expect(inTx.stdout.trim().split('\n')).toEqual(['BEGIN', 'SET', 'Europe/Paris', '5', 'COMMIT', 'Europe/Paris']);
      // A failing statement gets PostgreSQL's own error, and the demo keeps serving.
      const bad = await runPsql(demo.psqlLine, `-X -c 'select * from no_such_table'`);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('relation "no_such_table" does not exist');
    } finally {
      expect(await stopDemo(demo)).toBe(0);
    }
    expect(demo.output()).not.toMatch(/Error:|ERR_|uncaught/i);
  });

  it('without --listen (the README command) picks 5432 or the next free port and prints it', async () => {
    const demo = await startDemo([]);
    try {
      const m = /^psql "postgresql:\/\/postgres@127\.0\.0\.1:(\d+)\/postgres"$/.exec(demo.psqlLine);
      expect(m, demo.psqlLine).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(5432);
      const r = await runPsql(demo.psqlLine, `-X -A -t -c 'select name from customers order by id limit 1'`);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('Ada Lovelace');
    } finally {
      expect(await stopDemo(demo)).toBe(0);
    }
  });
});
