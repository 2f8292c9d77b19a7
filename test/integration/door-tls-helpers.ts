// Helpers for the tests of TLS clients at the native front door (dsql and rds-iam): libpq clients
// that connect again and again over TLS, as an application that connects per request with libpq's
// defaults does (psycopg 3 with sslmode=require, pgbench -C with PGSSLMODE=require), and the
// proxy's records of the connections it opened.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { clientEnv, requirePsycopg, run, runPython, type RunResult } from '../harness/clients.js';
import { PG_BIN } from '../harness/postgres.js';
import type { ProxyProcess } from '../harness/proxy-process.js';

export const PGBENCH = join(PG_BIN, 'pgbench');

/** psycopg 3 (libpq) with sslmode=require, `rounds` connections in a row 0.4 s apart: each one's answer and whether it was over TLS. */
const PSYCOPG_TLS_ROUNDS = `
import sys, time, psycopg
host, port, user, application, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
for i in range(rounds):
    with psycopg.connect(host=host, port=port, user=user, dbname='postgres', sslmode='require', application_name=application) as c:
        print('ROW=%s TLS=%s' % (c.execute('select %s::int + 1', (i,)).fetchone()[0], c.pgconn.ssl_in_use))
    time.sleep(0.4)
`;

/** Runs PSYCOPG_TLS_ROUNDS against the proxy (dbname postgres); fails when psycopg 3 is missing. */
export async function runPsycopgTlsRounds(proxy: ProxyProcess, o: { user: string; application: string; rounds?: number }): Promise<RunResult> {
  await requirePsycopg();
  return runPython(['-c', PSYCOPG_TLS_ROUNDS, proxy.host, String(proxy.port), o.user, o.application, String(o.rounds ?? 3)]);
}

/** Every round of a runPsycopgTlsRounds ran over TLS and got its answer. */
export function expectPsycopgTlsRounds(r: RunResult, rounds = 3): void {
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n')).toEqual(Array.from({ length: rounds }, (_, i) => `ROW=${i + 1} TLS=True`));
}

/**
 * pgbench -C (-n, a new connection per transaction) with PGSSLMODE=require against the proxy's
 * database postgres, each transaction `select :n + 1`: `clients` clients of `transactions` each.
 */
export async function runPgbenchOverTls(
  proxy: ProxyProcess,
  o: { user: string; application: string; clients: number; transactions: number },
): Promise<RunResult> {
  const folder = mkdtempSync(join(tmpdir(), 'apgp-door-tls-'));
  try {
    const script = join(folder, 'select.sql');
    writeFileSync(script, '\\set n random(1, 1000)\nselect :n + 1;\n');
    const args = ['-h', proxy.host, '-p', String(proxy.port), '-U', o.user, '-n', '-C', '-c', String(o.clients), '-t', String(o.transactions), '-f', script, 'postgres'];
    return await run(PGBENCH, args, { env: clientEnv({ PGSSLMODE: 'require', PGAPPNAME: o.application }), timeoutMs: 120_000 });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A pgbench run that processed all `total` transactions with none failed. */
export function expectPgbenchAllOk(r: RunResult, total: number): void {
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`number of transactions actually processed: ${total}/${total}`));
  expect(r.stdout).toMatch(/number of failed transactions: 0 /);
}

/**
 * The proxy's 'connection opened' records of clients with this application_name (a session
 * answered at the door is recorded a moment after its answer, and may be over by then).
 */
export function openedRecords(proxy: ProxyProcess, application: string): Record<string, unknown>[] {
  return proxy.logRecords().filter((r) => r.msg === 'connection opened' && r.application === application);
}
