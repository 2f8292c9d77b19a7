// The native front door: with warm connections, trust authentication and the native relay, the
// addon accepts clients itself, and a client whose StartupMessage a warm connection can serve is
// answered on the spot, the listener's own records following a moment later (TLS clients too:
// dsql-native-door-tls.test.ts). Clients of every other kind and habit must meet exactly the proxy
// they met before: a TLS client it does not answer, cancel requests, a client slow to write its
// startup, one that connects and leaves, one that pipelines a query behind its startup, one that
// leaves before the listener's records are made, the connection limit, and shutdown, which must
// stop accepting at once.
import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePsycopg, runPsql, runPython } from '../harness/clients.js';
import { freePort } from '../harness/ports.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { RawConnection, startTls } from '../harness/raw-protocol.js';
import { startDsqlStack, type DsqlStack } from './dsql-fixture.js';
import { backendAlive, expectReuseSessionsOk, metricValue, runReuseSessions, waitFor } from './warm-connections-helpers.js';

const APPLICATION = 'door-raw';
/** psycopg 3 (libpq) with SSL off, connecting three times with a pause between: the last two find a warm connection. */
const PSYCOPG_ROUNDS = `
import sys, time, psycopg
for i in range(3):
    with psycopg.connect(host=sys.argv[1], port=sys.argv[2], user='admin', dbname='postgres', sslmode='disable', application_name='door-psycopg') as c:
        print('ROW=%s' % c.execute('select %s::int + 1', (i,)).fetchone()[0])
    time.sleep(0.4)
`;
const PARAMETERS = { user: 'admin', database: 'postgres', application_name: APPLICATION };

