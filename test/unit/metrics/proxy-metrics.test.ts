import { describe, it, expect } from 'vitest';
import type { Registry } from 'prom-client';
import { createProxyMetrics, sqlstateClass } from '../../../src/metrics/index.js';
import type { SessionCounters } from '../../../src/server/types.js';

/** One sample as a scrape sees it; labels must match exactly (histogram buckets include `le`). */
async function sample(
  registry: Registry,
  metric: string,
  labels: Record<string, string | number> = {},
  sampleName: string = metric,
): Promise<number | undefined> {
  const all = await registry.getMetricsAsJSON();
  const family = all.find((m) => m.name === metric);
  if (!family) throw new Error(`no metric ${metric}`);
  const wanted = Object.entries(labels);
  const values = family.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  const hit = values.find(
    (v) =>
      (v.metricName ?? family.name) === sampleName &&
      Object.keys(v.labels).length === wanted.length &&
      wanted.every(([k, val]) => String(v.labels[k]) === String(val)),
  );
  return hit?.value;
}

const counters = (): SessionCounters => ({ bytesFromClient: 10, bytesToClient: 20, queries: 3 });

describe('createProxyMetrics', () => {
  it('defines every metric with its type', async () => {
    const { registry } = createProxyMetrics({ collectDefault: false });
    const types = Object.fromEntries((await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
    expect(types).toEqual({
      aurora_pg_proxy_client_connections_open: 'gauge',
      aurora_pg_proxy_client_connections_total: 'counter',
      aurora_pg_proxy_session_duration_seconds: 'histogram',
      aurora_pg_proxy_upstream_connect_duration_seconds: 'histogram',
      aurora_pg_proxy_token_generations_total: 'counter',
      aurora_pg_proxy_token_generation_duration_seconds: 'histogram',
      aurora_pg_proxy_token_expiry_seconds: 'gauge',
      aurora_pg_proxy_bytes_total: 'counter',
      aurora_pg_proxy_queries_total: 'counter',
      aurora_pg_proxy_query_duration_seconds: 'histogram',
      aurora_pg_proxy_data_api_calls_total: 'counter',
      aurora_pg_proxy_data_api_call_duration_seconds: 'histogram',
      aurora_pg_proxy_data_api_transport_failures_total: 'counter',
      aurora_pg_proxy_errors_total: 'counter',
      aurora_pg_proxy_transactions_open: 'gauge',
      aurora_pg_proxy_login_pacing_waits_total: 'counter',
      aurora_pg_proxy_login_pacing_wait_seconds: 'histogram',
      aurora_pg_proxy_occ_retries_total: 'counter',
      aurora_pg_proxy_relay_sessions_total: 'counter',
      aurora_pg_proxy_door_answers_total: 'counter',
      aurora_pg_proxy_door_holds_total: 'counter',
      aurora_pg_proxy_door_hold_seconds_total: 'counter',
      aurora_pg_proxy_occ_retry_outcomes_total: 'counter',
      aurora_pg_proxy_warm_connections_idle: 'gauge',
      aurora_pg_proxy_warm_connection_requests_total: 'counter',
      aurora_pg_proxy_warm_connections_added_total: 'counter',
      aurora_pg_proxy_warm_connections_closed_total: 'counter',
      aurora_pg_proxy_build_info: 'gauge',
    });
  });

  it('reports the build version as a label with value 1', async () => {
    const { registry } = createProxyMetrics({ collectDefault: false, version: '9.8.7' });
    expect(await sample(registry, 'aurora_pg_proxy_build_info', { version: '9.8.7' })).toBe(1);
  });

  it('defaults the build version to package.json', async () => {
    const { registry } = createProxyMetrics({ collectDefault: false });
    const text = await registry.getSingleMetricAsString('aurora_pg_proxy_build_info');
    expect(text).toMatch(/aurora_pg_proxy_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1/);
  });

  it('adds prefixed Node process metrics unless told not to', async () => {
    const withDefault = createProxyMetrics();
    const without = createProxyMetrics({ collectDefault: false });
    const names = (await withDefault.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('aurora_pg_proxy_process_cpu_user_seconds_total');
    expect(names).toContain('aurora_pg_proxy_nodejs_heap_size_used_bytes');
    expect((await without.registry.getMetricsAsJSON()).map((m) => m.name)).not.toContain(
      'aurora_pg_proxy_process_cpu_user_seconds_total',
    );
  });

  it('keeps separate registries apart', async () => {
    const a = createProxyMetrics({ collectDefault: false });
    const b = createProxyMetrics({ collectDefault: false });
    a.forListener('main', 'dsql').queryFinished(0.01);
    expect(await sample(a.registry, 'aurora_pg_proxy_queries_total', { listener: 'main', mode: 'dsql' })).toBe(1);
    expect(await sample(b.registry, 'aurora_pg_proxy_queries_total', { listener: 'main', mode: 'dsql' })).toBeUndefined();
  });

  it('returns one observer per listener and mode', () => {
    const m = createProxyMetrics({ collectDefault: false });
    expect(m.forListener('main', 'dsql')).toBe(m.forListener('main', 'dsql'));
    expect(m.forListener('main', 'dsql')).not.toBe(m.forListener('other', 'dsql'));
  });

  it('exposes zero-valued series for a listener before any traffic', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    m.forListener('main', 'dsql');
    expect(await sample(m.registry, 'aurora_pg_proxy_client_connections_open', { listener: 'main', mode: 'dsql' })).toBe(0);
    expect(await sample(m.registry, 'aurora_pg_proxy_bytes_total', { listener: 'main', direction: 'client_to_upstream' })).toBe(0);
  });
});

describe('ListenerMetrics: connections', () => {
  it('tracks open connections, outcomes and session duration', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('main', 'dsql');
    const r = m.registry;
    const lm = { listener: 'main', mode: 'dsql' };

    obs.connectionOpened('main');
    obs.connectionOpened('main');
    obs.connectionOpened('main');
    expect(await sample(r, 'aurora_pg_proxy_client_connections_open', lm)).toBe(3);

    obs.connectionClosed('main', 'ok', 12, counters());
    obs.connectionClosed('main', 'auth_failed', 0.5, counters());
    expect(await sample(r, 'aurora_pg_proxy_client_connections_open', lm)).toBe(1);
    expect(await sample(r, 'aurora_pg_proxy_client_connections_total', { ...lm, outcome: 'ok' })).toBe(1);
    expect(await sample(r, 'aurora_pg_proxy_client_connections_total', { ...lm, outcome: 'auth_failed' })).toBe(1);
    expect(await sample(r, 'aurora_pg_proxy_session_duration_seconds', lm, 'aurora_pg_proxy_session_duration_seconds_count')).toBe(2);
    expect(await sample(r, 'aurora_pg_proxy_session_duration_seconds', lm, 'aurora_pg_proxy_session_duration_seconds_sum')).toBe(12.5);
    expect(
      await sample(r, 'aurora_pg_proxy_session_duration_seconds', { ...lm, le: 15 }, 'aurora_pg_proxy_session_duration_seconds_bucket'),
    ).toBe(2);
    expect(
      await sample(r, 'aurora_pg_proxy_session_duration_seconds', { ...lm, le: 5 }, 'aurora_pg_proxy_session_duration_seconds_bucket'),
    ).toBe(1);
  });

  it('counts cancel requests as connections but not as sessions', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('main', 'dsql');
    const lm = { listener: 'main', mode: 'dsql' };
    obs.connectionOpened('main');
    obs.connectionClosed('main', 'cancel_request', 0.001, counters());
    expect(await sample(m.registry, 'aurora_pg_proxy_client_connections_open', lm)).toBe(0);
    expect(await sample(m.registry, 'aurora_pg_proxy_client_connections_total', { ...lm, outcome: 'cancel_request' })).toBe(1);
    const sessions = async () =>
      (await sample(m.registry, 'aurora_pg_proxy_session_duration_seconds', lm, 'aurora_pg_proxy_session_duration_seconds_count')) ?? 0;
    expect(await sessions()).toBe(0);
    obs.connectionOpened('main');
    obs.connectionClosed('main', 'ok', 2, counters());
    expect(await sessions()).toBe(1);
  });

  it('has session buckets reaching hours', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    m.forListener('main', 'dsql').connectionClosed('main', 'ok', 3000, counters());
    const text = await m.registry.getSingleMetricAsString('aurora_pg_proxy_session_duration_seconds');
    expect(text).toContain('le="1"');
    expect(text).toContain('le="3600"');
    expect(text).toMatch(/le="3600",listener="main",mode="dsql"\} 1|listener="main",mode="dsql",le="3600"\} 1/);
  });
});

