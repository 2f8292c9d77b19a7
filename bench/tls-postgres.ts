// Shared benchmark setup: a throwaway PostgreSQL that terminates TLS itself, with a certificate
// for the DSQL-style cluster name and 127.0.0.1 from a test CA, in a scratch folder the
// `postgres` user owns when we run as root (PostgreSQL and pgbouncer refuse root). Used by
// relay-compare.ts and warm-connections.ts so that both measure the same direct-TLS path.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPostgres, type ThrowawayPostgres } from '../test/harness/postgres.js';
import { createTestPki, type TestPki } from '../test/harness/pki.js';

const run = promisify(execFile);

/** The endpoint name the proxy is told (--host); PostgreSQL's certificate names it too. */
export const BENCH_HOST = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';

export interface Scratch {
  dir: string;
  uid?: number;
  gid?: number;
}

/** A folder the `postgres` user owns when we run as root. */
export async function ownedScratch(): Promise<Scratch> {
  const dir = mkdtempSync(join(tmpdir(), 'apgp-relaybench-'));
  if (process.getuid?.() !== 0) return { dir };
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  chownSync(dir, uid, gid);
  return { dir, uid, gid };
}

export function writeOwned(scratch: Scratch, name: string, text: string, mode = 0o644): string {
  const path = join(scratch.dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  if (scratch.uid !== undefined) chownSync(path, scratch.uid, scratch.gid!);
  return path;
}

export interface TlsPostgres {
  db: ThrowawayPostgres;
  pki: TestPki;
  scratch: Scratch;
  stop(): Promise<void>;
}

/** PostgreSQL with ssl=on and a certificate for BENCH_HOST and 127.0.0.1. */
export async function startTlsPostgres(): Promise<TlsPostgres> {
  const scratch = await ownedScratch();
  const pki = await createTestPki([BENCH_HOST, '127.0.0.1']);
  const cert = writeOwned(scratch, 'server.crt', pki.serverCertPem);
  const key = writeOwned(scratch, 'server.key', pki.serverKeyPem, 0o600);
  const db = await startPostgres({ settings: { ssl: 'on', ssl_cert_file: `'${cert}'`, ssl_key_file: `'${key}'` } });
  return {
    db,
    pki,
    scratch,
    stop: async () => {
      await db.stop();
      pki.cleanup();
      rmSync(scratch.dir, { recursive: true, force: true });
    },
  };
}
