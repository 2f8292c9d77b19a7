// Health probes against a proxy with --warm-connections and without --reuse-connections, through
// both relays. pg_isready (as a sidecar's readiness check runs it) logs in and says goodbye at once:
// the warm connection it was handed was never used, so it goes back to the warm set as it was,
// and probing costs the cluster no login. A client that used its connection in any way (a query,
// even one that failed) still never hands it on without reuse, and a probe's cancel key reaches
// nothing once its connection serves someone else. (A client gone without Terminate is never
// kept, used or not: dsql-reuse-clients.test.ts.)
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPsql } from '../harness/clients.js';
import { PG_BIN } from '../harness/postgres.js';
import { freePort } from '../harness/ports.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { RawConnection } from '../harness/raw-protocol.js';
import { startDsqlStack, type DsqlStack } from './dsql-fixture.js';
import { backendAlive, metricValue, waitFor } from './warm-connections-helpers.js';

function pgIsready(host: string, port: number): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(join(PG_BIN, 'pg_isready'), ['-h', host, '-p', String(port), '-U', 'admin', '-d', 'postgres', '-t', '10'], { timeout: 20_000 }, (err, stdout) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout }),
    );
  });
}

const RAW_APPLICATION = 'probe-raw';

describe.each(['native', 'node'] as const)('health probes with --warm-connections (%s relay)', (engine) => {
  let stack: DsqlStack;
  let proxy: ProxyProcess;
  let metrics: number;

  const logins = () => metricValue(metrics, 'upstream_connect_duration_seconds_count', { result: 'success' });
  const untouched = () => metricValue(metrics, 'warm_connections_added_total', { source: 'untouched' });
  const idle = () => metricValue(metrics, 'warm_connections_idle');
  const sessions = () => metricValue(metrics, 'relay_sessions_total', { engine });
  /** Server processes whose client named itself so (pg_isready does). */
  const backendsOf = async (application: string): Promise<number[]> => {
    const c = await RawConnection.open(stack.db.host, stack.db.port, { user: stack.db.user, database: stack.db.database });
    try {
      const rows = await c.query(`select pid from pg_stat_activity where application_name = '${application}' order by pid`);
      return rows.map((r) => Number(r[0]));
    } finally {
      c.destroy();
    }
  };
  const probeBackends = () => backendsOf('pg_isready');
  /** Waits until the key of these clients holds exactly one server session, for a while. */
  const settledOn = async (application: string) => {
    const one = async () => (await backendsOf(application)).length === 1;
    await waitFor(`one warm connection for ${application}`, async () => (await one()) && (await new Promise((r) => setTimeout(r, 300)), await one()));
  };
  const raw = () => RawConnection.open(proxy.host, proxy.port, { user: 'admin', database: 'postgres', application_name: RAW_APPLICATION });

  beforeAll(async () => {
    stack = await startDsqlStack();
    metrics = await freePort();
    const engineArgs = engine === 'node' ? ['--relay-engine', 'node'] : [];
    proxy = await stack.startProxy({ extraArgs: ['--warm-connections', '1', '--metrics-listen', `127.0.0.1:${metrics}`, ...engineArgs] });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('pg_isready, again and again, gives its warm connection back each time instead of costing a login', async () => {
    // The first probe makes its key known; the proxy then keeps one connection for it.
    expect((await pgIsready(proxy.host, proxy.port)).code).toBe(0);
    // Its own connection came back untouched and the key's refill logged in too: one of the two
    // stays, as the key's one warm connection.
    await settledOn('pg_isready');
    const [warmPid] = await probeBackends();
    expect(warmPid).toBeGreaterThan(0);
    const loginsBefore = await logins();
    const untouchedBefore = await untouched();
    const sessionsBefore = await sessions();
    for (let i = 0; i < 5; i++) {
      const r = await pgIsready(proxy.host, proxy.port);
      expect(r.code, r.stdout).toBe(0);
      await waitFor('the connection back', async () => (await untouched()) === untouchedBefore + i + 1);
    }
    expect(await sessions()).toBe(sessionsBefore + 5);
    // A probe answered within the 50 ms before its hit's replacement is due costs no login at all;
    // on a loaded machine (CI) one may last longer, and that replacement then logs in. Never all.
    const spent = (await logins()) - loginsBefore;
    expect(spent).toBeLessThan(5);
    if (spent === 0) expect(await probeBackends()).toEqual([warmPid]);
  });

  it('hands the probed connection to the next client, which finds it working and its own', async () => {
    await waitFor('a warm connection', async () => (await idle()) >= 1);
    const [warmPid] = await probeBackends();
    expect((await pgIsready(proxy.host, proxy.port)).code).toBe(0);
    await waitFor('a warm connection', async () => (await idle()) >= 1);
    const conninfo = `host=${proxy.host} port=${proxy.port} user=admin dbname=postgres sslmode=disable application_name=pg_isready`;
    const r = await runPsql(conninfo, ['-At', '-c', 'select pg_backend_pid(), current_setting(\'application_name\')']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`${warmPid}|pg_isready`);
    // psql used it: without --reuse-connections it is closed, and a fresh login replaces it.
    await waitFor('the used connection to close', async () => !(await backendAlive(stack.db, warmPid)));
    await waitFor('its replacement', async () => (await idle()) >= 1);
  });

  it('closes a connection its client used, even by a query that failed', async () => {
    const untouchedBefore = await untouched();
    const c = await raw();
    await expect(c.query('select no_such_column')).rejects.toThrow(/no_such_column/);
    const pid = Number((await c.query('select pg_backend_pid()'))[0][0]);
    c.send(serialize.end());
    await c.closedByPeer();
    await waitFor('the used connection to close', async () => !(await backendAlive(stack.db, pid)));
    expect(await untouched()).toBe(untouchedBefore);
  });

  it("leaves a probe's cancel key reaching nothing once its connection serves the next client", async () => {
    // The raw clients' key (pg-protocol adds client_encoding) holds one connection once settled.
    await settledOn(RAW_APPLICATION);
    const [kept] = await backendsOf(RAW_APPLICATION);
    const probe = await raw();
    const { processId, secretKey } = probe.backendKey!;
    const untouchedBefore = await untouched();
    probe.send(serialize.end());
    await probe.closedByPeer();
    await waitFor('the connection back', async () => (await untouched()) === untouchedBefore + 1);
    const next = await raw();
    try {
      const sleeping = next.query('select pg_sleep(1.5), pg_backend_pid()');
      await new Promise((r) => setTimeout(r, 300));
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host: proxy.host, port: proxy.port }, () => s.end(serialize.cancel(processId, secretKey)));
        s.on('close', () => resolve());
        s.on('error', reject);
      });
      const rows = await sleeping;
      // Not cancelled (57014), and it ran on the server session the probe had been handed.
      expect(Number(rows[0][1])).toBe(kept);
    } finally {
      next.destroy();
    }
  });
});
