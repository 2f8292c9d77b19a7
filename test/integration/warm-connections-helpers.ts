// Helpers for the warm-connection and reuse tests (dsql and rds-iam): reading the proxy's
// metrics, waiting for a condition with a bounded number of polls, cancelling a query through
// the proxy, and asking PostgreSQL directly whether a backend still runs.
import { connect } from 'node:net';
import pg from 'pg';
import { encodeCancelRequest } from '../../src/protocol/frontend-encoder.js';
import type { ThrowawayPostgres } from '../harness/postgres.js';

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
