// --warm-connections and --reuse-connections in dsql mode, against the DSQL stand-in in front of
// a throwaway PostgreSQL: a warm hit serves node-postgres and psql with the login's
// ParameterStatus and a working cancel, each warm connection serves one session, taken ones are
// replaced, a cleanly ended session's connection is reset (and its prepared statements closed)
// before the next client gets it (and is not reused when it ended in a transaction or its reset
// failed), and the lifetime NOTICE counts from when the connection was opened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freePort } from '../harness/ports.js';
import { runPsql } from '../harness/clients.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { TEST_CREDENTIALS, testRelayIo } from '../harness/proxy-process.js';
import { DsqlBackend } from '../../src/dsql/dsql-backend.js';
import { Listener } from '../../src/server/listener.js';
import { createLogger } from '../../src/util/logger.js';
import { DSQL_HOSTNAME, DSQL_REGION, startDsqlStack, type DsqlStack } from './dsql-fixture.js';
import { backendAlive, backendPid, cancelThroughProxy, captureParameterStatus, metricValue, waitFor } from './warm-connections-helpers.js';
import { loopbackListenerSettings } from '../harness/listener-settings.js';

interface MeteredProxy {
  proxy: ProxyProcess;
  metrics: number;
}

describe('dsql --warm-connections and --reuse-connections', () => {
  let stack: DsqlStack;
  let warm: MeteredProxy;
  let reuse: MeteredProxy;
  let reuseDefault: MeteredProxy;
  let failingReset: MeteredProxy;

  const startMetered = async (args: string[]): Promise<MeteredProxy> => {
    const metrics = await freePort();
    const proxy = await stack.startProxy({ extraArgs: [...args, '--metrics-listen', `127.0.0.1:${metrics}`] });
    return { proxy, metrics };
  };
  const client = (p: MeteredProxy) => new pg.Client(stack.pgConfig(p.proxy));
  const hits = (p: MeteredProxy) => metricValue(p.metrics, 'warm_connection_requests_total', { result: 'hit' });
  const idle = (p: MeteredProxy) => metricValue(p.metrics, 'warm_connections_idle');
  const reused = (p: MeteredProxy) => metricValue(p.metrics, 'warm_connections_added_total', { source: 'reuse' });
  const closed = (p: MeteredProxy, reason: string) => metricValue(p.metrics, 'warm_connections_closed_total', { reason });
  const directClient = async () => {
    const c = new pg.Client({ host: stack.db.host, port: stack.db.port, user: stack.db.user, database: stack.db.database });
    await c.connect();
    return c;
  };
  /** PostgreSQL backends of the psql key's warm connections (application_name warm-psql), idle. */
  const idlePsqlBackends = async (): Promise<number[]> => {
    const c = await directClient();
    try {
      const r = await c.query<{ pid: number }>(`select pid from pg_stat_activity where application_name = 'warm-psql' and state = 'idle'`);
      return r.rows.map((row) => row.pid);
    } finally {
      await c.end();
    }
  };
  /** One session to make the key known; then the proxy keeps `n` warm connections for it. */
  const primeKey = async (p: MeteredProxy, n: number) => {
    const c = client(p);
    await c.connect();
    await c.end();
    await waitFor(`${n} warm connections`, async () => (await idle(p)) >= n);
  };

  beforeAll(async () => {
    stack = await startDsqlStack();
    // One after the other: four Node processes starting at once on a busy 2-core machine is slow.
    warm = await startMetered(['--warm-connections', '2']);
    reuse = await startMetered(['--warm-connections', '1', '--reuse-connections', '--server-reset-query', 'DISCARD ALL']);
    reuseDefault = await startMetered(['--warm-connections', '1', '--reuse-connections']);
    failingReset = await startMetered(['--warm-connections', '1', '--reuse-connections', '--server-reset-query', 'SELECT no_such_function()']);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('hands a warm connection to node-postgres with the login ParameterStatus, its own key, and a working cancel', async () => {
    await primeKey(warm, 2);
    const hitsBefore = await hits(warm);
    const addedBefore = await metricValue(warm.metrics, 'warm_connections_added_total', { source: 'login' });
    const c = client(warm);
    const params = captureParameterStatus(c);
    await c.connect();
    try {
      expect(await hits(warm)).toBe(hitsBefore + 1);
      expect(params.server_version).toMatch(/^\d+/);
      expect(params.client_encoding).toBe('UTF8');
      expect(params.integer_datetimes).toBe('on');
      // The key is the proxy's, and cancel through it reaches this warm connection's backend.
      const pid = await backendPid(c);
      expect((c as unknown as { processID: number }).processID).not.toBe(pid);
      const cancelsBefore = stack.standIn.stats.cancelsForwarded;
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
      await cancelThroughProxy(warm.proxy.host, warm.proxy.port, c);
      expect(await sleeping).toBe('57014');
      expect(stack.standIn.stats.cancelsForwarded).toBe(cancelsBefore + 1);
      expect((await c.query('select 1 as one')).rows[0].one).toBe(1);
    } finally {
      await c.end();
    }
    // The taken connection is replaced in the background.
    await waitFor('the refill', async () => (await metricValue(warm.metrics, 'warm_connections_added_total', { source: 'login' })) >= addedBefore + 1);
  });

  it('serves psql from a warm connection', async () => {
    const conninfo = `host=${warm.proxy.host} port=${warm.proxy.port} user=admin dbname=postgres sslmode=disable application_name=warm-psql`;
    const first = await runPsql(conninfo, ['-At', '-c', 'select 1']);
    expect(first.stderr).toBe('');
    await waitFor('warm connections for psql', async () => (await idle(warm)) >= 4);
    const hitsBefore = await hits(warm);
    const r = await runPsql(conninfo, ['-At', '-c', 'select current_user', '-c', '\\echo :SERVER_VERSION_NAME :ENCODING']);
    expect(r.stderr).toBe('');
    const [user, versionLine] = r.stdout.trim().split('\n');
    expect(user).toBe('postgres');
    expect(versionLine).toMatch(/^\d+.* UTF8$/);
    expect(await hits(warm)).toBe(hitsBefore + 1);
  });

  it('checks each warm connection with SELECT 1 before offering it, and hands out one so checked', async () => {
    const conninfo = `host=${warm.proxy.host} port=${warm.proxy.port} user=admin dbname=postgres sslmode=disable application_name=warm-psql`;
    await waitFor('warm connections for psql', async () => (await idlePsqlBackends()).length >= 2);
    const direct = await directClient();
    let checked: number[];
    try {
      const r = await direct.query<{ pid: number; query: string }>(
        `select pid, query from pg_stat_activity where application_name = 'warm-psql' and state = 'idle'`,
      );
      expect(r.rows.map((row) => row.query)).toEqual(r.rows.map(() => 'SELECT 1'));
      checked = r.rows.map((row) => row.pid);
    } finally {
      await direct.end();
    }
    const hitsBefore = await hits(warm);
    const r = await runPsql(conninfo, ['-At', '-c', 'select pg_backend_pid()']);
    expect(r.stderr).toBe('');
    expect(checked).toContain(Number(r.stdout.trim()));
    expect(await hits(warm)).toBe(hitsBefore + 1);
  });

  it('drops warm connections the server ended while idle, and a client still gets a working one', async () => {
    const conninfo = `host=${warm.proxy.host} port=${warm.proxy.port} user=admin dbname=postgres sslmode=disable application_name=warm-psql`;
    await waitFor('warm connections for psql', async () => (await idlePsqlBackends()).length >= 2);
    const droppedBefore = (await closed(warm, 'server_message')) + (await closed(warm, 'server_closed'));
    const direct = await directClient();
    try {
      // The server ends them (57P01 FATAL, then close), as a cluster does at its connection limit.
      await direct.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'warm-psql' and state = 'idle'`);
    } finally {
      await direct.end();
    }
    await waitFor('the proxy to notice', async () => (await closed(warm, 'server_message')) + (await closed(warm, 'server_closed')) >= droppedBefore + 2);
    const r = await runPsql(conninfo, ['-At', '-c', 'select 42']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('42');
  });

  it('gives each warm connection to exactly one session', async () => {
    await primeKey(warm, 2);
    const [a, b] = [client(warm), client(warm)];
    await Promise.all([a.connect(), b.connect()]);
    const [pa, pb] = await Promise.all([backendPid(a), backendPid(b)]);
    expect(pa).not.toBe(pb);
    await Promise.all([a.end(), b.end()]);
    // Without --reuse-connections, a finished session's connection is closed, never handed on.
    await waitFor('the sessions to end', async () => !(await backendAlive(stack.db, pa)) && !(await backendAlive(stack.db, pb)));
    await waitFor('the refill', async () => (await idle(warm)) >= 2);
    const c = client(warm);
    await c.connect();
    expect([pa, pb]).not.toContain(await backendPid(c));
    await c.end();
  });

  it('resets a cleanly ended session before the next client: no SET, temp table or prepared statement leaks', async () => {
    await primeKey(reuse, 1);
    const first = client(reuse);
    await first.connect();
    const pid = await backendPid(first);
    await first.query(`set statement_timeout = '123s'`);
    await first.query('create temp table leak_t (x int)');
    await first.query('prepare leak_p as select 1');
    await first.query({ name: 'leak_named', text: 'select 2' });
    const reusedBefore = await reused(reuse);
    await first.end();
    await waitFor('the connection to come back', async () => (await reused(reuse)) === reusedBefore + 1);

    const next = client(reuse);
    await next.connect();
    try {
      expect(await backendPid(next)).toBe(pid); // the same server session...
      expect((await next.query('show statement_timeout')).rows[0].statement_timeout).toBe('0'); // ...reset
      expect((await next.query(`select to_regclass('pg_temp.leak_t') as t`)).rows[0].t).toBeNull();
      expect((await next.query('select count(*)::int as n from pg_prepared_statements')).rows[0].n).toBe(0);
      // The name is free again for this client.
      expect((await next.query({ name: 'leak_named', text: 'select 3 as v' })).rows[0].v).toBe(3);
    } finally {
      await next.end();
    }
  });

  it('does not reuse a connection whose session ended inside a transaction', async () => {
    await waitFor('a warm connection', async () => (await idle(reuse)) >= 1);
    const c = client(reuse);
    await c.connect();
    const pid = await backendPid(c);
    await c.query('begin');
    await c.query('select 1');
    const reusedBefore = await reused(reuse);
    const resetFailuresBefore = await closed(reuse, 'reset_failed');
    await c.end();
    await waitFor('the session to be closed', async () => !(await backendAlive(stack.db, pid)));
    await waitFor('a replacement', async () => (await idle(reuse)) >= 1);
    expect(await reused(reuse)).toBe(reusedBefore);
    // Not even tried: DISCARD ALL would fail in the open transaction and close it anyway.
    expect(await closed(reuse, 'reset_failed')).toBe(resetFailuresBefore);
    const next = client(reuse);
    await next.connect();
    expect(await backendPid(next)).not.toBe(pid);
    await next.end();
  });

  it('with the dsql default (RESET ALL), reuses a session that changed settings or named statements, closing those statements first', async () => {
    await primeKey(reuseDefault, 1);
    const a = client(reuseDefault);
    await a.connect();
    const pidA = await backendPid(a);
    await a.query(`set application_name = 'changed'`);
    const reusedBefore = await reused(reuseDefault);
    await a.end();
    await waitFor('the connection to come back', async () => (await reused(reuseDefault)) === reusedBefore + 1);
    const b = client(reuseDefault);
    await b.connect();
    expect(await backendPid(b)).toBe(pidA);
    expect((await b.query('show application_name')).rows[0].application_name).toBe('');
    await b.query({ name: 'named_one', text: 'select 1' });
    await b.query({ name: 'named_two', text: 'select 2' });
    await b.end();
    await waitFor('the named-statement session to come back', async () => (await reused(reuseDefault)) === reusedBefore + 2);
    const c = client(reuseDefault);
    await c.connect();
    try {
      expect(await backendPid(c)).toBe(pidA);
      expect((await c.query('select count(*)::int as n from pg_prepared_statements')).rows[0].n).toBe(0);
      // The names are free again: a Parse of the same name would otherwise fail with 42P05.
      expect((await c.query({ name: 'named_one', text: 'select 3 as v' })).rows[0].v).toBe(3);
    } finally {
      await c.end();
    }
    expect(await closed(reuseDefault, 'named_statements')).toBe(0);
  });

  it('closes a connection whose reset query fails', async () => {
    await primeKey(failingReset, 1);
    const c = client(failingReset);
    await c.connect();
    const pid = await backendPid(c);
    const before = await closed(failingReset, 'reset_failed');
    await c.end();
    await waitFor('the failed reset', async () => (await closed(failingReset, 'reset_failed')) === before + 1);
    await waitFor('its backend to go', async () => !(await backendAlive(stack.db, pid)));
    expect(await reused(failingReset)).toBe(0);
  });

  it('counts hits and misses', async () => {
    expect(await metricValue(warm.metrics, 'warm_connection_requests_total', { result: 'miss' })).toBeGreaterThanOrEqual(2);
    expect(await hits(warm)).toBeGreaterThanOrEqual(3);
  });

  it('closes its warm connections on shutdown', async () => {
    await waitFor('warm connections for psql', async () => (await idlePsqlBackends()).length >= 2);
    expect(await warm.proxy.stop()).toBe(0);
    await waitFor('the warm connections to be closed', async () => (await idlePsqlBackends()).length === 0);
  });

  describe('lifetime NOTICE', () => {
    let listener: Listener;
    let backend: DsqlBackend;
    beforeAll(async () => {
      backend = new DsqlBackend({
        target: {
          hostname: DSQL_HOSTNAME,
          connectHost: '127.0.0.1',
          connectPort: stack.standIn.port,
          extraCa: stack.pki.caCertPem,
          connectTimeoutMs: 5000,
          maxMessageBytes: 1 << 20,
        },
        region: DSQL_REGION,
        tokenTtlSeconds: 900,
        relayIo: testRelayIo(),
        credentials: async () => TEST_CREDENTIALS,
        // The notice falls due 2 s after the cluster connection opened (a 2.6 s "hour", 0.6 s ahead).
        connectionLifetimeMs: 2600,
        lifetimeNoticeMinutes: 0.01,
        warm: { size: 1, maxAgeMs: 600_000 },
      });
      listener = new Listener(
        loopbackListenerSettings('warm-lifetime'),
        backend,
        createLogger({ level: 'silent' }),
      );
      await listener.listen();
    });
    afterAll(async () => {
      await listener?.close(0);
      await backend?.close();
    });

    it('counts from when the warm connection was opened, not from when it was handed out', async () => {
      const config = { host: '127.0.0.1', port: listener.address!.port, user: 'admin', database: 'postgres' };
      const first = new pg.Client(config);
      await first.connect();
      await first.end();
      await waitFor('a warm connection', () => backend.warmPool!.idle === 1);
      // Let the warm connection pass the age at which the notice is due.
      await new Promise((r) => setTimeout(r, 2200));
      const c = new pg.Client(config);
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(n.message ?? ''));
      await c.connect();
      try {
        expect(backend.warmPool!.idle).toBe(0); // it was a hit
        // Counted from hand-out, the notice would be 2 s away; counted from the open, it is due now.
        await c.query('select 1');
        expect(notices).toEqual([expect.stringMatching(/Aurora DSQL will close this connection/)]);
      } finally {
        await c.end();
      }
    });
  });
});