/** A raw connection that writes `bytes` as its first write and collects what comes back. */
async function rawWrite(proxy: ProxyProcess, bytes: Buffer): Promise<{ socket: Socket; messages: BackendMessage[]; closed: Promise<void> }> {
  const socket = connect({ host: proxy.host, port: proxy.port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const messages: BackendMessage[] = [];
  const parser = new Parser();
  socket.on('data', (chunk: Buffer) => parser.parse(chunk, (m: BackendMessage) => messages.push(m)));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  if (bytes.length > 0) socket.write(bytes);
  return { socket, messages, closed };
}

describe('the native front door (--warm-connections, native relay, trust)', () => {
  let stack: DsqlStack;
  let proxy: ProxyProcess;
  let metrics: number;

  const hits = () => metricValue(metrics, 'warm_connection_requests_total', { result: 'hit' });
  const doorAnswers = () => metricValue(metrics, 'door_answers_total');
  const idle = () => metricValue(metrics, 'warm_connections_idle');
  const active = () => metricValue(metrics, 'client_connections_open');
  /** Waits until the key of the raw clients has a warm connection idle. */
  const warmFor = async () => {
    const c = await RawConnection.open(proxy.host, proxy.port, PARAMETERS);
    c.send(serialize.end());
    await c.closedByPeer();
    await waitFor('a warm connection', async () => (await idle()) >= 1);
  };

  /**
   * A warm hit at the door runs a long query, and `afterMs` later a CancelRequest with the key
   * the door gave is sent: how the query ended.
   */
  const cancelledAfter = async (afterMs: number): Promise<string> => {
    await warmFor();
    const c = await RawConnection.open(proxy.host, proxy.port, PARAMETERS);
    const { processId, secretKey } = c.backendKey!;
    const sleeping = c.query('select pg_sleep(20)').then(
      () => 'finished',
      (e: Error) => e.message,
    );
    if (afterMs > 0) await new Promise((r) => setTimeout(r, afterMs));
    const cancel = await rawWrite(proxy, serialize.cancel(processId, secretKey));
    await cancel.closed;
    const ended = await sleeping;
    c.destroy();
    return ended;
  };

  beforeAll(async () => {
    stack = await startDsqlStack();
    metrics = await freePort();
    proxy = await stack.startProxy({
      extraArgs: ['--warm-connections', '1', '--max-connections', '3', '--max-sigterm-delay', '10', '--metrics-listen', `127.0.0.1:${metrics}`],
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers a warm hit at once and relays a query sent in the same write as the startup', async () => {
    await warmFor();
    const hitsBefore = await hits();
    const answersBefore = await doorAnswers();
    const c = await rawWrite(proxy, Buffer.concat([serialize.startup(PARAMETERS), serialize.query('select 40 + 2 as answer')]));
    await waitFor('the answer', () => c.messages.filter((m) => m.name === 'readyForQuery').length >= 2);
    const names = c.messages.map((m) => m.name);
    expect(names.slice(0, 1)).toEqual(['authenticationOk']);
    expect(names).toContain('backendKeyData');
    const row = c.messages.find((m) => m.name === 'dataRow') as unknown as { fields: string[] };
    expect(row.fields).toEqual(['42']);
    expect(await hits()).toBe(hitsBefore + 1);
    expect(await doorAnswers()).toBe(answersBefore + 1);
    c.socket.end(serialize.end());
    await c.closed;
  });

  it('matches a client to a warm connection whatever the order of its startup parameters', async () => {
    await warmFor();
    const answersBefore = await doorAnswers();
    // The same parameters as the key's, sent in reverse order (pg-protocol adds client_encoding last).
    const reversed = Object.fromEntries(Object.entries(PARAMETERS).reverse());
    const c = await RawConnection.open(proxy.host, proxy.port, reversed);
    expect(await doorAnswers()).toBe(answersBefore + 1);
    expect((await c.query('select current_user'))[0][0]).toBe('postgres');
    c.send(serialize.end());
    await c.closedByPeer();
  });

  it('answers real drivers with their own startup parameters: pgJDBC and psycopg 3 with SSL off', async () => {
    await requirePsycopg();
    const before = await doorAnswers();
    const py = await runPython(['-c', PSYCOPG_ROUNDS, proxy.host, String(proxy.port)]);
    expect(py.code, py.stdout + py.stderr).toBe(0);
    expect(py.stdout.trim().split('\n')).toEqual(['ROW=1', 'ROW=2', 'ROW=3']);
    expect(await doorAnswers()).toBeGreaterThanOrEqual(before + 2);

    // pgJDBC sends a startup of its own (client_encoding, DateStyle, TimeZone, extra_float_digits...)
    // and, from a statement's fifth execution, named server-side statements.
    const jdbcBefore = await doorAnswers();
    expectReuseSessionsOk(await runReuseSessions(`jdbc:postgresql://${proxy.host}:${proxy.port}/postgres?sslmode=disable&connectTimeout=10`, 4), 4);
    expect(await doorAnswers()).toBeGreaterThanOrEqual(jdbcBefore + 1);
  });

  it('sees through a client that leaves before the listener has made its records', async () => {
    const addresses: string[] = [];
    for (let i = 0; i < 5; i++) {
      await warmFor();
      // Gone without a word as soon as it has its answer, well within the listener's delay.
      const c = await rawWrite(proxy, serialize.startup(PARAMETERS));
      await waitFor('the answer', () => c.messages.some((m) => m.name === 'readyForQuery'));
      addresses.push(`${c.socket.localAddress}:${c.socket.localPort}`);
      c.socket.destroy();
    }
    await waitFor('every session over', async () => (await active()) === 0);
    // Its log lines name it (the door read its address at the answer), opened before closed.
    for (const address of addresses) {
      const lines = proxy.logRecords().filter((r) => r.client === address).map((r) => r.msg);
      expect(lines, address).toEqual(['connection opened', 'connection closed']);
    }
    // The connection limit (3) counts them all out again: three clients at once still get in.
    const clients = [new pg.Client(stack.pgConfig(proxy)), new pg.Client(stack.pgConfig(proxy)), new pg.Client(stack.pgConfig(proxy))];
    await Promise.all(clients.map((c) => c.connect()));
    const sums = await Promise.all(clients.map(async (c, i) => (await c.query(`select ${i} + 1 as n`)).rows[0].n));
    expect(sums).toEqual([1, 2, 3]);
    // A fourth is refused as before, door or not.
    const fourth = new pg.Client(stack.pgConfig(proxy));
    await expect(fourth.connect()).rejects.toMatchObject({ code: '53300' });
    await Promise.all(clients.map((c) => c.end()));
  });

  it('answers no more clients than --max-connections leaves room for, and takes them again once room is made', async () => {
    await warmFor();
    // The clients of the test before may still be counted for a moment after their sockets closed:
    // the three below must be the only ones.
    await waitFor('no session open', async () => (await active()) === 0);
    const held: RawConnection[] = [];
    try {
      for (let i = 0; i < 3; i++) held.push(await RawConnection.open(proxy.host, proxy.port, PARAMETERS));
      // A warm connection is parked at the door again, but the listener is full.
      await waitFor('a warm connection', async () => (await idle()) >= 1);
      const answersBefore = await doorAnswers();
      const fourth = await rawWrite(proxy, serialize.startup(PARAMETERS));
      await fourth.closed;
      const refusal = fourth.messages.find((m) => m.name === 'error') as unknown as { code: string } | undefined;
      expect(refusal?.code).toBe('53300');
      expect(await doorAnswers()).toBe(answersBefore);
      // One leaves: the door has room for one again.
      held.pop()!.send(serialize.end());
      await waitFor('the session over', async () => (await active()) === 2);
      held.push(await RawConnection.open(proxy.host, proxy.port, PARAMETERS));
      expect(await doorAnswers()).toBe(answersBefore + 1);
      expect((await held[2].query('select 5'))[0][0]).toBe('5');
    } finally {
      // Whatever failed above, the tests after this one get the listener's room back.
      for (const c of held) {
        c.send(serialize.end());
        await c.closedByPeer();
      }
    }
  });

  it('serves a client slow to write its startup, and shrugs off one that connects and leaves', async () => {
    const silent = await rawWrite(proxy, Buffer.alloc(0));
    silent.socket.destroy();
    const slow = await rawWrite(proxy, Buffer.alloc(0));
    // Past the door's wait (1 s): the client goes the usual way with nothing read yet.
    await new Promise((r) => setTimeout(r, 1300));
    slow.socket.write(Buffer.concat([serialize.startup(PARAMETERS), serialize.query('select 7 as seven')]));
    await waitFor('the answer', () => slow.messages.filter((m) => m.name === 'readyForQuery').length >= 2);
    const row = slow.messages.find((m) => m.name === 'dataRow') as unknown as { fields: string[] };
    expect(row.fields).toEqual(['7']);
    slow.socket.end(serialize.end());
    await slow.closed;
  });

  it('leaves TLS clients it does not answer, cancel requests and refused logins to the usual path', async () => {
    await warmFor();
    const tls = await runPsql(`host=${proxy.host} port=${proxy.port} user=admin dbname=postgres sslmode=require application_name=${APPLICATION}`, [
      '-At',
      '-c',
      'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
    ]);
    expect(tls.code, tls.stderr).toBe(0);
    // A replication connection is no StartupMessage the door answers: refused as always.
    const replication = await rawWrite(proxy, serialize.startup({ ...PARAMETERS, replication: 'database' }));
    await replication.closed;
    const error = replication.messages.find((m) => m.name === 'error') as unknown as { code: string };
    expect(error.code).toBe('0A000');
    // Cancel through the door reaches a warm hit's query.
    expect(await cancelledAfter(300)).toMatch(/canceling statement due to user request/);
  });

  it('cancels through a key the door gave a moment ago, before it has reported the session', async () => {
    // At once: the door reports its sessions 5 ms after answering; a CancelRequest makes it now.
    expect(await cancelledAfter(0)).toMatch(/canceling statement due to user request/);
  });

  it('stops accepting at shutdown while a session in progress, answered a moment ago, is let finish', async () => {
    await warmFor();
    // Connected through the door, with the listener's records of it not yet made at the signal.
    const c = new pg.Client({ ...stack.pgConfig(proxy), application_name: APPLICATION });
    await c.connect();
    const running = c.query('select pg_sleep(0.5), 1 as done');
    const stopping = proxy.stop('SIGTERM');
    await proxy.waitForLog(/shutting down/);
    const late = connect({ host: proxy.host, port: proxy.port });
    const refused = await new Promise<string>((resolve) => {
      late.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      late.once('connect', () => resolve('connected'));
    });
    late.destroy();
    expect(refused).toBe('ECONNREFUSED');
    expect((await running).rows[0].done).toBe(1);
    await c.end();
    expect(await stopping).toBe(0);
  });
});

// A client that connects once per request comes back while its last connection is still being
// reset (--reuse-connections). The door holds it for that connection rather than send it the
// usual way to wait there, and answers it the moment the connection is parked again. The reset
// (run by the addon on the connection the session gave back) sleeps first, so that the next
// client surely arrives while it runs; a session may make it sleep longer (door.reset_sleep).
// TLS clients (the default of libpq and pgJDBC) are held the same way, their TLS run by the door.
describe.each([
  ['plain', false],
  ['TLS', true],
] as const)('the native front door with --reuse-connections: %s clients held for a connection being reset', (_kind, tls) => {
  let stack: DsqlStack;
  let proxy: ProxyProcess;
  let metrics: number;
  const RESET_PARAMETERS = { user: 'admin', database: 'postgres', application_name: 'door-reset' };
  const RESET_QUERY = "select pg_sleep(coalesce(nullif(current_setting('door.reset_sleep', true), ''), '0.3')::float8); reset all";

  const doorAnswers = () => metricValue(metrics, 'door_answers_total');
  const reused = () => metricValue(metrics, 'warm_connections_added_total', { source: 'reuse' });
  const resetsFailed = () => metricValue(metrics, 'warm_connections_closed_total', { reason: 'reset_failed' });
  const logins = () => metricValue(metrics, 'upstream_connect_duration_seconds_count');
  /** The door's count of ended holds, and their waits in seconds, by outcome. */
  const holds = async () => {
    const counts: Record<string, number> = {};
    for (const outcome of ['answered', 'login', 'left']) {
      counts[outcome] = await metricValue(metrics, 'door_holds_total', { outcome });
      counts[`${outcome}Seconds`] = await metricValue(metrics, 'door_hold_seconds_total', { outcome });
    }
    return counts;
  };
  const open = () => RawConnection.open(proxy.host, proxy.port, RESET_PARAMETERS, { tls });
  /** The server sessions the proxy holds for the key, whether in use, being reset or idle. */
  const serverSessions = async (): Promise<number> => {
    const direct = new pg.Client({ host: stack.db.host, port: stack.db.port, user: stack.db.user, database: stack.db.database });
    await direct.connect();
    try {
      const { rows } = await direct.query('select count(*)::int as n from pg_stat_activity where application_name = $1', [RESET_PARAMETERS.application_name]);
      return rows[0].n as number;
    } finally {
      await direct.end();
    }
  };
  const pidOf = async (c: RawConnection) => Number((await c.query('select pg_backend_pid()'))[0][0]);
  /** A session on the key's one connection, ended cleanly (its reset starts now): its server pid. */
  const sessionThenGoodbye = async (sql?: string): Promise<number> => {
    const c = await open();
    const pid = await pidOf(c);
    if (sql) await c.query(sql);
    c.end();
    await c.closedByPeer();
    return pid;
  };

  beforeAll(async () => {
    stack = await startDsqlStack();
    metrics = await freePort();
    proxy = await stack.startProxy({
      extraArgs: [
        '--warm-connections', '1',
        '--reuse-connections',
        '--server-reset-query', RESET_QUERY,
        // Also how long a reset may take, and how long a client is held for one.
        '--connect-timeout', '1',
        '--metrics-listen', `127.0.0.1:${metrics}`,
      ],
    });
    // The key's one connection, in use by nobody.
    await sessionThenGoodbye();
    await waitFor('the connection back', async () => (await reused()) >= 1);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers the client at the door with the connection it waited for: the same server session, reset, and no login', async () => {
    const loginsBefore = await logins();
    const holdsBefore = await holds();
    const pid = await sessionThenGoodbye('set search_path = nowhere');
    const answersBefore = await doorAnswers();
    const next = await open();
    expect(await pidOf(next)).toBe(pid);
    expect((await next.query('show search_path'))[0][0]).toBe('"$user", public');
    expect(await doorAnswers()).toBe(answersBefore + 1);
    expect(await logins()).toBe(loginsBefore);
    // Held, then answered: its wait is most of the reset's 0.3 s sleep.
    const holdsAfter = await holds();
    expect(holdsAfter.answered).toBe(holdsBefore.answered + 1);
    expect(holdsAfter.answeredSeconds - holdsBefore.answeredSeconds).toBeGreaterThan(0.1);
    expect(holdsAfter.login).toBe(holdsBefore.login);
    next.end();
    await next.closedByPeer();
    await waitFor('the connection back', async () => (await metricValue(metrics, 'warm_connections_idle')) === 1);
  });

  it('lets a held client that leaves go, and answers the next one', async () => {
    const pid = await sessionThenGoodbye();
    const answersBefore = await doorAnswers();
    const holdsBefore = await holds();
    // A StartupMessage, then gone before anything could answer it.
    const tcp = connect({ host: proxy.host, port: proxy.port });
    tcp.on('error', () => undefined);
    await new Promise<void>((resolve) => tcp.once('connect', () => resolve()));
    const leaving = tls ? await startTls(tcp) : tcp;
    leaving.write(serialize.startup(RESET_PARAMETERS));
    await new Promise((r) => setTimeout(r, 50));
    leaving.destroy();
    const next = await open();
    expect(await pidOf(next)).toBe(pid);
    expect(await doorAnswers()).toBe(answersBefore + 1);
    const holdsAfter = await holds();
    expect(holdsAfter.left).toBe(holdsBefore.left + 1);
    expect(holdsAfter.answered).toBe(holdsBefore.answered + 1);
    next.end();
    await next.closedByPeer();
    await waitFor('the connection back', async () => (await metricValue(metrics, 'warm_connections_idle')) === 1);
  });

  it('sends a held client the usual way when the reset fails, and it logs in', async () => {
    const failedBefore = await resetsFailed();
    const loginsBefore = await logins();
    const holdsBefore = await holds();
    // The reset's pg_sleep outlasts this session's statement_timeout: the reset fails, the
    // connection is closed, and nothing comes back for the client waiting at the door.
    const pid = await sessionThenGoodbye('set statement_timeout = 100');
    const answersBefore = await doorAnswers();
    const next = await open();
    expect(await pidOf(next)).not.toBe(pid);
    expect(await resetsFailed()).toBe(failedBefore + 1);
    // Its own login (and maybe the warm set's refill, started when the connection was closed).
    expect(await logins()).toBeGreaterThan(loginsBefore);
    expect(await doorAnswers()).toBe(answersBefore);
    const holdsAfter = await holds();
    expect(holdsAfter.login).toBe(holdsBefore.login + 1);
    expect(holdsAfter.answered).toBe(holdsBefore.answered);
    next.end();
    await next.closedByPeer();
  });

  it('closes a connection whose reset outlasts --connect-timeout, and the held client logs in', async () => {
    // One connection for the key and no other: the last test's client logged in itself, and its
    // connection, back after a reset, would answer this test's client at the door.
    await waitFor('one connection, idle', async () => (await metricValue(metrics, 'warm_connections_idle')) === 1 && (await serverSessions()) === 1);
    const failedBefore = await resetsFailed();
    const holdsBefore = await holds();
    const pid = await sessionThenGoodbye('set door.reset_sleep = 3');
    const next = await open();
    expect(await pidOf(next)).not.toBe(pid);
    // Held until the reset was given up, or its own wait ran out: both about --connect-timeout.
    const holdsAfter = await holds();
    expect(holdsAfter.login).toBe(holdsBefore.login + 1);
    expect(holdsAfter.loginSeconds - holdsBefore.loginSeconds).toBeGreaterThan(0.5);
    await waitFor('the reset given up', async () => (await resetsFailed()) === failedBefore + 1);
    // The proxy closed that server session's connection: it ends once its sleep does.
    await waitFor('the server session to end', async () => !(await backendAlive(stack.db, pid)));
    next.end();
    await next.closedByPeer();
  });
});
