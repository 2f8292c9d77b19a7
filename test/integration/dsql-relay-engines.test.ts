// The two relay engines of the DSQL mode through the real proxy process and the DSQL stand-in:
// which one a session gets (relay_sessions_total{engine}), and what the native relay (C, for
// clients on plain TCP and on TLS after SSLRequest) must keep of the JavaScript relay's behaviour: backpressure on a large
// result read slowly, pipelined extended-protocol batches, errors and transactions with their
// metrics, the cluster connection lost, SIGTERM and --idle-timeout.
import { createHash } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { freePort } from '../harness/ports.js';
import { runPsql, type RunResult } from '../harness/clients.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import type { DsqlStandIn } from '../harness/dsql-standin.js';
import { useDsqlStack } from './dsql-fixture.js';
import { metricValue, waitFor } from './warm-connections-helpers.js';

const LISTENER = 'engines';
const LOST_MESSAGE = 'aurora-pg-proxy lost its connection to the DSQL cluster';

const stack = useDsqlStack();
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch {
      // already closed
    }
  }
});

interface MeteredProxy {
  proxy: ProxyProcess;
  metrics: number;
}

/** A proxy of its own with /metrics, so that every count a test reads is its own. */
async function meteredProxy(extraArgs: string[] = [], standIn?: DsqlStandIn): Promise<MeteredProxy> {
  const metrics = await freePort();
  const proxy = await stack().startProxy({
    standIn,
    extraArgs: ['--name', LISTENER, '--metrics-listen', `127.0.0.1:${metrics}`, ...extraArgs],
  });
  return { proxy, metrics };
}

function sessions(p: MeteredProxy, engine: 'native' | 'node'): Promise<number> {
  return metricValue(p.metrics, 'relay_sessions_total', { listener: LISTENER, engine });
}

async function engineCounts(p: MeteredProxy): Promise<{ native: number; node: number }> {
  return { native: await sessions(p, 'native'), node: await sessions(p, 'node') };
}

/** A node-postgres client, ended after the test; errors arrive through its queries or `errors`. */
function client(proxy: ProxyProcess, extra: pg.ClientConfig = {}): pg.Client & { errors: pg.DatabaseError[] } {
  const c = new pg.Client(stack().pgConfig(proxy, extra)) as pg.Client & { errors: pg.DatabaseError[] };
  c.errors = [];
  c.on('error', (e) => void c.errors.push(e as pg.DatabaseError));
  cleanups.push(() => c.end());
  return c;
}

async function connected(proxy: ProxyProcess, extra: pg.ClientConfig = {}): Promise<pg.Client & { errors: pg.DatabaseError[] }> {
  const c = client(proxy, extra);
  await c.connect();
  return c;
}

/** Waits (bounded) until the client reported an error on its own, and returns the first. */
async function firstError(c: { errors: pg.DatabaseError[] }, timeoutMs: number): Promise<pg.DatabaseError> {
  await waitFor('an error from the proxy', () => c.errors.length > 0, Math.ceil(timeoutMs / 100));
  return c.errors[0];
}

