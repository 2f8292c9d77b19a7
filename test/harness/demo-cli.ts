// Drives `aurora-pg-proxy demo` and its printed psql line as a user would, so each demo mode's end-to-end test checks the same steps.
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CLI, REPO_ROOT, isolatedAwsEnv } from './proxy-process.js';

export interface Demo {
  child: ChildProcess;
  stdout: () => string;
  output: () => string;
  psqlLine: string;
  exited: Promise<number | null>;
}

export interface PsqlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running: ChildProcess[] = [];

/** For `afterAll`: SIGKILLs every demo and psql process this module started that is still running. */
export function killLeftoverDemoProcesses(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** No AWS credentials or configuration at all: the demo must not need any. */
export function noAwsEnv(): NodeJS.ProcessEnv {
  const env = isolatedAwsEnv();
  for (const key of Object.keys(env)) if (key.startsWith('PG')) delete env[key];
  return env;
}

/** `aurora-pg-proxy demo <args>` with piped output, killed by `killLeftoverDemoProcesses` if left running. */
export function spawnDemoCli(args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  const child = spawn(process.execPath, [CLI, 'demo', ...args], { cwd: REPO_ROOT, env: noAwsEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  return child;
}

/** Starts the demo and waits until it prints its psql line (failing after `psqlLineWithinMs`). */
export async function startDemo(args: string[], { psqlLineWithinMs = 60_000 }: { psqlLineWithinMs?: number } = {}): Promise<Demo> {
  const child = spawnDemoCli(args);
  let stdout = '';
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + psqlLineWithinMs;
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
export function runPsql(line: string, extra: string): Promise<PsqlResult> {
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

/** SIGTERM, then SIGKILL if the demo has not exited within 15 s; resolves to its exit code. */
export async function stopDemo(demo: Demo): Promise<number | null> {
  demo.child.kill('SIGTERM');
  const timer = setTimeout(() => demo.child.kill('SIGKILL'), 15_000);
  const code = await demo.exited;
  clearTimeout(timer);
  return code;
}
