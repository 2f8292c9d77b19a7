// --reuse-connections as real clients meet it, through both relays: the native one (the default,
// which gives the cluster connection back to JavaScript when the client's Terminate arrives) and
// `--relay-engine node`, with dsql's default reset (RESET ALL, which keeps prepared statements, so
// the proxy closes those the client left). pgJDBC with its default options reconnects again and
// again over TLS, as an application that connects per request does, making a named statement
// each time, and must find the same server session each time, reset; asyncpg (a named statement
// for every query) and psql too. Clients with other habits must not leave their connection to the next client:
// a Terminate sent in the same write as a query, a Terminate while a query is still running, a
// client gone without Terminate, one that ended inside COPY.
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePsycopg, runPsql, runPython } from '../harness/clients.js';
import { freePort } from '../harness/ports.js';
import { REPO_ROOT, type ProxyProcess } from '../harness/proxy-process.js';
import { RawConnection } from '../harness/raw-protocol.js';
import { CLEAN_HABITS, REUSE_HABITS, runReuseCrowd } from '../harness/reuse-crowd.js';
import { startDsqlStack, type DsqlStack } from './dsql-fixture.js';
import { JDBC_JAR, backendAlive, metricValue, runReuseSessions, waitFor } from './warm-connections-helpers.js';

const ASYNCPG_PROGRAM = join(REPO_ROOT, 'test', 'integration', 'python', 'reuse_asyncpg.py');
const ROUNDS = 4;
/**
 * psycopg 3 with its default options and SSL off (with the native relay, the door answers it),
 * reconnecting: each round changes a setting and runs one query seven times, which psycopg
 * prepares on the server from the fifth (_pg3_0); the next round must find the same server session
 * with neither, or its own prepare of _pg3_0 fails with 42P05.
 */
const PSYCOPG_ROUNDS = `
import sys, psycopg
for i in range(int(sys.argv[3])):
    with psycopg.connect(host=sys.argv[1], port=sys.argv[2], user='admin', dbname='postgres', sslmode='disable', application_name='reuse-psycopg') as c:
        print('PID=%s' % c.execute('select pg_backend_pid()').fetchone()[0])
        print('STATEMENT_TIMEOUT=%s' % c.execute('show statement_timeout').fetchone()[0])
        c.execute("set statement_timeout = '5s'")
        total = sum(c.execute('select %s::int * 2', (k,)).fetchone()[0] for k in range(7))
        print('PREPARED=%s' % c.execute('select count(*) from pg_prepared_statements').fetchone()[0])
        print('SUM=%s' % total)
print('DONE=ok')
`;

interface MeteredProxy {
  proxy: ProxyProcess;
  metrics: number;
}

