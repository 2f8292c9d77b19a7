// Prometheus metrics of the real proxy process, scraped from /metrics while real clients work
// through it: a dsql-mode proxy in front of the DSQL stand-in, and a data-api-mode proxy in front
// of the Data API emulator. Every family the issue lists must move with the traffic, and no label
// may carry a user name, a client address or SQL text.
import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freePort } from '../harness/ports.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { useDsqlStack } from './dsql-fixture.js';
import { useDataApiStack } from './dataapi-fixture.js';

const PREFIX = 'aurora_pg_proxy_';
/** A user name and a SQL literal that must never show up in a label. */
const PROBE_USER = 'ops_metrics_probe';
const PROBE_SQL = 'label_probe_literal';
/** Label names the proxy's own metrics may use (Node's default metrics have their own). */
const PROXY_LABELS = new Set(['listener', 'mode', 'outcome', 'operation', 'sqlstate_class', 'result', 'direction', 'version', 'le', 'engine']);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

class Scrape {
  constructor(readonly samples: Sample[]) {}

  /** Sum of the samples of `name` whose labels include `labels`; 0 when there are none. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  has(name: string, labels: Record<string, string> = {}): boolean {
    return this.matching(name, labels).length > 0;
  }

  private matching(name: string, labels: Record<string, string>): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }
}

async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return new Scrape(parseExposition(await res.text()));
}

/** Scrapes until `check` passes (bounded), for values updated when a connection closes. */
async function scrapeUntil(port: number, check: (s: Scrape) => boolean, timeoutMs = 5000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(port);
    if (check(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** No label value of the proxy's series names the user, the client address or the SQL. */
function expectLowCardinalityLabels(s: Scrape, clientPort: number): void {
  const own = s.samples.filter((x) => x.name.startsWith(PREFIX));
  expect(own.length).toBeGreaterThan(20);
  for (const sample of own) {
    for (const [key, value] of Object.entries(sample.labels)) {
      expect(value, `${sample.name}{${key}}`).not.toContain(PROBE_USER);
      expect(value, `${sample.name}{${key}}`).not.toContain(PROBE_SQL);
      expect(value, `${sample.name}{${key}}`).not.toContain('127.0.0.1');
      expect(value, `${sample.name}{${key}}`).not.toMatch(/\s|select|insert/i);
      expect(value, `${sample.name}{${key}}`).not.toContain(String(clientPort));
    }
  }
  const proxyFamilies = own.filter((x) => !/process_|nodejs_/.test(x.name.slice(PREFIX.length)));
  for (const sample of proxyFamilies) {
    for (const key of Object.keys(sample.labels)) expect(PROXY_LABELS, `${sample.name} label ${key}`).toContain(key);
  }
}

function expectNodeProcessMetrics(s: Scrape): void {
  expect(s.value(`${PREFIX}process_cpu_user_seconds_total`)).toBeGreaterThan(0);
  expect(s.value(`${PREFIX}process_resident_memory_bytes`)).toBeGreaterThan(1024 * 1024);
  expect(s.value(`${PREFIX}nodejs_heap_size_used_bytes`)).toBeGreaterThan(0);
  expect(s.has(`${PREFIX}nodejs_eventloop_lag_seconds`)).toBe(true);
  expect(s.value(`${PREFIX}build_info`)).toBe(1);
}

function newClient(config: pg.ClientConfig): pg.Client {
  const c = new pg.Client(config);
  c.on('error', () => {});
  return c;
}

async function startMetricsProxy(start: (args: string[]) => Promise<ProxyProcess>, name: string): Promise<{ proxy: ProxyProcess; metricsPort: number }> {
  const metricsPort = await freePort();
  const proxy = await start(['--name', name, '--metrics-listen', `127.0.0.1:${metricsPort}`]);
  await proxy.waitForLog(/metrics and health on/);
  return { proxy, metricsPort };
}

/**
 * The traffic both modes are measured under: a query, a parameterised one, a failing one. The
 * client stays connected (its port must not show up in any label).
 */
async function probeTraffic(cfg: pg.ClientConfig): Promise<{ client: pg.Client; clientPort: number }> {
  const client = newClient(cfg);
  await client.connect();
  const clientPort = (client as unknown as { connection: { stream: { localPort: number } } }).connection.stream.localPort;
  await client.query(`select '${PROBE_SQL}' as v`);
  await client.query('select $1::int + 1 as n', [41]);
  await expect(client.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
  // node-postgres rejects on the ErrorResponse, before its ReadyForQuery: one more round trip
  // makes sure the failed one has completed in the proxy too.
  await client.query('select 1');
  return { client, clientPort };
}

describe('metrics in dsql mode', () => {
  const stack = useDsqlStack();
  let proxy: ProxyProcess;
  let metricsPort: number;
  const L = { listener: 'ops-dsql' };

  beforeAll(async () => {
    const admin = new pg.Client(stack().db.url);
    await admin.connect();
    await admin.query(`create role ${PROBE_USER} login`);
    await admin.query(`create table if not exists ops_metrics_t (id int)`);
    await admin.query(`grant all on ops_metrics_t to ${PROBE_USER}`);
    await admin.end();
    ({ proxy, metricsPort } = await startMetricsProxy((extraArgs) => stack().startProxy({ extraArgs }), L.listener));
  });

  it('counts connections, sessions, tokens, bytes, queries, errors and transactions during real traffic', async () => {
    const before = await scrape(metricsPort);
    expect(before.value(`${PREFIX}client_connections_open`, { ...L, mode: 'dsql' })).toBe(0);
    expect(before.value(`${PREFIX}transactions_open`, L)).toBe(0);
    const tokensBefore = before.value(`${PREFIX}token_generations_total`, { ...L, result: 'success' });

    const { client, clientPort } = await probeTraffic(stack().pgConfig(proxy, { user: PROBE_USER }));

    const during = await scrape(metricsPort);
    expect(during.value(`${PREFIX}client_connections_open`, { ...L, mode: 'dsql' })).toBe(1);
    expect(during.value(`${PREFIX}upstream_connect_duration_seconds_count`, { ...L, result: 'success' })).toBeGreaterThanOrEqual(1);
    expect(during.value(`${PREFIX}upstream_connect_duration_seconds_sum`, { ...L, result: 'success' })).toBeGreaterThan(0);
    expect(during.value(`${PREFIX}token_generations_total`, { ...L, result: 'success' })).toBeGreaterThan(tokensBefore);
    expect(during.value(`${PREFIX}token_generation_duration_seconds_count`, L)).toBeGreaterThanOrEqual(1);
    const expiry = during.value(`${PREFIX}token_expiry_seconds`, L);
    expect(expiry).toBeGreaterThan(800); // the default --token-ttl is 900 s
    expect(expiry).toBeLessThanOrEqual(900);
    const up = during.value(`${PREFIX}bytes_total`, { ...L, direction: 'client_to_upstream' });
    const down = during.value(`${PREFIX}bytes_total`, { ...L, direction: 'upstream_to_client' });
    expect(up).toBeGreaterThan(PROBE_SQL.length);
    expect(down).toBeGreaterThan(up);
    // Four round trips: a simple query, an extended one, the failing one and one more.
    expect(during.value(`${PREFIX}queries_total`, { ...L, mode: 'dsql' })).toBe(4);
    expect(during.value(`${PREFIX}query_duration_seconds_count`, { ...L, mode: 'dsql' })).toBe(4);
    expect(during.value(`${PREFIX}query_duration_seconds_bucket`, { ...L, mode: 'dsql', le: '+Inf' })).toBe(4);
    expect(during.value(`${PREFIX}errors_total`, { ...L, mode: 'dsql', sqlstate_class: '22' })).toBe(1);
    // A client on plain TCP: the native relay moved this session's bytes, and counted all of the above.
    expect(during.value(`${PREFIX}relay_sessions_total`, { ...L, engine: 'native' })).toBe(1);

    await client.query('begin');
    await client.query('insert into ops_metrics_t values (1)');
    const inTx = await scrape(metricsPort);
    expect(inTx.value(`${PREFIX}transactions_open`, L)).toBe(1);
    await client.query('commit');
    const afterTx = await scrape(metricsPort);
    expect(afterTx.value(`${PREFIX}transactions_open`, L)).toBe(0);
    expect(afterTx.value(`${PREFIX}bytes_total`, { ...L, direction: 'client_to_upstream' })).toBeGreaterThan(up);

    await client.end();
    const after = await scrapeUntil(metricsPort, (s) => s.value(`${PREFIX}client_connections_total`, { ...L, outcome: 'ok' }) >= 1);
    expect(after.value(`${PREFIX}client_connections_open`, { ...L, mode: 'dsql' })).toBe(0);
    expect(after.value(`${PREFIX}client_connections_total`, { ...L, mode: 'dsql', outcome: 'ok' })).toBe(1);
    expect(after.value(`${PREFIX}session_duration_seconds_count`, { ...L, mode: 'dsql' })).toBe(1);
    expect(after.value(`${PREFIX}session_duration_seconds_sum`, { ...L, mode: 'dsql' })).toBeGreaterThan(0);
    expectNodeProcessMetrics(after);
    expectLowCardinalityLabels(after, clientPort);
  });

  it('counts a transaction ended by the client going away, and a refused login by outcome', async () => {
    const client = newClient(stack().pgConfig(proxy));
    await client.connect();
    await client.query('begin');
    expect((await scrape(metricsPort)).value(`${PREFIX}transactions_open`, L)).toBe(1);
    await client.end();
    const s = await scrapeUntil(metricsPort, (x) => x.value(`${PREFIX}transactions_open`, L) === 0);
    expect(s.value(`${PREFIX}transactions_open`, L)).toBe(0);

    // A role that does not exist: the cluster refuses the login after the token checked out.
    const refused = newClient(stack().pgConfig(proxy, { user: 'no_such_role_here' }));
    await expect(refused.connect()).rejects.toThrow();
    const after = await scrapeUntil(metricsPort, (x) => x.value(`${PREFIX}client_connections_total`, { ...L, outcome: 'rejected' }) >= 1);
    expect(after.value(`${PREFIX}client_connections_total`, { ...L, outcome: 'rejected' })).toBe(1);
    expect(after.value(`${PREFIX}client_connections_open`, L)).toBe(0);
  });
});

describe('metrics in data-api mode', () => {
  const stack = useDataApiStack();
  let proxy: ProxyProcess;
  let metricsPort: number;
  const L = { listener: 'ops-data-api' };

  beforeAll(async () => {
    ({ proxy, metricsPort } = await startMetricsProxy((args) => stack().startProxy(args), L.listener));
  });

  function config(extra: pg.ClientConfig = {}): pg.ClientConfig {
    return { host: proxy.host, port: proxy.port, user: PROBE_USER, database: 'postgres', ...extra };
  }

  it('counts connections, bytes, queries, Data API calls, errors and transactions during real traffic', async () => {
    const before = await scrape(metricsPort);
    expect(before.value(`${PREFIX}client_connections_open`, { ...L, mode: 'data-api' })).toBe(0);
    const okBefore = before.value(`${PREFIX}data_api_calls_total`, { ...L, operation: 'ExecuteStatement', outcome: 'success' });

    const { client, clientPort } = await probeTraffic(config());

    const during = await scrape(metricsPort);
    expect(during.value(`${PREFIX}client_connections_open`, { ...L, mode: 'data-api' })).toBe(1);
    expect(during.value(`${PREFIX}data_api_calls_total`, { ...L, operation: 'ExecuteStatement', outcome: 'success' })).toBeGreaterThanOrEqual(okBefore + 3);
    expect(during.value(`${PREFIX}data_api_calls_total`, { ...L, operation: 'ExecuteStatement', outcome: 'database_error' })).toBe(1);
    expect(during.value(`${PREFIX}data_api_call_duration_seconds_count`, { ...L, operation: 'ExecuteStatement' })).toBeGreaterThanOrEqual(4);
    expect(during.value(`${PREFIX}data_api_call_duration_seconds_sum`, { ...L, operation: 'ExecuteStatement' })).toBeGreaterThan(0);
    expect(during.value(`${PREFIX}queries_total`, { ...L, mode: 'data-api' })).toBe(4);
    expect(during.value(`${PREFIX}query_duration_seconds_count`, { ...L, mode: 'data-api' })).toBe(4);
    expect(during.value(`${PREFIX}errors_total`, { ...L, mode: 'data-api', sqlstate_class: '22' })).toBe(1);
    // Bytes move while the session is still open, not only when it closes.
    const up = during.value(`${PREFIX}bytes_total`, { ...L, direction: 'client_to_upstream' });
    const down = during.value(`${PREFIX}bytes_total`, { ...L, direction: 'upstream_to_client' });
    expect(up).toBeGreaterThan(PROBE_SQL.length);
    expect(down).toBeGreaterThan(0);
    // DSQL-only families carry no data-api series.
    expect(during.has(`${PREFIX}token_expiry_seconds`, L)).toBe(false);

    const calls = (s: Scrape, operation: string) => s.value(`${PREFIX}data_api_calls_total`, { ...L, operation, outcome: 'success' });
    const timed = (s: Scrape, operation: string) => s.value(`${PREFIX}data_api_call_duration_seconds_count`, { ...L, operation });
    await client.query('begin');
    await client.query('select 1');
    const inTx = await scrape(metricsPort);
    expect(inTx.value(`${PREFIX}transactions_open`, L)).toBe(1);
    expect(calls(inTx, 'BeginTransaction')).toBe(calls(during, 'BeginTransaction') + 1);
    await client.query('commit');
    const afterTx = await scrape(metricsPort);
    expect(afterTx.value(`${PREFIX}transactions_open`, L)).toBe(0);
    expect(calls(afterTx, 'CommitTransaction')).toBe(calls(inTx, 'CommitTransaction') + 1);
    expect(timed(afterTx, 'CommitTransaction')).toBe(timed(inTx, 'CommitTransaction') + 1);
    expect(afterTx.value(`${PREFIX}bytes_total`, { ...L, direction: 'upstream_to_client' })).toBeGreaterThan(down);

    await client.end();
    const after = await scrapeUntil(metricsPort, (s) => s.value(`${PREFIX}client_connections_total`, { ...L, outcome: 'ok' }) >= 1);
    expect(after.value(`${PREFIX}client_connections_open`, { ...L, mode: 'data-api' })).toBe(0);
    expect(after.value(`${PREFIX}client_connections_total`, { ...L, mode: 'data-api', outcome: 'ok' })).toBe(1);
    expect(after.value(`${PREFIX}session_duration_seconds_count`, { ...L, mode: 'data-api' })).toBe(1);
    expectNodeProcessMetrics(after);
    expectLowCardinalityLabels(after, clientPort);
  });
});
