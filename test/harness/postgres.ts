// A throwaway PostgreSQL cluster (Debian's 15, or another major version from pg-versions.ts): initdb into a temporary folder, start on a free loopback
// port with trust authentication, remove everything on stop. PostgreSQL refuses to run as root,
// so when the tests run as root the cluster is owned by and started as the `postgres` user.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { postgresBinaries } from './pg-versions.js';

const execFileAsync = promisify(execFile);
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface ThrowawayPostgres {
  host: string;
  port: number;
  /** Superuser name; trust authentication, so no password. */
  user: string;
  database: string;
  /** `postgres://user@127.0.0.1:port/postgres` */
  url: string;
  stop(): Promise<void>;
}

function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

async function lookupPostgresUser(): Promise<{ uid: number; gid: number } | null> {
  try {
    const { stdout: uid } = await execFileAsync('id', ['-u', 'postgres']);
    const { stdout: gid } = await execFileAsync('id', ['-g', 'postgres']);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch {
    return null;
  }
}

export interface StartPostgresOptions {
  settings?: Record<string, string>;
  /**
   * Major version; 15 is Debian's, others are installed on first use. The default is 15, or
   * APGP_PG_VERSION when set (CI runs the Data API suites a second time on 17 that way).
   */
  version?: number;
}

function defaultVersion(): number {
  const fromEnv = Number(process.env.APGP_PG_VERSION ?? '15');
  if (!Number.isInteger(fromEnv) || fromEnv < 13) throw new Error(`APGP_PG_VERSION must be a PostgreSQL major version, not ${process.env.APGP_PG_VERSION}`);
  return fromEnv;
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const version = options.version ?? defaultVersion();
  const other = version !== 15 ? await postgresBinaries(version) : null;
  const serverBin = other?.bin ?? PG_BIN;
  const env = other ? { ...process.env, ...other.env } : process.env;
  const dir = mkdtempSync(join(tmpdir(), 'apgp-pg-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  let owner: { uid: number; gid: number } | null = null;
  if (runningAsRoot()) {
    owner = await lookupPostgresUser();
    if (!owner) throw new Error('running as root but no `postgres` user exists to own the test cluster');
    chmodSync(dir, 0o755);
    chownSync(dir, owner.uid, owner.gid);
  }
  const spawnOpts = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const user = 'postgres';

  await new Promise<void>((resolve, reject) => {
    const p = spawn(
      join(serverBin, 'initdb'),
      ['-D', dataDir, '-U', user, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...spawnOpts, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    p.stderr!.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (${code}): ${err}`))));
  });

  const settings: Record<string, string> = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${dir}'`,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '300',
    shared_buffers: '64MB',
    log_min_messages: 'fatal',
    ...options.settings,
  };
  const conf = Object.entries(settings)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), conf + '\n');
  if (owner) chownSync(join(dataDir, 'postgresql.auto.conf'), owner.uid, owner.gid);

  const server: ChildProcess = spawn(join(serverBin, 'postgres'), ['-D', dataDir], {
    ...spawnOpts,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serverLog = '';
  server.stderr!.on('data', (d) => {
    if (serverLog.length < 20000) serverLog += d;
  });
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));

  await waitReady(port, exited, () => serverLog);

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user,
    database: 'postgres',
    url: `postgres://${user}@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (server.exitCode === null) {
        server.kill('SIGINT'); // fast shutdown
        const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(port: number, exited: Promise<number | null>, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`postgres exited during start: ${log()}`);
    try {
      await execFileAsync(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not become ready on port ${port}: ${log()}`);
}