describe('ListenerMetrics: DSQL relay, upstream and tokens', () => {
  it('counts bytes per direction and ignores empty chunks', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('main', 'dsql');
    obs.bytes('client_to_upstream', 100);
    obs.bytes('client_to_upstream', 23);
    obs.bytes('upstream_to_client', 4096);
    obs.bytes('upstream_to_client', 0);
    expect(await sample(m.registry, 'aurora_pg_proxy_bytes_total', { listener: 'main', direction: 'client_to_upstream' })).toBe(123);
    expect(await sample(m.registry, 'aurora_pg_proxy_bytes_total', { listener: 'main', direction: 'upstream_to_client' })).toBe(4096);
  });

  it('works with methods handed around unbound', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const { bytes, queryFinished } = m.forListener('main', 'dsql');
    bytes('upstream_to_client', 7);
    queryFinished(0.2);
    expect(await sample(m.registry, 'aurora_pg_proxy_bytes_total', { listener: 'main', direction: 'upstream_to_client' })).toBe(7);
    expect(await sample(m.registry, 'aurora_pg_proxy_queries_total', { listener: 'main', mode: 'dsql' })).toBe(1);
  });

  /** A listener's observer, and readers of its query count's labels and duration buckets. */
  function queryMetrics() {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('main', 'dsql');
    const lm = { listener: 'main', mode: 'dsql' };
    const bucket = (le: number) =>
      sample(m.registry, 'aurora_pg_proxy_query_duration_seconds', { ...lm, le }, 'aurora_pg_proxy_query_duration_seconds_bucket');
    return { m, obs, lm, bucket };
  }

  it('counts queries and places durations in millisecond-to-minute buckets', async () => {
    const { m, obs, lm, bucket } = queryMetrics();
    obs.queryFinished(0.0005);
    obs.queryFinished(0.004);
    obs.queryFinished(45);
    expect(await sample(m.registry, 'aurora_pg_proxy_queries_total', lm)).toBe(3);
    expect(await bucket(0.001)).toBe(1);
    expect(await bucket(0.005)).toBe(2);
    expect(await bucket(30)).toBe(2);
    expect(await bucket(60)).toBe(3);
  });

  it('counts a batch of finished queries as the same number of single ones', async () => {
    const { m, obs, lm, bucket } = queryMetrics();
    obs.queriesFinished(new Float64Array([0.0005, 0.004, 45]));
    obs.queriesFinished(new Float64Array(0));
    obs.queryFinished(0.002);
    expect(await sample(m.registry, 'aurora_pg_proxy_queries_total', lm)).toBe(4);
    expect(await sample(m.registry, 'aurora_pg_proxy_query_duration_seconds', lm, 'aurora_pg_proxy_query_duration_seconds_count')).toBe(4);
    expect(await bucket(0.001)).toBe(1);
    expect(await bucket(0.005)).toBe(3);
    expect(await bucket(60)).toBe(4);
  });

  it('observes upstream connect time by result', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('main', 'dsql');
    obs.upstreamConnected('success', 0.08);
    obs.upstreamConnected('success', 0.12);
    obs.upstreamConnected('failure', 3);
    const count = (result: string) =>
      sample(
        m.registry,
        'aurora_pg_proxy_upstream_connect_duration_seconds',
        { listener: 'main', result },
        'aurora_pg_proxy_upstream_connect_duration_seconds_count',
      );
    expect(await count('success')).toBe(2);
    expect(await count('failure')).toBe(1);
  });

  it('counts token generations by result', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('main', 'dsql');
    obs.generated('success', 0.01);
    obs.generated('success', 0.02);
    obs.generated('failure', 1);
    expect(await sample(m.registry, 'aurora_pg_proxy_token_generations_total', { listener: 'main', result: 'success' })).toBe(2);
    expect(await sample(m.registry, 'aurora_pg_proxy_token_generations_total', { listener: 'main', result: 'failure' })).toBe(1);
  });

  it('reads the token expiry at scrape time', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    let remaining: number | undefined = 840;
    let reads = 0;
    m.registerTokenExpiry('main', () => {
      reads++;
      return remaining;
    });
    expect(reads).toBe(0);
    expect(await sample(m.registry, 'aurora_pg_proxy_token_expiry_seconds', { listener: 'main' })).toBe(840);
    remaining = 120;
    expect(await sample(m.registry, 'aurora_pg_proxy_token_expiry_seconds', { listener: 'main' })).toBe(120);
    remaining = undefined; // no token cached any more: no series, rather than a stale number
    expect(await sample(m.registry, 'aurora_pg_proxy_token_expiry_seconds', { listener: 'main' })).toBeUndefined();
    expect(reads).toBe(3);
  });

  it('survives a failing expiry reader and can unregister one', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    m.registerTokenExpiry('broken', () => {
      throw new Error('boom');
    });
    const unregister = m.registerTokenExpiry('main', () => 300);
    const text = await m.registry.metrics();
    expect(text).toContain('aurora_pg_proxy_token_expiry_seconds{listener="main"} 300');
    expect(text).not.toContain('listener="broken"');
    unregister();
    expect(await sample(m.registry, 'aurora_pg_proxy_token_expiry_seconds', { listener: 'main' })).toBeUndefined();
  });
});