function values(stdout: string, key: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

describe.each(['native', 'node'] as const)('--reuse-connections with real clients (%s relay)', (engine) => {
  let stack: DsqlStack;
  let p: MeteredProxy;

  const reused = () => metricValue(p.metrics, 'warm_connections_added_total', { source: 'reuse' });
  const idle = () => metricValue(p.metrics, 'warm_connections_idle');
  const sessions = () => metricValue(p.metrics, 'relay_sessions_total', { engine });
  const raw = () => RawConnection.open(p.proxy.host, p.proxy.port, { user: 'admin', database: 'postgres', application_name: 'reuse-raw' });
  const pidOf = async (c: RawConnection) => Number((await c.query('select pg_backend_pid()'))[0][0]);

  /** A CancelRequest to the proxy with this key, on its own connection. */
  const sendCancel = (proxy: ProxyProcess, processID: number, secretKey: number) =>
    new Promise<void>((resolve, reject) => {
      const c = connect({ host: proxy.host, port: proxy.port }, () => c.end(serialize.cancel(processID, secretKey)));
      c.on('close', () => resolve());
      c.on('error', reject);
    });

  /**
   * A program's rounds (KEY=value lines) all found the same server session, with no setting of the
   * round before, got their sum right, and every session's connection came back.
   */
  const expectOneResetSession = async (stdout: string, sum: string, reusedBefore: number) => {
    expect(values(stdout, 'DONE')).toEqual(['ok']);
    expect(values(stdout, 'STATEMENT_TIMEOUT')).toEqual(Array(ROUNDS).fill('0'));
    expect(values(stdout, 'SUM')).toEqual(Array(ROUNDS).fill(sum));
    const pids = values(stdout, 'PID');
    expect(pids).toHaveLength(ROUNDS);
    expect(new Set(pids).size, `server sessions: ${pids.join(', ')}`).toBe(1);
    await waitFor('the last connection back', async () => (await reused()) >= reusedBefore + ROUNDS);
  };

  /** The session ended without its connection being reused: its server process is gone. */
  const expectNotReused = async (pid: number, reusedBefore: number) => {
    await waitFor('the server session to end', async () => !(await backendAlive(stack.db, pid)));
    expect(await reused()).toBe(reusedBefore);
  };

  beforeAll(async () => {
    stack = await startDsqlStack();
    const metrics = await freePort();
    const engineArgs = engine === 'node' ? ['--relay-engine', 'node'] : [];
    const proxy = await stack.startProxy({
      // The dsql default reset, RESET ALL, which keeps prepared statements: the proxy closes them.
      extraArgs: ['--warm-connections', '1', '--reuse-connections', '--metrics-listen', `127.0.0.1:${metrics}`, ...engineArgs],
    });
    p = { proxy, metrics };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('pgJDBC over TLS, reconnecting with its default options, gets the same server session each time, reset', async () => {
    if (!existsSync(JDBC_JAR)) throw new Error(`${JDBC_JAR} is missing: install it with \`apt-get install -y libpostgresql-jdbc-java\``);
    const sessionsBefore = await sessions();
    const reusedBefore = await reused();
    const r = await runReuseSessions(`jdbc:postgresql://127.0.0.1:${p.proxy.port}/postgres?sslmode=require&connectTimeout=10&socketTimeout=30`, ROUNDS);
    expect(values(r.stdout, 'ERROR'), r.stdout + r.stderr).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    // Each round set statement_timeout and made a named server-side statement (S_1): the next round
    // sees neither, or its own Parse of S_1 would fail with 42P05.
    await expectOneResetSession(r.stdout, '28', reusedBefore);
    expect(await sessions()).toBe(sessionsBefore + ROUNDS);
  });

  it('asyncpg, which makes every query a named statement, reconnecting gets the same server session each time, reset', async () => {
    const reusedBefore = await reused();
    const r = await runPython([ASYNCPG_PROGRAM, p.proxy.host, String(p.proxy.port), String(ROUNDS)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await expectOneResetSession(r.stdout, '42', reusedBefore);
  });

  it('psycopg 3 with SSL off, reconnecting with its default options, gets the same server session each time, reset', async () => {
    await requirePsycopg();
    const reusedBefore = await reused();
    const r = await runPython(['-c', PSYCOPG_ROUNDS, p.proxy.host, String(p.proxy.port), String(ROUNDS)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(values(r.stdout, 'PREPARED')).toEqual(Array(ROUNDS).fill('1'));
    await expectOneResetSession(r.stdout, '42', reusedBefore);
  });

  it('psql over TLS, twice, finds the server session the first one left', async () => {
    await waitFor('a warm connection', async () => (await idle()) >= 1);
    const conninfo = `host=${p.proxy.host} port=${p.proxy.port} user=admin dbname=postgres sslmode=require application_name=reuse-raw`;
    const reusedBefore = await reused();
    const first = await runPsql(conninfo, ['-At', '-c', 'set search_path = nowhere', '-c', 'select pg_backend_pid()']);
    expect(first.code, first.stderr).toBe(0);
    await waitFor('the connection back', async () => (await reused()) === reusedBefore + 1);
    const second = await runPsql(conninfo, ['-At', '-c', 'show search_path', '-c', 'select pg_backend_pid()']);
    expect(second.code, second.stderr).toBe(0);
    const [path, pid] = second.stdout.trim().split('\n');
    expect(path).toBe('"$user", public');
    expect(pid).toBe(first.stdout.trim().split('\n').at(-1));
    // Back again before the next test counts reuses.
    await waitFor('the connection back again', async () => (await reused()) === reusedBefore + 2);
  });

  it('reuses after a clean Terminate from a raw client, and not after a Terminate in the same write as a query', async () => {
    await waitFor('a warm connection', async () => (await idle()) >= 1);
    const clean = await raw();
    const pid = await pidOf(clean);
    let reusedBefore = await reused();
    clean.end();
    await clean.closedByPeer();
    await waitFor('the connection back', async () => (await reused()) === reusedBefore + 1);

    const pipelined = await raw();
    expect(await pidOf(pipelined)).toBe(pid);
    reusedBefore = await reused();
    pipelined.send(serialize.query('select 1'), serialize.end());
    await pipelined.closedByPeer();
    await expectNotReused(pid, reusedBefore);
  });

  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Goodbyes whose connection must not go to the next client. */
  const unclean: [string, (c: RawConnection) => Promise<void>][] = [
    [
      'a Terminate sent while a query still runs',
      async (c) => {
        c.send(serialize.query('select pg_sleep(0.3)'));
        await pause(50);
        c.end();
        await c.closedByPeer();
      },
    ],
    ['a client gone without Terminate', async (c) => c.destroy()],
    [
      'a Terminate inside COPY FROM STDIN',
      async (c) => {
        await c.query('create temp table reuse_copy (x int)');
        c.send(serialize.query('copy reuse_copy from stdin'));
        await pause(100);
        c.send(serialize.copyData(Buffer.from('1\n')));
        c.end();
        await c.closedByPeer();
      },
    ],
  ];
  it.each(unclean)('does not reuse the connection after %s', async (_, goodbye) => {
    await waitFor('a warm connection', async () => (await idle()) >= 1);
    const c = await raw();
    const pid = await pidOf(c);
    const reusedBefore = await reused();
    await goodbye(c);
    await expectNotReused(pid, reusedBefore);
  });

  // Both relays hand the connection on as soon as the Terminate is read, while the client's own
  // session may live on for a moment (up to 2 s for a client that does not close).
  it('lets a client that said goodbye but keeps its socket open go, and it cannot cancel the next client on that server session', async () => {
    const parameters = { user: 'admin', database: 'postgres', application_name: 'reuse-cancel' };
    const gone = await lingeringGoodbye(p.proxy, parameters);
    await waitFor('the connection back', async () => (await reused()) > gone.reusedBefore);
    const next = await RawConnection.open(p.proxy.host, p.proxy.port, parameters);
    try {
      expect(await pidOf(next)).toBe(gone.pid);
      const running = next.query('select pg_sleep(0.5)');
      await pause(100);
      await sendCancel(p.proxy, gone.processID, gone.secretKey);
      await expect(running).resolves.toEqual([['']]);
    } finally {
      gone.socket.destroy();
    }
    // Its connection back in the warm set before the next test counts reuses.
    const beforeNextLeaves = await reused();
    next.end();
    await next.closedByPeer();
    await waitFor('the connection back again', async () => (await reused()) > beforeNextLeaves);
  });

  /** A client that sends Terminate and then keeps its socket open (no FIN), with its cancel key. */
  const lingeringGoodbye = async (proxy: ProxyProcess, parameters: Record<string, string>) => {
    const socket = connect({ host: proxy.host, port: proxy.port, allowHalfOpen: true });
    socket.on('error', () => undefined);
    const parser = new Parser();
    const messages: BackendMessage[] = [];
    let wake = () => {};
    socket.on('data', (chunk: Buffer) => {
      parser.parse(chunk, (m: BackendMessage) => messages.push(m));
      wake();
    });
    const untilReady = async () => {
      while (!messages.some((m) => m.name === 'readyForQuery')) await new Promise<void>((r) => (wake = r));
      return messages.splice(0);
    };
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(serialize.startup(parameters));
    const key = (await untilReady()).find((m) => m.name === 'backendKeyData') as unknown as { processID: number; secretKey: number };
    socket.write(serialize.query('select pg_backend_pid()'));
    const row = (await untilReady()).find((m) => m.name === 'dataRow') as unknown as { fields: string[] };
    const reusedBefore = await reused();
    socket.write(serialize.end());
    return { socket, pid: Number(row.fields[0]), processID: key.processID, secretKey: key.secretKey, reusedBefore };
  };

  it('serves a crowd of node-postgres clients with mixed habits, 8 at a time: nothing one client set reaches another, every answer right', async () => {
    const reusedBefore = await reused();
    const count = 6 * REUSE_HABITS.length;
    const { problems, byHabit } = await runReuseCrowd(stack.pgConfig(p.proxy, { application_name: 'reuse-crowd' }), count, 8);
    expect(problems).toEqual([]);
    const clean = REUSE_HABITS.filter((h) => CLEAN_HABITS.has(h)).reduce((n, h) => n + byHabit[h], 0);
    await waitFor('every clean session back', async () => (await reused()) === reusedBefore + clean);
    await waitFor('no session open', async () => (await metricValue(p.metrics, 'client_connections_open')) === 0);
  });

  it('leaves no session open and serves the next client', async () => {
    await waitFor('no session open', async () => (await metricValue(p.metrics, 'client_connections_open')) === 0);
    const c = await raw();
    expect(await c.query('select 41 + 1')).toEqual([['42']]);
    c.end();
    await c.closedByPeer();
  });
});
