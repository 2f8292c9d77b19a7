// `dsql --workers 2`: a primary and two worker processes in front of the DSQL stand-in. Sessions
// of node-postgres and psql clients are spread over both workers (the `worker` field of their log
// lines), a CancelRequest reaches its session whichever worker accepts it, /metrics adds up the
// workers' counters, a killed worker is replaced, and SIGTERM ends everything with exit code 0.
import { connect as connectTcp } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { encodeCancelRequest } from '../../src/protocol/index.js';
import { runPsql } from '../harness/clients.js';
import { freePort } from '../harness/ports.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { useDsqlStack } from './dsql-fixture.js';

const stack = useDsqlStack();
let proxy: ProxyProcess;
let metricsPort: number;
const openClients: pg.Client[] = [];

beforeAll(async () => {
  metricsPort = await freePort();
  proxy = await stack().startProxy({
    extraArgs: ['--workers', '2', '--log-level', 'debug', '--metrics-listen', `127.0.0.1:${metricsPort}`],
  });
  await proxy.waitForLog(/all 2 workers listening/);
});

afterEach(async () => {
  await Promise.all(openClients.splice(0).map((c) => c.end().catch(() => {})));
});

async function connectClient(): Promise<pg.Client> {
  const client = new pg.Client(stack().pgConfig(proxy));
  client.on('error', () => {});
  openClients.push(client);
  await client.connect();
  return client;
}

/** The BackendKeyData the client received. */
function backendKey(client: pg.Client): { processID: number; secretKey: number } {
  const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
  return { processID, secretKey };
}

/** Records of one message, from worker processes only. */
function records(msg: string): Record<string, unknown>[] {
  return proxy.logRecords().filter((r) => r.msg === msg);
}