function psql(proxy: ProxyProcess, sslmode: string, args: string[]): Promise<RunResult> {
  return runPsql(`host=127.0.0.1 port=${proxy.port} user=admin dbname=postgres sslmode=${sslmode}`, args, { timeoutMs: 20_000 });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A few queries with known answers, simple and extended protocol. */
async function checkAnswers(c: pg.Client): Promise<void> {
  expect((await c.query('select 6 * 7 as answer, current_user as who')).rows).toEqual([{ answer: 42, who: 'postgres' }]);
  expect((await c.query('select $1::int + 1 as n, $2::text as t', [41, 'héllo'])).rows).toEqual([{ n: 42, t: 'héllo' }]);
  const r = await c.query<{ s: string; n: string }>("select sum(i)::text as s, count(*)::text as n from generate_series(1, 5000) i");
  expect(r.rows).toEqual([{ s: '12502500', n: '5000' }]);
}

interface Frame {
  type: string;
  body: Buffer;
}

/**
 * A bare protocol client over plain TCP that parses frames as they come and lets the test decide
 * when the socket is read (pause/resume), so that a result can be consumed slowly.
 */
class RawPg {
  readonly socket: Socket;
  received = 0;
  closed = false;
  private pending: Buffer = Buffer.alloc(0);
  private frames: Frame[] = [];
  private head = 0;
  private wake: (() => void) | null = null;
  /** Called for each chunk read (after it was parsed). */
  onChunk: ((total: number) => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      let i = 0;
      while (this.pending.length - i >= 5) {
        const length = this.pending.readUInt32BE(i + 1);
        if (this.pending.length - i < 1 + length) break;
        this.frames.push({ type: String.fromCharCode(this.pending[i]), body: this.pending.subarray(i + 5, i + 1 + length) });
        i += 1 + length;
      }
      this.pending = this.pending.subarray(i);
      this.onChunk?.(this.received);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static async open(port: number, applicationName: string): Promise<RawPg> {
    const socket = connectTcp({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new RawPg(socket);
    cleanups.push(() => c.socket.destroy());
    socket.write(serialize.startup({ user: 'admin', database: 'postgres', application_name: applicationName }));
    const login = await c.untilReady();
    expect(login.find((f) => f.type === 'R')?.body.readUInt32BE(0)).toBe(0); // AuthenticationOk
    return c;
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  /** The next frame; fails after timeoutMs or when the connection closes first. */
  async next(timeoutMs = 15_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.head >= this.frames.length) {
      if (this.closed) throw new Error('the proxy closed the connection');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms (received ${this.received} bytes)`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(left, 200));
      });
      this.wake = null;
    }
    const f = this.frames[this.head++];
    if (this.head > 4096) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return f;
  }

  /** The frames up to and including the next ReadyForQuery. */
  async untilReady(): Promise<Frame[]> {
    const out: Frame[] = [];
    for (;;) {
      const f = await this.next();
      out.push(f);
      if (f.type === 'Z') return out;
    }
  }
}

/** DataRow values as text (null for NULL). */
function rowValues(body: Buffer): (string | null)[] {
  const values: (string | null)[] = [];
  let at = 2;
  for (let i = body.readInt16BE(0); i > 0; i--) {
    const len = body.readInt32BE(at);
    at += 4;
    values.push(len < 0 ? null : body.toString('utf8', at, at + len));
    if (len > 0) at += len;
  }
  return values;
}

function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let at = 0; at < body.length && body[at] !== 0; ) {
    const end = body.indexOf(0, at + 1);
    fields[String.fromCharCode(body[at])] = body.toString('utf8', at + 1, end);
    at = end + 1;
  }
  return fields;
}

/** PostgreSQL's own view of a backend, asked directly (not through the proxy). */
async function backendWaitEvent(applicationName: string): Promise<{ state: string; wait_event: string | null } | undefined> {
  const db = stack().db;
  const direct = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.database });
  await direct.connect();
  try {
    const r = await direct.query<{ state: string; wait_event: string | null }>(
      'select state, wait_event from pg_stat_activity where application_name = $1',
      [applicationName],
    );
    return r.rows[0];
  } finally {
    await direct.end();
  }
}

describe('DSQL relay engines', () => {
  it('native for node-postgres and psql on plain TCP and on TLS after SSLRequest, node for direct TLS and with --relay-engine node', async () => {
    const auto = await meteredProxy();
    expect(await engineCounts(auto)).toEqual({ native: 0, node: 0 });

    // node-postgres without TLS: native.
    const plainPg = await connected(auto.proxy);
    await checkAnswers(plainPg);
    await plainPg.end();
    expect(await engineCounts(auto)).toEqual({ native: 1, node: 0 });

    // psql sslmode=disable: native.
    const plainPsql = await psql(auto.proxy, 'disable', ['-A', '-t', '-c', '\\conninfo', '-c', 'select 6 * 7', '-c', 'select string_agg(i::text, \',\') from generate_series(1, 5) i']);
    expect(plainPsql.stderr).toBe('');
    expect(plainPsql.code).toBe(0);
    expect(plainPsql.stdout).not.toContain('SSL connection');
    expect(plainPsql.stdout).toContain('42\n1,2,3,4,5\n');
    expect(await engineCounts(auto)).toEqual({ native: 2, node: 0 });

    // psql sslmode=require: TLS to the proxy after SSLRequest, run by the addon: native.
    const tlsPsql = await psql(auto.proxy, 'require', ['-A', '-t', '-c', '\\conninfo', '-c', 'select 6 * 7', '-c', 'select string_agg(i::text, \',\') from generate_series(1, 5) i']);
    expect(tlsPsql.stderr).toBe('');
    expect(tlsPsql.code).toBe(0);
    expect(tlsPsql.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
    expect(tlsPsql.stdout).toContain('42\n1,2,3,4,5\n');
    expect(await engineCounts(auto)).toEqual({ native: 3, node: 0 });

    // node-postgres with TLS after SSLRequest: native.
    const tlsPg = await connected(auto.proxy, { ssl: { rejectUnauthorized: false } });
    await checkAnswers(tlsPg);
    await tlsPg.end();
    expect(await engineCounts(auto)).toEqual({ native: 4, node: 0 });

    // node-postgres with direct TLS (no SSLRequest, ALPN postgresql): Node's TLS, the JavaScript relay.
    const directPg = await connected(auto.proxy, { ssl: { rejectUnauthorized: false }, sslnegotiation: 'direct' } as pg.ClientConfig);
    await checkAnswers(directPg);
    await directPg.end();
    expect(await engineCounts(auto)).toEqual({ native: 4, node: 1 });

    // --relay-engine node: plain clients too.
    const nodeOnly = await meteredProxy(['--relay-engine', 'node']);
    const plainPg2 = await connected(nodeOnly.proxy);
    await checkAnswers(plainPg2);
    await plainPg2.end();
    const plainPsql2 = await psql(nodeOnly.proxy, 'disable', ['-A', '-t', '-c', 'select 6 * 7']);
    expect(plainPsql2.code).toBe(0);
    expect(plainPsql2.stdout).toBe('42\n');
    expect(await engineCounts(nodeOnly)).toEqual({ native: 0, node: 2 });
  });

  it('native relay: a 30 MB result read slowly holds the server back and arrives intact; the session goes on', async () => {
    const p = await meteredProxy();
    const app = `relay-backpressure-${process.pid}`;
    const raw = await RawPg.open(p.proxy.port, app);
    expect(await engineCounts(p)).toEqual({ native: 1, node: 0 });

    const ROWS = 120_000;
    const source = `select i, md5(i::text) || repeat(chr(97 + i % 26), 220) as payload from generate_series(1, ${ROWS}) i`;
    // The client reads nothing at first: the relay must stop reading the cluster, and the
    // stand-in and PostgreSQL behind it must end up waiting to write.
    raw.socket.pause();
    raw.send(serialize.query(source));
    let sawClientWrite = false;
    for (let i = 0; i < 100 && !sawClientWrite; i++) {
      const b = await backendWaitEvent(app);
      if (b?.state === 'active' && b.wait_event === 'ClientWrite') sawClientWrite = true;
      else await sleep(100);
    }
    expect(sawClientWrite).toBe(true);
    const receivedWhilePaused = raw.received;
    // Only what the socket read before the pause took effect, far from the whole result.
    expect(receivedWhilePaused).toBeLessThan(2_000_000);

    // Then read slowly: a pause of 100 ms after every 4 MB.
    let nextPause = receivedWhilePaused + 4_000_000;
    let pauses = 0;
    raw.onChunk = (total) => {
      if (total < nextPause) return;
      nextPause = total + 4_000_000;
      pauses++;
      raw.socket.pause();
      setTimeout(() => raw.socket.resume(), 100);
    };
    raw.socket.resume();

    const md5 = createHash('md5');
    let sum = 0n;
    let rows = 0;
    let tag = '';
    for (;;) {
      const f = await raw.next();
      if (f.type === 'D') {
        const [i, payload] = rowValues(f.body);
        expect(Number(i)).toBe(rows + 1);
        sum += BigInt(i!);
        md5.update(payload!);
        rows++;
      } else if (f.type === 'C') tag = f.body.toString('utf8', 0, f.body.length - 1);
      else if (f.type === 'E') throw new Error(`error: ${JSON.stringify(errorFields(f.body))}`);
      else if (f.type === 'Z') break;
    }
    raw.onChunk = null;
    expect(raw.received).toBeGreaterThan(ROWS * 230); // more than 20 MB moved
    expect(pauses).toBeGreaterThan(2);
    expect(tag).toBe(`SELECT ${ROWS}`);
    expect(rows).toBe(ROWS);

    // PostgreSQL's own checksum of the same data, on the same connection.
    raw.send(serialize.query(`select count(*), sum(i), md5(string_agg(payload, '' order by i)) from (${source}) t`));
    const answer = await raw.untilReady();
    const data = answer.filter((f) => f.type === 'D').map((f) => rowValues(f.body));
    expect(data).toEqual([[String(ROWS), String(sum), md5.digest('hex')]]);
    expect(await engineCounts(p)).toEqual({ native: 1, node: 0 });
  });

  it('native relay: 40 pipelined extended-protocol batches, one failing, are answered in order', async () => {
    const p = await meteredProxy();
    const raw = await RawPg.open(p.proxy.port, 'relay-pipeline');
    expect(await engineCounts(p)).toEqual({ native: 1, node: 0 });

    const BATCHES = 40;
    const FAILING = 17;
    const size = (i: number) => (i * 7919) % 40_000; // up to 40 KB a row: answers cross read chunks
    const messages: Buffer[] = [];
    for (let i = 0; i < BATCHES; i++) {
      const text = i === FAILING ? 'select $1::int / (random() * 0)::int as n, $2::int as size' : "select $1::int as n, repeat('z', $2::int) as pad";
      messages.push(
        serialize.parse({ text }),
        serialize.bind({ values: [String(i), String(size(i))] }),
        serialize.describe({ type: 'P' }),
        serialize.execute(),
        serialize.sync(),
      );
    }
    // Every batch goes before any answer is read.
    raw.send(...messages);

    for (let i = 0; i < BATCHES; i++) {
      const answer = await raw.untilReady();
      const types = answer.map((f) => f.type).join('');
      if (i === FAILING) {
        expect(types).toBe('12TEZ');
        expect(errorFields(answer[3].body)).toMatchObject({ S: 'ERROR', C: '22012', M: 'division by zero' });
        expect(answer[4].body.toString('latin1')).toBe('I');
      } else {
        expect(types, `batch ${i}`).toBe('12TDCZ');
        expect(rowValues(answer[3].body)).toEqual([String(i), 'z'.repeat(size(i))]);
        expect(answer[4].body.toString('utf8')).toBe('SELECT 1\0');
      }
    }
    // Nothing more than those answers.
    raw.send(serialize.query('select 1'));
    expect((await raw.untilReady()).map((f) => f.type).join('')).toBe('TDCZ');
  });

  it('native relay: an error, then queries and a rolled-back transaction on the same session, counted in the metrics', async () => {
    const p = await meteredProxy();
    const errors22 = () => metricValue(p.metrics, 'errors_total', { listener: LISTENER, sqlstate_class: '22' });
    const queries = () => metricValue(p.metrics, 'queries_total', { listener: LISTENER });
    const open = () => metricValue(p.metrics, 'transactions_open', { listener: LISTENER });
    expect(await errors22()).toBe(0);

    const c = await connected(p.proxy);
    expect(await engineCounts(p)).toEqual({ native: 1, node: 0 });
    const queriesBefore = await queries();

    const err = (await c.query('select 1/0').catch((e: unknown) => e)) as pg.DatabaseError;
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('22012');
    expect(err.message).toBe('division by zero');
    expect((await c.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    expect((await c.query('select $1::text as echo', ['after the error'])).rows).toEqual([{ echo: 'after the error' }]);

    await c.query('create temporary table engines_tx (v int)');
    await c.query('begin');
    await c.query('insert into engines_tx values (1), (2)');
    expect((await c.query('select count(*)::int as n from engines_tx')).rows).toEqual([{ n: 2 }]);
    // The transaction is open, as the native relay reads ReadyForQuery's status.
    await waitFor('transactions_open = 1', async () => (await open()) === 1, 30);
    const inTx = (await c.query('select 1/0').catch((e: unknown) => e)) as pg.DatabaseError;
    expect(inTx.code).toBe('22012');
    await expect(c.query('select 1')).rejects.toMatchObject({ code: '25P02' });
    await c.query('rollback');
    expect((await c.query('select count(*)::int as n from engines_tx')).rows).toEqual([{ n: 0 }]);
    await waitFor('transactions_open = 0', async () => (await open()) === 0, 30);

    // Flushed from the native side every half second and before each scrape.
    await waitFor('errors_total{sqlstate_class="22"} = 2', async () => (await errors22()) === 2, 30);
    await waitFor('queries_total to count the round trips', async () => (await queries()) - queriesBefore >= 11, 30);
    expect(await errors22()).toBe(2);
    expect(await metricValue(p.metrics, 'errors_total', { listener: LISTENER, sqlstate_class: '25' })).toBe(1);
  });

  it('native relay: when the cluster connection is lost, the client gets FATAL 08006 naming the DSQL cluster', async () => {
    const standIn = await stack().startStandIn();
    const p = await meteredProxy([], standIn);
    const idle = await connected(p.proxy);
    const busy = await connected(p.proxy);
    expect((await idle.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect((await busy.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    expect(await engineCounts(p)).toEqual({ native: 2, node: 0 });

    const running = busy.query('select pg_sleep(5)').then(
      () => null,
      (e: pg.DatabaseError) => e,
    );
    await sleep(300);
    await standIn.closeListener(); // drops every connection without a word, like a network failure

    const idleErr = await firstError(idle, 5000);
    expect(idleErr.code).toBe('08006');
    expect(idleErr.severity).toBe('FATAL');
    expect(idleErr.message).toBe(LOST_MESSAGE);
    expect(idleErr.message).toContain('DSQL cluster');

    const busyErr = await running;
    expect(busyErr).not.toBeNull();
    expect(busyErr!.code).toBe('08006');
    expect(busyErr!.severity).toBe('FATAL');
    expect(busyErr!.message).toBe(LOST_MESSAGE);
    expect(p.proxy.child.exitCode).toBeNull();

    await standIn.reopen();
    const after = await connected(p.proxy);
    expect((await after.query('select 3 as three')).rows).toEqual([{ three: 3 }]);
  });

  it('native relay: SIGTERM ends an idle session with FATAL 57P01 and the proxy exits 0', async () => {
    const p = await meteredProxy();
    const c = await connected(p.proxy);
    expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(await engineCounts(p)).toEqual({ native: 1, node: 0 });

    p.proxy.child.kill('SIGTERM');
    const err = await firstError(c, 8000);
    expect(err.code).toBe('57P01');
    expect(err.severity).toBe('FATAL');
    expect(err.message).toBe('terminating connection due to administrator command');
    const code = await Promise.race([p.proxy.exited, sleep(10_000).then(() => 'still running')]);
    expect(code).toBe(0);
    await p.proxy.waitForLog(/shutdown complete/, 1000);
    expect(p.proxy.logRecords().filter((r) => r.msg === 'connection closed').map((r) => r.outcome)).toEqual(['shutdown']);
  });

  it('native relay with --idle-timeout 2: a session with a query every 300 ms stays, an idle one gets FATAL 57P05', async () => {
    const p = await meteredProxy(['--idle-timeout', '2']);
    const busy = await connected(p.proxy);
    const idle = await connected(p.proxy);
    expect((await idle.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(await engineCounts(p)).toEqual({ native: 2, node: 0 });
    const idleSince = Date.now();

    const deadline = Date.now() + 4000;
    let n = 0;
    while (Date.now() < deadline) {
      expect((await busy.query('select $1::int as n', [n])).rows).toEqual([{ n }]);
      n++;
      // Not before its 2 seconds are up (less a margin for the clocks of this loop).
      if (Date.now() - idleSince < 1800) expect(idle.errors).toEqual([]);
      await sleep(300);
    }
    expect(n).toBeGreaterThan(8);
    expect(busy.errors).toEqual([]);

    const err = await firstError(idle, 4000);
    expect(err.code).toBe('57P05');
    expect(err.severity).toBe('FATAL');
    expect(err.message).toBe('terminating connection due to idle-session timeout');
    // The busy session still works once the idle one is gone.
    expect((await busy.query('select 42 as n')).rows).toEqual([{ n: 42 }]);
    expect(busy.errors).toEqual([]);
    await p.proxy.waitForLog(/"outcome":"idle_timeout"/, 3000);
  });
});
