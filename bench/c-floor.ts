// The C relay floors of the relay benchmark (bench/relay-floor.c): built here with the system's
// compiler against liburing and OpenSSL (their Debian development packages installed when
// missing, as pgbouncer is), then started in front of the benchmark's TLS PostgreSQL, once
// waiting on sockets with epoll as the proxy and pgbouncer do, once with io_uring.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../test/harness/ports.js';
import { REPO_ROOT } from '../test/harness/proxy-process.js';

const run = promisify(execFile);

export type FloorMode = 'epoll' | 'uring';

async function ensureHeaders(): Promise<void> {
  const missing = [
    ['liburing-dev', '/usr/include/liburing.h'],
    ['libssl-dev', '/usr/include/openssl/ssl.h'],
  ].flatMap(([pkg, header]) => (existsSync(header) ? [] : [pkg]));
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(', ')} for the C relay floors`);
  await run('apt-get', ['update'], { maxBuffer: 64 << 20 });
  await run('apt-get', ['install', '-y', ...missing], { maxBuffer: 64 << 20, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Compiles bench/relay-floor.c; returns the binary's path. */
export async function buildFloor(): Promise<string> {
  await ensureHeaders();
  const binary = join(mkdtempSync(join(tmpdir(), 'apgp-relay-floor-')), 'relay-floor');
  await run('gcc', ['-O2', '-Wall', '-Wextra', '-o', binary, join(REPO_ROOT, 'bench', 'relay-floor.c'), '-luring', '-lssl', '-lcrypto']);
  return binary;
}

/** One floor relay listening on a free port, TLS (verify-full, SNI `serverName`) to dbPort. */
export async function startFloor(binary: string, mode: FloorMode, dbPort: number, caPath: string, serverName: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(binary, [mode, String(port), String(dbPort), caPath, serverName], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the ${mode} relay floor exited (${code}): ${errors.trim()}`)));
  });
  return { port, child };
}
