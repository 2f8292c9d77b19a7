// The metrics the data-api mode adds to a listener's: every Data API call, by operation.
import type { Counter, Histogram } from 'prom-client';
import type { MetricSet } from '../metrics/proxy-metrics.js';
import { cached } from '../metrics/cached-child.js';
import type { DataApiCallObserver } from './client/data-api-client.js';

export type DataApiMetrics = Required<DataApiCallObserver>;

export function dataApiMetrics(set: MetricSet, listener: string): DataApiMetrics {
  const callsByKey = new Map<string, ReturnType<Counter['labels']>>();
  const callSecondsByOperation = new Map<string, ReturnType<Histogram['labels']>>();
  return {
    dataApiCall: (operation, outcome, seconds) => {
      cached(callsByKey, `${operation}\u0000${outcome}`, () => set.dataApiCalls.labels(listener, operation, outcome)).inc();
      cached(callSecondsByOperation, operation, () => set.dataApiCallDuration.labels(listener, operation)).observe(seconds);
    },
    dataApiTransportFailure: (operation, failure, retried) => {
      set.dataApiTransportFailures.labels(listener, operation, failure.code, String(retried)).inc();
    },
  };
}
