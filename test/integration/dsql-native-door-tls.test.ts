// TLS at the native front door. libpq and pgJDBC ask for TLS by default (sslmode=prefer), so most
// clients that connect per request begin with an SSLRequest: while a warm connection is parked,
// the door answers it, runs the client's TLS in the addon and answers a matching startup there,
// as it does a plain client's. Every other TLS client (a startup no connection matches, one slow
// to write its startup, a failed handshake, one that leaves half-way) must meet exactly the proxy
// it met before: the same answers, log lines and outcomes.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { RawConnection, startTls } from '../harness/raw-protocol.js';
import { startDsqlStack, type DsqlStack } from './dsql-fixture.js';
import { expectPgbenchAllOk, expectPsycopgTlsRounds, openedRecords, runPgbenchOverTls, runPsycopgTlsRounds } from './door-tls-helpers.js';
import { expectReuseSessionsOk, metricValue, runReuseSessions, waitFor } from './warm-connections-helpers.js';

const PARAMETERS = { user: 'admin', database: 'postgres', application_name: 'door-tls' };

/** A connected socket that has sent an SSLRequest and read the answer: 'S' expected. */
async function afterSslRequest(proxy: ProxyProcess): Promise<{ tcp: Socket; answer: string }> {
  const tcp = connect({ host: proxy.host, port: proxy.port });
  tcp.on('error', () => undefined);
  await new Promise<void>((resolve) => tcp.once('connect', () => resolve()));
  tcp.write(serialize.requestSsl());
  const answer = await new Promise<Buffer>((resolve) => tcp.once('data', resolve));
  return { tcp, answer: answer.toString('latin1') };
}

/** Counts what comes back (when asked to) until the socket closes, and when it closed. */
function untilClosed(socket: Socket, started: number, count: boolean): Promise<{ bytes: number; ms: number }> {
  let bytes = 0;
  if (count) socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
  return new Promise((resolve) => socket.once('close', () => resolve({ bytes: count ? bytes : -1, ms: Date.now() - started })));
}

/** TLS over a socket whose SSLRequest was answered already. */
async function startTlsAfterS(tcp: Socket): Promise<TLSSocket> {
  const secure = tlsConnect({ socket: tcp, rejectUnauthorized: false });
  secure.on('error', () => undefined);
  await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
  return secure;
}

/**
 * Habits of TLS clients that never finish a startup, each on a socket whose SSLRequest was
 * answered: not TLS after 'S', gone after 'S', silent in the handshake, reset in the handshake (these read the raw socket:
 * what comes back must match byte for byte), and gone after the handshake, half a startup then
 * gone, silent after the handshake (over TLS: what comes back differs in size run to run).
 * Each gives the socket whose close ends it.
 */
const HABITS = {
  garbage: async (tcp: Socket) => {
    tcp.write('GET / HTTP/1.1\r\nHost: proxy\r\n\r\n');
    return tcp;
  },
  goneAfterS: async (tcp: Socket) => tcp.destroy(),
  silentInHandshake: async (tcp: Socket) => tcp,
  // Half a ClientHello record, then a reset (libuv reports the socket's error as EBADF).
  resetInHandshake: async (tcp: Socket) => {
    tcp.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x80, 0x01, 0x00, 0x00, 0x7c, 0x03, 0x03]));
    await new Promise((r) => setTimeout(r, 100));
    return tcp.resetAndDestroy();
  },
  goneAfterHandshake: async (tcp: Socket) => (await startTlsAfterS(tcp)).end(),
  halfStartup: async (tcp: Socket) => (await startTlsAfterS(tcp)).end(serialize.startup(PARAMETERS).subarray(0, 10)),
  silentAfterHandshake: async (tcp: Socket) => startTlsAfterS(tcp),
} satisfies Record<string, (tcp: Socket) => Promise<Socket>>;
type Habit = keyof typeof HABITS;
const RAW_HABITS: readonly Habit[] = ['garbage', 'goneAfterS', 'silentInHandshake', 'resetInHandshake'];

async function runHabit(habit: Habit, proxy: ProxyProcess): Promise<{ answer: string; bytes: number; ms: number }> {
  const started = Date.now();
  const { tcp, answer } = await afterSslRequest(proxy);
  const raw = RAW_HABITS.includes(habit);
  // The raw socket is read only by the raw habits; TLS takes it over for the others.
  if (!raw) tcp.pause();
  const rawClosed = raw ? untilClosed(tcp, started, true) : null;
  const socket = await HABITS[habit](tcp);
  const { bytes, ms } = await (rawClosed ?? untilClosed(socket, started, false));
  return { answer, bytes, ms };
}

