// The metrics the IAM relay modes (dsql, rds-iam) add to a listener's: upstream logins, login
// pacing, token signing and warm connections.
import type { Histogram, Counter, Gauge } from 'prom-client';
import type { MetricSet } from '../metrics/proxy-metrics.js';
import { cached } from '../metrics/cached-child.js';
import type { IamRelayObserver } from './backend.js';

export type IamRelayMetrics = Required<
  Pick<IamRelayObserver, 'upstreamConnected' | 'relayStarted' | 'doorAnswered' | 'doorHeld' | 'generated' | 'loginPaced' | 'warmIdle' | 'warmRequest' | 'warmAdded' | 'warmClosed'>
>;

export function iamRelayMetrics(set: MetricSet, listener: string): IamRelayMetrics {
  const connectByResult = new Map<string, ReturnType<Histogram['labels']>>();
  const tokensByResult = new Map<string, ReturnType<Counter['labels']>>();
  const tokenSeconds = set.tokenGenerationDuration.labels(listener);
  const pacingByOutcome = new Map<string, ReturnType<Counter['labels']>>();
  // Created on first use: every listener gets these methods, whatever its mode.
  let pacingSeconds: ReturnType<Histogram['labels']> | undefined;
  let warmIdle: ReturnType<Gauge['labels']> | undefined;
  const warmRequests = new Map<string, ReturnType<Counter['labels']>>();
  const warmAdded = new Map<string, ReturnType<Counter['labels']>>();
  const warmClosed = new Map<string, ReturnType<Counter['labels']>>();
  const relaysByEngine = new Map<string, ReturnType<Counter['labels']>>();
  let doorAnswers: ReturnType<Counter['labels']> | undefined;
  const doorHolds = new Map<string, ReturnType<Counter['labels']>>();
  const doorHoldSeconds = new Map<string, ReturnType<Counter['labels']>>();
  return {
    upstreamConnected: (result, seconds) => {
      cached(connectByResult, result, () => set.upstreamConnectDuration.labels(listener, result)).observe(seconds);
    },
    relayStarted: (engine) => cached(relaysByEngine, engine, () => set.relaySessions.labels(listener, engine)).inc(),
    doorAnswered: () => (doorAnswers ??= set.doorAnswers.labels(listener)).inc(),
    doorHeld: (outcome, count, seconds) => {
      cached(doorHolds, outcome, () => set.doorHolds.labels(listener, outcome)).inc(count);
      cached(doorHoldSeconds, outcome, () => set.doorHoldSeconds.labels(listener, outcome)).inc(seconds);
    },
    generated: (result, seconds) => {
      cached(tokensByResult, result, () => set.tokenGenerations.labels(listener, result)).inc();
      tokenSeconds.observe(seconds);
    },
    loginPaced: (outcome, seconds) => {
      cached(pacingByOutcome, outcome, () => set.loginPacingWaits.labels(listener, outcome)).inc();
      (pacingSeconds ??= set.loginPacingWaitDuration.labels(listener)).observe(seconds);
    },
    warmIdle: (count) => (warmIdle ??= set.warmConnectionsIdle.labels(listener)).set(count),
    warmRequest: (result) => cached(warmRequests, result, () => set.warmConnectionRequests.labels(listener, result)).inc(),
    warmAdded: (source) => cached(warmAdded, source, () => set.warmConnectionsAdded.labels(listener, source)).inc(),
    warmClosed: (outcome, reason) =>
      cached(warmClosed, `${outcome}/${reason}`, () => set.warmConnectionsClosed.labels(listener, outcome, reason)).inc(),
  };
}
