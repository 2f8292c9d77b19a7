// Helpers for the warm-connection and reuse tests (dsql and rds-iam): reading the proxy's
// metrics, waiting for a condition with a bounded number of polls, cancelling a query through
// the proxy, and asking PostgreSQL directly whether a backend still runs.
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { encodeCancelRequest } from '../../src/protocol/frontend-encoder.js';
import type { ThrowawayPostgres } from '../harness/postgres.js';
import { REPO_ROOT } from '../harness/proxy-process.js';

export const JDBC_JAR = '/usr/share/java/postgresql.jar';
const REUSE_SESSIONS_PROGRAM = join(REPO_ROOT, 'test', 'integration', 'java', 'ReuseSessions.java');

/**
 * ReuseSessions.java: pgJDBC connecting `rounds` times in a row to `url`, each round a statement
 * run seven times (named on the server from the fifth); its exit code and KEY=value lines.
 */
export function runReuseSessions(url: string, rounds: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'java',
      ['-cp', JDBC_JAR, REUSE_SESSIONS_PROGRAM, url, String(rounds)],
      { timeout: 90_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** A ReuseSessions run whose every round ran without an error and got its sum. */
export function expectReuseSessionsOk(r: { code: number; stdout: string; stderr: string }, rounds: number): void {
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('ERROR='))).toEqual([]);
  expect(lines.filter((l) => l.startsWith('SUM='))).toEqual(Array(rounds).fill('SUM=28'));
  expect(lines).toContain('DONE=ok');
}

/** The value of one metric series whose labels include all of `labels` (0 when absent). */
export async function metricValue(metricsPort: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`aurora_pg_proxy_${name}{`) && !line.startsWith(`aurora_pg_proxy_${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Polls until `check` holds; throws with `what` after `tries` polls (100 ms apart). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, tries = 150): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The ParameterStatus values a node-postgres client received during login. */
export function captureParameterStatus(client: pg.Client): Record<string, string> {
  const seen: Record<string, string> = {};
  const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
  connection.on('parameterStatus', (m: { parameterName: string; parameterValue: string }) => (seen[m.parameterName] = m.parameterValue));
  return seen;
}

/** Sends a CancelRequest to the proxy with the key the client got from it. */
export async function cancelThroughProxy(host: string, port: number, client: pg.Client): Promise<void> {
  const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host, port }, () => s.end(encodeCancelRequest(processID, secretKey)));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

export async function backendPid(client: pg.Client): Promise<number> {
  return (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
}

/** Whether PostgreSQL still runs this backend (asked directly, not through the proxy). */
export async function backendAlive(db: ThrowawayPostgres, pid: number): Promise<boolean> {
  const direct = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.database });
  await direct.connect();
  try {
    return (await direct.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount === 1;
  } finally {
    await direct.end();
  }
}
