// The metrics the dsql mode adds to a listener's: those of the IAM relay, and the
// optimistic-concurrency retries (--occ-retries) only DSQL has.
import type { Counter } from 'prom-client';
import type { MetricSet } from '../metrics/proxy-metrics.js';
import { cached } from '../metrics/cached-child.js';
import { iamRelayMetrics, type IamRelayMetrics } from '../iam-relay/metrics.js';
import type { OccObserver } from './occ-retry.js';

export type DsqlMetrics = IamRelayMetrics & Required<OccObserver>;

export function dsqlMetrics(set: MetricSet, listener: string): DsqlMetrics {
  // Created on first use: every listener gets these methods, whatever its mode.
  let retries: ReturnType<Counter['labels']> | undefined;
  const outcomes = new Map<string, ReturnType<Counter['labels']>>();
  return {
    ...iamRelayMetrics(set, listener),
    occRetry: () => (retries ??= set.occRetries.labels(listener)).inc(),
    occOutcome: (outcome) => cached(outcomes, outcome, () => set.occRetryOutcomes.labels(listener, outcome)).inc(),
  };
}