/** Waits (bounded) until the proxy logged `count` records of `msg`. */
async function waitForRecords(msg: string, count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100; i++) {
    const found = records(msg);
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${count} "${msg}" log records, found ${records(msg).length}:\n${proxy.output()}`);
}

function sendCancel(port: number, key: { processID: number; secretKey: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the proxy did not close the cancel connection within 5 s'));
    }, 5000);
    socket.on('connect', () => socket.write(encodeCancelRequest(key.processID, key.secretKey)));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.resume();
  });
}

async function waitUntilSleeping(backendPid: number): Promise<void> {
  const observer = new pg.Client({ host: stack().db.host, port: stack().db.port, user: stack().db.user, database: stack().db.database });
  await observer.connect();
  try {
    for (let i = 0; i < 200; i++) {
      const active = await observer.query(
        "select count(*)::int as n from pg_stat_activity where pid = $1 and state = 'active' and query like 'select pg_sleep%'",
        [backendPid],
      );
      if (active.rows[0].n === 1) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the pg_sleep never started');
  } finally {
    await observer.end();
  }
}

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

function sampleSum(text: string, name: string, labelFilter: RegExp = /.*/): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && labelFilter.test(m[2] ?? '')) sum += Number(m[3]);
  }
  return sum;
}

describe('dsql --workers 2', () => {
  it('serves several node-postgres and psql clients, spread over both workers', async () => {
    const openedBefore = records('connection opened').length;
    const clients = await Promise.all(Array.from({ length: 6 }, () => connectClient()));
    const results = await Promise.all(clients.map((c, i) => c.query('select $1::int * 2 as doubled', [i])));
    expect(results.map((r) => r.rows[0].doubled)).toEqual([0, 2, 4, 6, 8, 10]);

    const conninfo = `host=127.0.0.1 port=${proxy.port} user=admin dbname=postgres sslmode=disable`;
    const psqlRuns = await Promise.all([1, 2].map((n) => runPsql(conninfo, ['-At', '-c', `select ${n} + 40`], { timeoutMs: 20_000 })));
    expect(psqlRuns.map((r) => [r.code, r.stdout.trim()])).toEqual([
      [0, '41'],
      [0, '42'],
    ]);

    const opened = (await waitForRecords('connection opened', openedBefore + 8)).slice(openedBefore);
    const workers = new Set(opened.map((r) => r.worker));
    expect(workers).toEqual(new Set([0, 1]));
    // The cancel key each client holds names the worker that serves it.
    expect(new Set(clients.map((c) => backendKey(c).processID & 63))).toEqual(new Set([0, 1]));
  });

  it('cancels a pg_sleep whichever worker the CancelRequest lands on', async () => {
    const seen = { sameWorker: 0, otherWorker: 0 };
    // The cluster hands connections to workers in turn, so the cancel connection right after a
    // client's own lands on the other worker; one more connection in between shifts the turn.
    for (let round = 0; round < 8 && (seen.sameWorker === 0 || seen.otherWorker === 0); round++) {
      const client = await connectClient();
      const key = backendKey(client);
      const owner = key.processID & 63;
      const backendPid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      const sleeping = client.query('select pg_sleep(30)').then(
        () => null,
        (e: pg.DatabaseError) => e,
      );
      await waitUntilSleeping(backendPid);
      if (round % 2 === 1) await connectClient();
      const cancelLinesBefore = records('cancel request').length;
      await sendCancel(proxy.port, key);
      const err = await Promise.race([sleeping, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
      expect(err).not.toBe('timeout');
      expect((err as pg.DatabaseError).code).toBe('57014');
      const landing = (await waitForRecords('cancel request', cancelLinesBefore + 1))[cancelLinesBefore];
      if (landing.worker === owner) seen.sameWorker += 1;
      else seen.otherWorker += 1;
      expect((await client.query('select 3 as three')).rows).toEqual([{ three: 3 }]);
    }
    expect(seen.sameWorker).toBeGreaterThan(0);
    expect(seen.otherWorker).toBeGreaterThan(0);
  });

  it('closes a cancel connection only once the cancel reached the cluster, whichever worker it lands on', async () => {
    // Clients send their next statement when the cancel connection closes; a cancel still on its
    // way (forwarded through the primary to the owning worker) would cancel that statement.
    const client = await connectClient();
    const key = backendKey(client);
    const seen = { sameWorker: 0, otherWorker: 0 };
    for (let round = 0; round < 8 && (seen.sameWorker < 2 || seen.otherWorker < 2); round++) {
      if (round % 3 === 2) await connectClient(); // shifts which worker the next connection lands on
      const cancelsBefore = stack().standIn.stats.cancelsForwarded;
      const cancelLinesBefore = records('cancel request').length;
      await sendCancel(proxy.port, key);
      expect(stack().standIn.stats.cancelsForwarded).toBe(cancelsBefore + 1);
      expect((await client.query('select pg_sleep(0.2), 5 as five')).rows[0].five).toBe(5);
      const landing = (await waitForRecords('cancel request', cancelLinesBefore + 1))[cancelLinesBefore];
      if (landing.worker === (key.processID & 63)) seen.sameWorker += 1;
      else seen.otherWorker += 1;
    }
    expect(seen.otherWorker).toBeGreaterThan(0);
  });

  it('ignores a CancelRequest with a wrong secret, on either worker', async () => {
    const client = await connectClient();
    const key = backendKey(client);
    for (const wrong of [{ ...key, secretKey: key.secretKey ^ 1 }, { ...key, secretKey: key.secretKey ^ 2 }]) await sendCancel(proxy.port, wrong);
    const result = await client.query('select pg_sleep(0.2), 4 as four');
    expect(result.rows[0].four).toBe(4);
  });

  it('serves /metrics with the counters of both workers added up, and is ready', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => connectClient()));
    for (const c of clients) await c.query('select 1');
    await Promise.all(openClients.splice(0).map((c) => c.end()));
    const closed = await waitForRecords('connection closed', 4);
    const perWorker = new Map<unknown, number>();
    for (const r of closed) perWorker.set(r.worker, (perWorker.get(r.worker) ?? 0) + 1);
    expect([...perWorker.keys()].sort()).toEqual([0, 1]);

    // Sessions may still be closing in the workers' metrics; the count settles within the bound.
    let total = 0;
    for (let i = 0; i < 50; i++) {
      total = sampleSum(await scrape(), 'aurora_pg_proxy_client_connections_total', /outcome="ok"/);
      if (total === records('connection closed').filter((r) => r.outcome === 'ok').length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(total).toBe(records('connection closed').filter((r) => r.outcome === 'ok').length);
    const text = await scrape();
    expect(sampleSum(text, 'aurora_pg_proxy_build_info')).toBe(1);
    expect(sampleSum(text, 'aurora_pg_proxy_queries_total')).toBeGreaterThanOrEqual(4);

    expect((await fetch(`http://127.0.0.1:${metricsPort}/startup`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readiness`);
    expect(await ready.text()).toBe('ok\n');
  });

  it('replaces a worker that is killed, and goes on serving', async () => {
    const started = records('worker started');
    const victim = started.find((r) => r.worker === 1)!;
    process.kill(victim.pid as number, 'SIGKILL');
    await proxy.waitForLog(/worker 1 exited unexpectedly/);
    await proxy.waitForLog(/worker listening again/);
    const replacement = records('worker started').filter((r) => r.worker === 1).at(-1)!;
    expect(replacement.pid).not.toBe(victim.pid);

    const clients = await Promise.all(Array.from({ length: 4 }, () => connectClient()));
    const results = await Promise.all(clients.map((c) => c.query('select 7 as seven')));
    expect(results.every((r) => r.rows[0].seven === 7)).toBe(true);
    expect(new Set(clients.map((c) => backendKey(c).processID & 63))).toEqual(new Set([0, 1]));
  });

  it('shuts down on SIGTERM with exit code 0, workers included', async () => {
    const client = await connectClient();
    const ended = new Promise<Error>((resolve) => client.once('error', resolve));
    const workerPids = records('worker started').map((r) => r.pid as number);
    expect(await proxy.stop('SIGTERM')).toBe(0);
    expect(proxy.output()).toMatch(/shutdown complete/);
    // The session was ended with 57P01, as a single process does after --max-sigterm-delay.
    expect(((await ended) as pg.DatabaseError).code).toBe('57P01');
    for (const pid of workerPids) expect(isAlive(pid)).toBe(false);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
