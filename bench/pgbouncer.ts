// Debian's pgbouncer in session mode with verified TLS to a benchmark PostgreSQL: the C pooler the
// proxy's relay and warm connections are measured against (installed when missing).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PG_BIN, type ThrowawayPostgres } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { writeOwned, type Scratch } from './tls-postgres.js';

const run = promisify(execFile);

async function ensurePgbouncer(): Promise<string> {
  for (const p of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (existsSync(p)) return p;
  console.log('pgbouncer is missing: installing the Debian package');
  await run('apt-get', ['update'], { maxBuffer: 64 << 20 });
  await run('apt-get', ['install', '-y', 'pgbouncer'], { maxBuffer: 64 << 20, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  for (const p of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (existsSync(p)) return p;
  throw new Error('pgbouncer is still missing after apt-get install');
}

export async function startPgbouncer(
  scratch: Scratch,
  db: ThrowawayPostgres,
  caPath: string,
  /** How long pgbouncer keeps an idle server connection (its server_idle_timeout). */
  serverIdleSeconds = 1,
  /** Names the instance's files, so that two can run side by side (the benchmark's control). */
  name = 'pgbouncer',
): Promise<{ port: number; child: ChildProcess }> {
  const bin = await ensurePgbouncer();
  const port = await freePort();
  const ca = writeOwned(scratch, `${name}-ca.crt`, readFileSync(caPath, 'utf8'));
  const users = writeOwned(scratch, `${name}-userlist.txt`, '"postgres" ""\n');
  const ini = writeOwned(
    scratch,
    `${name}.ini`,
    [
      '[databases]',
      `postgres = host=127.0.0.1 port=${db.port} dbname=postgres`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir =`,
      'auth_type = trust',
      `auth_file = ${users}`,
      'pool_mode = session',
      'max_client_conn = 500',
      'default_pool_size = 100',
      'server_tls_sslmode = verify-full',
      `server_tls_ca_file = ${ca}`,
      'ignore_startup_parameters = extra_float_digits',
      `server_idle_timeout = ${serverIdleSeconds}`,
      '',
    ].join('\n'),
  );
  const child = spawn(bin, [ini], { uid: scratch.uid, gid: scratch.gid, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => {
    if (log.length < 4096) log += d;
  });
  for (let i = 0; i < 100; i++) {
    try {
      await run(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
      return { port, child };
    } catch {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error(`pgbouncer did not start: ${log}`);
}
