// TLS at the native front door in rds-iam mode. libpq and pgJDBC ask for TLS by default, so most
// clients that connect per request begin with an SSLRequest: while a warm connection is parked,
// the door answers it, runs the client's TLS in the addon and answers a matching startup there,
// as in dsql mode (dsql-native-door-tls.test.ts), which shares the backend and the door; here the
// connections behind it are RDS IAM logins (the RDS stand-in) and the reset is DISCARD ALL.
// Each proxy has keys of its own, so that its idle count says when a key's connection is parked.
import { beforeAll, describe, expect, it } from 'vitest';
import { runPsql } from '../harness/clients.js';
import { freePort } from '../harness/ports.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { expectPgbenchAllOk, expectPsycopgTlsRounds, openedRecords, runPgbenchOverTls, runPsycopgTlsRounds } from './door-tls-helpers.js';
import { useRdsIamStack } from './rds-iam-fixture.js';
import { expectReuseSessionsOk, metricValue, runReuseSessions, waitFor } from './warm-connections-helpers.js';

/** A proxy with one warm connection per key, the native relay and the loopback's trust: its door is open. */
const WARM_ARGS = ['--warm-connections', '1', '--relay-engine', 'native', '--startup-timeout', '3'];

const stack = useRdsIamStack();
/** Logins the RDS stand-in accepted so far (the warm set's and the usual path's). */
const logins = () => stack().standIn.stats.accepted;

/** A proxy of the stack started before the describe's tests, with its metrics on a port of its own. */
function useProxy(args: string[]) {
  let started: { proxy: ProxyProcess; metrics: number } | undefined;
  beforeAll(async () => {
    const metrics = await freePort();
    started = { proxy: await stack().startProxy({ extraArgs: [...args, '--metrics-listen', `127.0.0.1:${metrics}`] }), metrics };
  });
  const get = () => {
    if (!started) throw new Error('the proxy did not start (see the beforeAll error)');
    return started;
  };
  const metric = (name: string, labels?: Record<string, string>) => metricValue(get().metrics, name, labels);
  return {
    proxy: () => get().proxy,
    metric,
    doorAnswers: () => metric('door_answers_total'),
    idle: () => metric('warm_connections_idle'),
  };
}