describe('TLS at the native front door (--warm-connections, native relay, trust)', () => {
  let stack: DsqlStack;
  let proxy: ProxyProcess;
  let metrics: number;
  let usual: ProxyProcess;
  let usualMetrics: number;

  const doorAnswers = () => metricValue(metrics, 'door_answers_total');
  const idle = () => metricValue(metrics, 'warm_connections_idle');
  /** Waits until the raw clients' key has a warm connection parked (a first client made the key known). */
  const warmFor = async (parameters: Record<string, string> = PARAMETERS) => {
    const c = await RawConnection.open(proxy.host, proxy.port, parameters, { tls: true });
    c.end();
    await c.closedByPeer();
    await waitFor('a warm connection', async () => (await idle()) >= 1);
  };

  beforeAll(async () => {
    stack = await startDsqlStack();
    [metrics, usualMetrics] = await Promise.all([freePort(), freePort()]);
    [proxy, usual] = await Promise.all([
      stack.startProxy({
        extraArgs: ['--warm-connections', '1', '--max-connections', '4', '--startup-timeout', '3', '--metrics-listen', `127.0.0.1:${metrics}`],
      }),
      // No warm connections: its door never opens, every TLS client goes the usual way.
      stack.startProxy({ extraArgs: ['--startup-timeout', '3', '--metrics-listen', `127.0.0.1:${usualMetrics}`] }),
    ]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers a TLS client whose startup matches a parked connection at the door, over TLS to the end', async () => {
    await warmFor();
    const before = await doorAnswers();
    const c = await RawConnection.open(proxy.host, proxy.port, PARAMETERS, { tls: true });
    expect(await doorAnswers()).toBe(before + 1);
    expect(c.backendKey).not.toBeNull();
    expect(await c.query('select 40 + 2')).toEqual([['42']]);
    // A statement bigger than a TLS record each way goes through whole.
    const long = 'x'.repeat(40_000);
    expect(await c.query(`select length('${long}'), repeat('y', 50000) = repeat('y', 50000)`)).toEqual([['40000', 't']]);
    c.end();
    await c.closedByPeer();
    const opened = openedRecords(proxy, PARAMETERS.application_name);
    expect(opened.at(-1)?.tls).toBe(true);
  });

  it('answers libpq (psycopg 3, sslmode=require) and pgJDBC with its default sslmode there', async () => {
    const before = await doorAnswers();
    expectPsycopgTlsRounds(await runPsycopgTlsRounds(proxy, { user: 'admin', application: 'door-tls-psycopg' }));
    // The first of them made its key known; the next two found its connection parked.
    expect(await doorAnswers()).toBeGreaterThanOrEqual(before + 2);

    // pgJDBC asks for TLS unless told not to (sslmode=prefer), with a startup of its own.
    const jdbcBefore = await doorAnswers();
    expectReuseSessionsOk(await runReuseSessions(`jdbc:postgresql://${proxy.host}:${proxy.port}/postgres?connectTimeout=10`, 4), 4);
    expect(await doorAnswers()).toBeGreaterThanOrEqual(jdbcBefore + 1);
  });

  it('hands a TLS client whose startup matches no parked connection to the usual path, its TLS kept', async () => {
    await warmFor();
    const before = await doorAnswers();
    const other = { ...PARAMETERS, application_name: 'door-tls-other' };
    const c = await RawConnection.open(proxy.host, proxy.port, other, { tls: true });
    expect(await c.query("select current_setting('application_name')")).toEqual([['door-tls-other']]);
    expect(await doorAnswers()).toBe(before);
    c.end();
    await c.closedByPeer();
    const opened = openedRecords(proxy, 'door-tls-other');
    expect(opened.map((r) => r.tls)).toEqual([true]);
  });

  it('hands a TLS client slow to write its startup to the usual path with nothing lost', async () => {
    await warmFor();
    const before = await doorAnswers();
    const tcp = connect({ host: proxy.host, port: proxy.port });
    await new Promise<void>((resolve, reject) => tcp.once('connect', resolve).once('error', reject));
    const secure = await startTls(tcp);
    // Past the door's wait for a startup (1 s) after the handshake.
    await new Promise((r) => setTimeout(r, 1300));
    const received: Buffer[] = [];
    secure.on('data', (chunk: Buffer) => received.push(chunk));
    secure.write(Buffer.concat([serialize.startup(PARAMETERS), serialize.query('select 7 as seven'), serialize.end()]));
    await new Promise<void>((resolve) => secure.once('close', () => resolve()));
    const text = Buffer.concat(received).toString('latin1');
    expect(text).toContain('seven');
    expect(text).toMatch(/D\0\0\0\x0b\0\x01\0\0\0\x017/);
    expect(await doorAnswers()).toBe(before);
  });

  it('ends TLS clients that fail, leave or stall before their startup exactly as the usual path does', async () => {
    // Each habit against this proxy with a connection parked (the door runs the client's TLS) and
    // against one with no warm connections (the usual path's TLS): the same bytes back, the same
    // outcome, within the same startup timeout counted from the connect.
    // (Not 'ok': the records of warmFor's session may land in the middle.)
    const outcomes = ['protocol_error', 'closed_before_startup', 'client_gone', 'rejected', 'error'];
    const counts = async (port: number) => Object.fromEntries(await Promise.all(outcomes.map(async (o) => [o, await metricValue(port, 'client_connections_total', { outcome: o })])));
    for (const habit of Object.keys(HABITS) as Habit[]) {
      await warmFor();
      const before = [await counts(metrics), await counts(usualMetrics)];
      const [door, usualPath] = await Promise.all([runHabit(habit, proxy), runHabit(habit, usual)]);
      expect({ habit, ...door, ms: undefined }).toEqual({ habit, ...usualPath, ms: undefined });
      // The startup timeout (3 s) counts from the connect on both ways; the door's wait for a
      // startup (1 s) is not added to it.
      expect(door.ms, habit).toBeLessThan(3_900);
      const delta = async (port: number, was: Record<string, number>) => {
        const now = await counts(port);
        return Object.fromEntries(outcomes.map((o) => [o, now[o] - was[o]]));
      };
      await waitFor(`${habit} recorded`, async () => Object.values(await delta(usualMetrics, before[1])).some((n) => n > 0));
      await waitFor(`${habit} recorded at the door`, async () => Object.values(await delta(metrics, before[0])).some((n) => n > 0));
      expect(await delta(metrics, before[0]), habit).toEqual(await delta(usualMetrics, before[1]));
    }
    const lines = (p: ProxyProcess) => p.logRecords().filter((r) => r.msg === 'startup timeout: closing connection').length;
    expect(lines(proxy)).toBe(lines(usual));
    // A reset is a client gone, on either way, not a "bad file descriptor" (libuv's name for it).
    for (const p of [proxy, usual]) expect(p.output()).not.toMatch(/bad file descriptor/i);
    expect(proxy.logRecords().some((r) => r.msg === 'connection refused' && /TLS handshake failed/.test(String(r.reason)))).toBe(true);
    // The parked connection is still there for the next client.
    const before = await doorAnswers();
    const c = await RawConnection.open(proxy.host, proxy.port, PARAMETERS, { tls: true });
    expect(await c.query('select 1')).toEqual([['1']]);
    expect(await doorAnswers()).toBe(before + 1);
    c.end();
    await c.closedByPeer();
  });

  it('cancels the query of a TLS client answered at the door through the key it was given', async () => {
    await warmFor();
    const before = await doorAnswers();
    const c = await RawConnection.open(proxy.host, proxy.port, PARAMETERS, { tls: true });
    expect(await doorAnswers()).toBe(before + 1);
    const { processId, secretKey } = c.backendKey!;
    const sleeping = c.query('select pg_sleep(20)').then(
      () => 'finished',
      (e: Error) => e.message,
    );
    await new Promise((r) => setTimeout(r, 200));
    const cancel = connect({ host: proxy.host, port: proxy.port });
    await new Promise<void>((resolve) => cancel.once('connect', resolve));
    cancel.end(serialize.cancel(processId, secretKey));
    expect(await sleeping).toMatch(/canceling statement due to user request/);
    c.end();
    await c.closedByPeer();
  });
});

// pgbench -C over TLS: a new connection per transaction, as an application that connects per
// request with libpq's defaults does. With --reuse-connections, each connection is answered at the
// door on the server session the one before it left (held for it while it is reset).
describe('TLS at the native front door with --reuse-connections: pgbench -C', () => {
  let stack: DsqlStack;
  let proxy: ProxyProcess;
  let metrics: number;

  beforeAll(async () => {
    stack = await startDsqlStack();
    metrics = await freePort();
    proxy = await stack.startProxy({
      extraArgs: ['--warm-connections', '2', '--reuse-connections', '--metrics-listen', `127.0.0.1:${metrics}`],
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves every connection over TLS with nothing failed, most of them answered at the door', async () => {
    const answersBefore = await metricValue(metrics, 'door_answers_total');
    expectPgbenchAllOk(await runPgbenchOverTls(proxy, { user: 'admin', application: 'door-tls-pgbench', clients: 2, transactions: 40 }), 80);
    // pgbench's own first connection, then one per transaction; the door's sessions are recorded a
    // moment after they were answered (and may be over by then).
    const opened = () => openedRecords(proxy, 'door-tls-pgbench');
    await waitFor('every connection recorded', () => opened().length >= 81);
    expect(opened().every((rec) => rec.tls === true)).toBe(true);
    // The first of each client's connections makes the key known (and its reuse may miss while
    // the warm set fills); after that the door answers.
    expect(await metricValue(metrics, 'door_answers_total')).toBeGreaterThanOrEqual(answersBefore + 60);
    expect(await metricValue(metrics, 'warm_connections_closed_total', { reason: 'reset_failed' })).toBe(0);
  });
});
