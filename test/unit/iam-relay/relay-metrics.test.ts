import { describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import { createProxyMetrics } from '../../../src/metrics/index.js';
import { MetricBatcher } from '../../../src/iam-relay/metric-batcher.js';

async function value(registry: Registry, metric: string, labels: Record<string, string>, sampleName = metric): Promise<number | undefined> {
  const family = (await registry.getMetricsAsJSON()).find((m) => m.name === metric);
  const values = (family?.values ?? []) as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  const wanted = Object.entries(labels);
  return values.find(
    (v) =>
      (v.metricName ?? metric) === sampleName &&
      Object.keys(v.labels).length === wanted.length &&
      wanted.every(([k, x]) => String(v.labels[k]) === x),
  )?.value;
}

describe('relay metrics of the IAM relay modes', () => {
  it('counts paced logins by outcome and observes their waits', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('main', 'rds-iam');
    obs.loginPaced('admitted', 0.2);
    obs.loginPaced('admitted', 0.3);
    obs.loginPaced('timeout', 10);
    expect(await value(m.registry, 'aurora_pg_proxy_login_pacing_waits_total', { listener: 'main', outcome: 'admitted' })).toBe(2);
    expect(await value(m.registry, 'aurora_pg_proxy_login_pacing_waits_total', { listener: 'main', outcome: 'timeout' })).toBe(1);
    expect(
      await value(m.registry, 'aurora_pg_proxy_login_pacing_wait_seconds', { listener: 'main' }, 'aurora_pg_proxy_login_pacing_wait_seconds_count'),
    ).toBe(3);
  });

  it('counts OCC retries and their outcomes', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const obs = m.forListener('main', 'dsql');
    obs.occRetry(1);
    obs.occRetry(2);
    obs.occOutcome('succeeded');
    expect(await value(m.registry, 'aurora_pg_proxy_occ_retries_total', { listener: 'main' })).toBe(2);
    expect(await value(m.registry, 'aurora_pg_proxy_occ_retry_outcomes_total', { listener: 'main', outcome: 'succeeded' })).toBe(1);
    expect(await value(m.registry, 'aurora_pg_proxy_occ_retry_outcomes_total', { listener: 'main', outcome: 'exhausted' })).toBeUndefined();
  });

  it('hands batched byte counts to the counter at scrape time', async () => {
    const m = createProxyMetrics({ collectDefault: false });
    const batcher = new MetricBatcher(m.forListener('main', 'dsql'));
    batcher.bytesIn(100);
    batcher.bytesIn(23);
    batcher.bytesOut(4096);
    expect(await value(m.registry, 'aurora_pg_proxy_bytes_total', { listener: 'main', direction: 'client_to_upstream' })).toBe(123);
    expect(await value(m.registry, 'aurora_pg_proxy_bytes_total', { listener: 'main', direction: 'upstream_to_client' })).toBe(4096);
  });
});