describe('ListenerMetrics: Data API', () => {
  it('counts calls by operation and outcome and times them by operation', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('api', 'data-api');
    obs.dataApiCall('ExecuteStatement', 'ok', 0.05);
    obs.dataApiCall('ExecuteStatement', 'ok', 0.07);
    obs.dataApiCall('ExecuteStatement', 'throttled', 0.2);
    obs.dataApiCall('BeginTransaction', 'ok', 0.03);
    const calls = (operation: string, outcome: string) =>
      sample(m.registry, 'aurora_pg_proxy_data_api_calls_total', { listener: 'api', operation, outcome });
    expect(await calls('ExecuteStatement', 'ok')).toBe(2);
    expect(await calls('ExecuteStatement', 'throttled')).toBe(1);
    expect(await calls('BeginTransaction', 'ok')).toBe(1);
    expect(
      await sample(
        m.registry,
        'aurora_pg_proxy_data_api_call_duration_seconds',
        { listener: 'api', operation: 'ExecuteStatement' },
        'aurora_pg_proxy_data_api_call_duration_seconds_count',
      ),
    ).toBe(3);
  });

  it('counts broken connections by operation, code and whether the call was retried', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('api', 'data-api');
    obs.dataApiTransportFailure('ExecuteStatement', { code: 'ECONNRESET', delivery: 'maybe-sent' }, true);
    obs.dataApiTransportFailure('ExecuteStatement', { code: 'ECONNRESET', delivery: 'maybe-sent' }, true);
    obs.dataApiTransportFailure('CommitTransaction', { code: 'ECONNRESET', delivery: 'maybe-sent' }, false);
    const failures = (operation: string, retried: string) =>
      sample(m.registry, 'aurora_pg_proxy_data_api_transport_failures_total', { listener: 'api', operation, code: 'ECONNRESET', retried });
    expect(await failures('ExecuteStatement', 'true')).toBe(2);
    expect(await failures('CommitTransaction', 'false')).toBe(1);
    expect(await failures('CommitTransaction', 'true')).toBeUndefined();
  });

  it('counts errors by SQLSTATE class', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('api', 'data-api');
    obs.queryError('42P01');
    obs.queryError('42883');
    obs.queryError('40001');
    obs.queryError('');
    const errors = (sqlstate_class: string) =>
      sample(m.registry, 'aurora_pg_proxy_errors_total', { listener: 'api', mode: 'data-api', sqlstate_class });
    expect(await errors('42')).toBe(2);
    expect(await errors('40')).toBe(1);
    expect(await errors('unknown')).toBe(1);
  });

  it('tracks open transactions without going below zero', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('api', 'data-api');
    const open = () => sample(m.registry, 'aurora_pg_proxy_transactions_open', { listener: 'api' });
    obs.transactionOpened();
    obs.transactionOpened();
    expect(await open()).toBe(2);
    obs.transactionClosed();
    obs.transactionClosed();
    obs.transactionClosed();
    expect(await open()).toBe(0);
    obs.transactionOpened();
    expect(await open()).toBe(1);
  });
});

