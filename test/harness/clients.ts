// Runs the real client programs the tests drive (psql, Python with psycopg) with an environment
// that has none of the machine's PostgreSQL settings: no password file, no psqlrc.
import { execFile } from 'node:child_process';

export const PSQL = '/usr/bin/psql';
export const PYTHON = '/usr/bin/python3';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** PATH, HOME and a UTF-8 locale, and nothing of the machine's libpq configuration. */
export function clientEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    PGCONNECT_TIMEOUT: '10',
    PGPASSFILE: '/nonexistent/aurora-pg-proxy-test/pgpass',
    PSQLRC: '/nonexistent/aurora-pg-proxy-test/psqlrc',
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Runs a program to its end (bounded by `timeoutMs`); never rejects. */
export function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: opts.env ?? clientEnv(), cwd: opts.cwd, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** psql with no psqlrc and no password prompt: `-X -w`, plus ON_ERROR_STOP unless told otherwise. */
export function runPsql(
  conninfo: string,
  args: string[],
  opts: { password?: string; onErrorStop?: boolean; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const stopOnError = opts.onErrorStop === false ? [] : ['-v', 'ON_ERROR_STOP=1'];
  return run(PSQL, ['-X', '-w', ...stopOnError, '-d', conninfo, ...args], {
    env: clientEnv({ PGPASSWORD: opts.password }),
    cwd: opts.cwd,
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
}

export function runPython(args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return run(PYTHON, args, { timeoutMs });
}

/** Fails with the install command when psycopg 3 is missing (a missing client is a failure). */
export async function requirePsycopg(): Promise<void> {
  const probe = await runPython(['-c', 'import psycopg; print(psycopg.__version__)']);
  if (probe.code !== 0 || !/^3\./.test(probe.stdout.trim())) {
    throw new Error(
      `psycopg 3 is not importable by ${PYTHON} (install it with \`apt-get install -y python3-psycopg\`): ${probe.stderr || probe.stdout}`,
    );
  }
}
