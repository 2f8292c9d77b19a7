// --warm-connections and --reuse-connections in rds-iam mode (default reset: DISCARD ALL),
// against the RDS stand-in in front of a throwaway PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freePort } from '../harness/ports.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { startRdsIamStack, type RdsIamStack } from './rds-iam-fixture.js';
import { backendAlive, backendPid, cancelThroughProxy, captureParameterStatus, metricValue, waitFor } from './warm-connections-helpers.js';

describe('rds-iam --warm-connections and --reuse-connections', () => {
  let stack: RdsIamStack;
  let proxy: ProxyProcess;
  let metrics: number;
  const client = () => new pg.Client(stack.pgConfig(proxy));

  beforeAll(async () => {
    stack = await startRdsIamStack();
    metrics = await freePort();
    proxy = await stack.startProxy({
      extraArgs: ['--warm-connections', '2', '--reuse-connections', '--metrics-listen', `127.0.0.1:${metrics}`],
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves a warm hit with the login ParameterStatus and cancel, then resets and reuses the connection', async () => {
    const first = client();
    await first.connect();
    await first.end();
    await waitFor('warm connections', async () => (await metricValue(metrics, 'warm_connections_idle')) >= 2);

    const hitsBefore = await metricValue(metrics, 'warm_connection_requests_total', { result: 'hit' });
    const c = client();
    const params = captureParameterStatus(c);
    await c.connect();
    expect(await metricValue(metrics, 'warm_connection_requests_total', { result: 'hit' })).toBe(hitsBefore + 1);
    expect(params.server_version).toMatch(/^\d+/);
    expect(params.session_authorization).toBe('postgres');
    const pid = await backendPid(c);
    const sleeping = c.query('select pg_sleep(30)').then(
      () => null,
      (e: { code?: string }) => e.code,
    );
    await waitFor('pg_sleep to run', async () => {
      const d = new pg.Client({ host: stack.db.host, port: stack.db.port, user: stack.db.user, database: stack.db.database });
      await d.connect();
      const r = await d.query(`select 1 from pg_stat_activity where pid = $1 and query like 'select pg_sleep%'`, [pid]);
      await d.end();
      return r.rowCount === 1;
    });
    await cancelThroughProxy(proxy.host, proxy.port, c);
    expect(await sleeping).toBe('57014');
    await c.query(`set work_mem = '7MB'`);
    await c.query('create temp table leak_t (x int)');
    await c.query({ name: 'leak_named', text: 'select 1' });
    const reusedBefore = await metricValue(metrics, 'warm_connections_added_total', { source: 'reuse' });
    await c.end();
    await waitFor('the connection to come back', async () => (await metricValue(metrics, 'warm_connections_added_total', { source: 'reuse' })) === reusedBefore + 1);
    expect(await backendAlive(stack.db, pid)).toBe(true);

    // Two clients at once take both warm connections: one of them is the reset session.
    const [a, b] = [client(), client()];
    await Promise.all([a.connect(), b.connect()]);
    const pids = await Promise.all([backendPid(a), backendPid(b)]);
    expect(pids[0]).not.toBe(pids[1]);
    expect(pids).toContain(pid);
    const again = pids[0] === pid ? a : b;
    expect((await again.query('show work_mem')).rows[0].work_mem).toBe('4MB');
    expect((await again.query(`select to_regclass('pg_temp.leak_t') as t`)).rows[0].t).toBeNull();
    expect((await again.query('select count(*)::int as n from pg_prepared_statements')).rows[0].n).toBe(0);
    await Promise.all([a.end(), b.end()]);
  });
});