/** psql over TLS (sslmode=require) with this conninfo: one statement, then \conninfo. */
function psqlOverTls(proxy: ProxyProcess, conninfo: string, sql: string) {
  return runPsql(`host=${proxy.host} port=${proxy.port} sslmode=require ${conninfo}`, ['-A', '-t', '-c', sql, '-c', '\\conninfo']);
}
const TLS_LINE = /^SSL connection \(protocol: TLSv1\.[23]/m;

describe('rds-iam: TLS at the native front door (--warm-connections, native relay, trust)', () => {
  const { proxy: current, doorAnswers, idle } = useProxy(WARM_ARGS);

  it('answers psql (libpq, sslmode=require) at the door over TLS, connection after connection', async () => {
    const proxy = current();
    const conninfo = 'user=postgres dbname=postgres application_name=rds-door-tls-psql';
    const others = await idle();
    // The first makes its key known and logs in the usual way; the warm set then parks one for it.
    const first = await psqlOverTls(proxy, conninfo, 'select 0 + 1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(TLS_LINE);
    await waitFor('a connection parked for psql', async () => (await idle()) >= others + 1);
    const loginsBefore = logins();
    for (let i = 1; i <= 5; i++) {
      const before = await doorAnswers();
      const r = await psqlOverTls(proxy, conninfo, `select ${i} + 1`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe(String(i + 1));
      expect(r.stdout).toMatch(TLS_LINE);
      expect(await doorAnswers(), `connection ${i}`).toBe(before + 1);
      // Its replacement (a login 50 ms after the take) is parked before the next one comes.
      await waitFor('the replacement parked', async () => (await idle()) >= others + 1);
    }
    // No client logged in: the five logins were the replacements'.
    expect(logins() - loginsBefore).toBe(5);
    const opened = () => openedRecords(proxy, 'rds-door-tls-psql');
    await waitFor('every connection recorded', () => opened().length >= 6);
    expect(opened().map((r) => [r.tls, r.user, r.database])).toEqual(Array(6).fill([true, 'postgres', 'postgres']));
  });

  it('answers psycopg 3 (sslmode=require) and pgJDBC with its default sslmode (prefer) there, over TLS', async () => {
    const proxy = current();
    const before = await doorAnswers();
    expectPsycopgTlsRounds(await runPsycopgTlsRounds(proxy, { user: 'postgres', application: 'rds-door-tls-psycopg' }));
    // The first of them made its key known; the next two found its connection parked.
    expect(await doorAnswers()).toBeGreaterThanOrEqual(before + 2);
    await waitFor('psycopg recorded', () => openedRecords(proxy, 'rds-door-tls-psycopg').length >= 3);
    expect(openedRecords(proxy, 'rds-door-tls-psycopg').map((r) => r.tls)).toEqual([true, true, true]);

    // pgJDBC (user admin, which the stand-in maps to postgres) asks for TLS unless told not to.
    const jdbcBefore = await doorAnswers();
    expectReuseSessionsOk(await runReuseSessions(`jdbc:postgresql://${proxy.host}:${proxy.port}/postgres?connectTimeout=10`, 4), 4);
    expect(await doorAnswers()).toBeGreaterThanOrEqual(jdbcBefore + 1);
    // This pgJDBC sends no application_name: its sessions are the proxy's only ones of user admin.
    const jdbc = () => proxy.logRecords().filter((r) => r.msg === 'connection opened' && r.user === 'admin');
    await waitFor('pgJDBC recorded', () => jdbc().length >= 4);
    expect(jdbc().map((r) => r.tls)).toEqual([true, true, true, true]);
  });
});

describe('rds-iam: a TLS client whose startup matches no parked connection', () => {
  const { proxy: current, metric, doorAnswers, idle } = useProxy(WARM_ARGS);
  const BASE = { user: 'postgres', dbname: 'postgres', application_name: 'rds-door-tls-base' };
  const conninfo = (p: Record<string, string>) => Object.entries(p).map(([k, v]) => `${k}=${v}`).join(' ');

  it('logs in the usual way, its TLS kept, while the door answers the parked key', async () => {
    const proxy = current();
    // The door is open for TLS clients: a connection is parked for BASE and its next client is answered there.
    const first = await psqlOverTls(proxy, conninfo(BASE), 'select 1');
    expect(first.code, first.stderr).toBe(0);
    await waitFor('a connection parked for the base key', async () => (await idle()) >= 1);
    let before = await doorAnswers();
    const hit = await psqlOverTls(proxy, conninfo(BASE), 'select 1');
    expect(hit.code, hit.stderr).toBe(0);
    expect(await doorAnswers()).toBe(before + 1);
    await waitFor('the replacement parked', async () => (await idle()) >= 1);

    // The same psql with one parameter changed: another application, another user, another database.
    const others = [
      { ...BASE, application_name: 'rds-door-tls-other-app' },
      { ...BASE, user: 'admin', application_name: 'rds-door-tls-other-user' },
      { ...BASE, dbname: 'template1', application_name: 'rds-door-tls-other-db' },
    ];
    for (const p of others) {
      before = await doorAnswers();
      const loginsBefore = logins();
      const r = await psqlOverTls(proxy, conninfo(p), "select current_database() || ' ' || current_setting('application_name')");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe(`${p.dbname} ${p.application_name}`);
      expect(r.stdout).toMatch(TLS_LINE);
      expect(await doorAnswers(), p.application_name).toBe(before);
      // Its own login to the endpoint (the warm set's for its key may follow).
      expect(logins(), p.application_name).toBeGreaterThanOrEqual(loginsBefore + 1);
      await waitFor(`${p.application_name} recorded`, () => openedRecords(proxy, p.application_name).length >= 1);
      expect(openedRecords(proxy, p.application_name).map((rec) => [rec.tls, rec.user, rec.database])).toEqual([[true, p.user, p.dbname]]);
    }
    expect(await metric('warm_connection_requests_total', { result: 'miss' })).toBeGreaterThanOrEqual(others.length + 1);

    // Each key has its one connection parked; the base key's is still answered at the door.
    await waitFor('every key parked', async () => (await idle()) >= others.length + 1);
    before = await doorAnswers();
    const again = await psqlOverTls(proxy, conninfo(BASE), 'select 1');
    expect(again.code, again.stderr).toBe(0);
    expect(await doorAnswers()).toBe(before + 1);
  });
});

// pgbench -C over TLS: a new connection per transaction, as an application that connects per
// request with libpq's defaults does. With --reuse-connections, each connection is answered at the
// door on the server session the one before it left (reset with DISCARD ALL, held for it meanwhile).
describe('rds-iam: TLS at the native front door with --reuse-connections: pgbench -C', () => {
  const { proxy: current, metric, doorAnswers } = useProxy(['--warm-connections', '2', '--reuse-connections', '--relay-engine', 'native']);

  it('serves every connection over TLS with nothing failed, most answered at the door on reused connections', async () => {
    const proxy = current();
    const answersBefore = await doorAnswers();
    const reused = () => metric('warm_connections_added_total', { source: 'reuse' });
    const reusedBefore = await reused();
    const loginsBefore = logins();
    expectPgbenchAllOk(await runPgbenchOverTls(proxy, { user: 'postgres', application: 'rds-door-tls-pgbench', clients: 2, transactions: 50 }), 100);
    // pgbench's own first connection, then one per transaction.
    const opened = () => openedRecords(proxy, 'rds-door-tls-pgbench');
    await waitFor('every connection recorded', () => opened().length >= 101);
    expect(opened().every((rec) => rec.tls === true)).toBe(true);
    // The first of each client's connections makes the key known (and its reuse may miss while
    // the warm set fills); after that the door answers, and the connections are reused.
    expect(await doorAnswers()).toBeGreaterThanOrEqual(answersBefore + 75);
    await waitFor('the connections back', async () => (await reused()) >= reusedBefore + 75);
    expect(await metric('warm_connections_closed_total', { reason: 'reset_failed' })).toBe(0);
    // A handful of logins served all 101 connections.
    expect(logins() - loginsBefore).toBeLessThanOrEqual(10);
  });
});