describe('labels', () => {
  it('uses only low-cardinality label names, and no session details as values', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('main', 'dsql');
    obs.connectionOpened('main');
    obs.connectionClosed('main', 'ok', 1, { bytesFromClient: 1, bytesToClient: 2, queries: 3 });
    obs.upstreamConnected('success', 0.1);
    obs.generated('success', 0.01);
    obs.bytes('client_to_upstream', 5);
    obs.queryFinished(0.01);
    obs.dataApiCall('ExecuteStatement', 'ok', 0.1);
    obs.queryError('23505');
    obs.transactionOpened();
    m.registerTokenExpiry('main', () => 60);

    const allowed = new Set(['listener', 'mode', 'outcome', 'operation', 'result', 'direction', 'sqlstate_class', 'version', 'le']);
    const seen = new Set<string>();
    for (const family of await m.registry.getMetricsAsJSON()) {
      for (const v of family.values as Array<{ labels: Record<string, unknown> }>) {
        for (const name of Object.keys(v.labels)) seen.add(name);
      }
    }
    expect([...seen].filter((n) => !allowed.has(n))).toEqual([]);
    expect(seen).toContain('sqlstate_class');
    expect(seen).toContain('direction');
  });
});

describe('sqlstateClass', () => {
  it('keeps the two-character class and folds anything else', () => {
    expect(sqlstateClass('42P01')).toBe('42');
    expect(sqlstateClass('xx000')).toBe('XX');
    expect(sqlstateClass('4')).toBe('unknown');
    expect(sqlstateClass('"; DROP')).toBe('unknown');
  });
});
