// `aurora-pg-proxy demo --mode dsql` and `--mode rds-iam`: no AWS account, nothing installed beyond
// `npm ci`; the printed psql line works as printed through the proxy, which signs an IAM token that
// the demo's stand-in of the service verifies. SIGTERM ends it with exit code 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, isolatedAwsEnv } from '../harness/proxy-process.js';
import { freePort } from '../harness/ports.js';

const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function noAwsEnv(): NodeJS.ProcessEnv {
  const env = isolatedAwsEnv();
  for (const key of Object.keys(env)) if (key.startsWith('PG')) delete env[key];
  return env;
}

async function startDemo(args: string[]) {
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
  const deadline = Date.now() + 120_000;
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

describe.each([
  ['dsql', 'admin', /Aurora DSQL endpoint \S+\.dsql\.us-east-1\.on\.aws/],
  ['rds-iam', 'postgres', /RDS endpoint \S+\.us-east-1\.rds\.amazonaws\.com/],
])('aurora-pg-proxy demo --mode %s', (mode, user, banner) => {
  it('prints a psql line that works as printed, relays through the IAM login, and exits 0 on SIGTERM', { timeout: 240_000 }, async () => {
    const port = await freePort();
    const demo = await startDemo(['--mode', mode, '--listen', `127.0.0.1:${port}`]);
    try {
      expect(demo.psqlLine).toBe(`psql "postgresql://${user}@127.0.0.1:${port}/postgres"`);
      expect(demo.stdout()).toMatch(banner);
      expect(demo.output()).toContain(`(${mode})`);

      const r = await runPsql(demo.psqlLine, `-X -A -t -c 'select count(*) from customers' -c 'select current_user'`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // The stand-in logs every verified login in as the embedded database's postgres.
      expect(r.stdout.trim().split('\n')).toEqual(['5', 'postgres']);

      const bad = await runPsql(demo.psqlLine, `-X -c 'select * from no_such_table'`);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('relation "no_such_table" does not exist');
    } finally {
      demo.child.kill('SIGTERM');
      const timer = setTimeout(() => demo.child.kill('SIGKILL'), 15_000);
      expect(await demo.exited).toBe(0);
      clearTimeout(timer);
    }
    expect(demo.output()).not.toMatch(/Error:|ERR_|uncaught/i);
  });
});

describe('aurora-pg-proxy demo --mode', () => {
  it('refuses an unknown mode, naming the flag and the modes', async () => {
    const child = spawn(process.execPath, [CLI, 'demo', '--mode', 'mysql'], { cwd: REPO_ROOT, env: noAwsEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('--mode: expected one of data-api, dsql, rds-iam');
  });
});
