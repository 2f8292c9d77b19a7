// The metrics observer of one listener: the listener and its backend call these methods. The
// methods every mode shares (connections, bytes, queries, errors, transactions) are here; each
// registered mode adds its own (src/<mode>/.../metrics.ts through its descriptor). The labelled
// children are bound once, because bytes() and queryFinished() run for every network chunk and
// round trip.
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { ListenerObserver } from '../server/listener.js';
import type { RelayObserver } from '../iam-relay/relay.js';
import type { SessionCounters } from '../server/types.js';
import type { MetricSet } from './proxy-metrics.js';
import { MODES, type AllModeObservers } from '../modes/registry.js';
import { cached } from './cached-child.js';

type CounterChild = ReturnType<Counter['labels']>;
type GaugeChild = ReturnType<Gauge['labels']>;
type HistogramChild = ReturnType<Histogram['labels']>;

export type ByteDirection = 'client_to_upstream' | 'upstream_to_client';
export type CallResult = 'success' | 'failure';

/** The SQLSTATE class label: two characters of [0-9A-Z], anything else is `unknown`. */
export function sqlstateClass(sqlstate: string): string {
  const cls = String(sqlstate).slice(0, 2).toUpperCase();
  return /^[0-9A-Z]{2}$/.test(cls) ? cls : 'unknown';
}

class SharedListenerMetrics implements Required<ListenerObserver>, Required<RelayObserver> {
  private readonly open: GaugeChild;
  private readonly sessionSeconds: HistogramChild;
  private readonly bytesIn: CounterChild;
  private readonly bytesOut: CounterChild;
  private readonly queryCount: CounterChild;
  private readonly querySeconds: HistogramChild;
  private readonly transactions: GaugeChild;
  private openTransactions = 0;
  private readonly closedByOutcome = new Map<string, CounterChild>();
  private readonly errorsByClass = new Map<string, CounterChild>();

  constructor(
    private readonly set: MetricSet,
    readonly listener: string,
    readonly mode: string,
  ) {
    this.open = set.connectionsOpen.labels(listener, mode);
    this.sessionSeconds = set.sessionDuration.labels(listener, mode);
    this.bytesIn = set.bytes.labels(listener, 'client_to_upstream');
    this.bytesOut = set.bytes.labels(listener, 'upstream_to_client');
    this.queryCount = set.queries.labels(listener, mode);
    this.querySeconds = set.queryDuration.labels(listener, mode);
    this.transactions = set.transactionsOpen.labels(listener);
    // Zero-valued series from the start, so rate() and alerts see the first increment.
    this.open.set(0);
    this.bytesIn.inc(0);
    this.bytesOut.inc(0);
    this.queryCount.inc(0);
    this.transactions.set(0);
  }

  // Arrow properties, so that single methods can be handed around as callbacks without binding.

  connectionOpened = (listener: string): void => {
    if (listener === this.listener) this.open.inc();
    else this.set.connectionsOpen.labels(listener, this.mode).inc();
  };

  connectionClosed = (listener: string, outcome: string, seconds: number, _counters: SessionCounters): void => {
    // Bytes and queries in `counters` were already counted as they happened (bytes(), queryFinished()).
    const name = listener;
    if (name === this.listener) {
      this.open.dec();
      cached(this.closedByOutcome, outcome, () => this.set.connectionsTotal.labels(name, this.mode, outcome)).inc();
      // A cancel request is a separate short connection, not a session: it would drag the
      // session duration towards zero.
      if (outcome !== 'cancel_request') this.sessionSeconds.observe(seconds);
      return;
    }
    this.set.connectionsOpen.labels(name, this.mode).dec();
    this.set.connectionsTotal.labels(name, this.mode, outcome).inc();
    if (outcome !== 'cancel_request') this.set.sessionDuration.labels(name, this.mode).observe(seconds);
  };

  queryFinished = (seconds: number): void => {
    this.queryCount.inc();
    this.querySeconds.observe(seconds);
  };

  /** prom-client hashes the labels on every call: a batch pays that once for its count. */
  queriesFinished = (durations: ArrayLike<number>): void => {
    if (durations.length === 0) return;
    this.queryCount.inc(durations.length);
    for (let i = 0; i < durations.length; i++) this.querySeconds.observe(durations[i]);
  };

  bytes = (direction: ByteDirection, n: number): void => {
    if (n <= 0) return;
    (direction === 'client_to_upstream' ? this.bytesIn : this.bytesOut).inc(n);
  };

  queryError = (sqlstate: string): void => {
    const cls = sqlstateClass(sqlstate);
    cached(this.errorsByClass, cls, () => this.set.errors.labels(this.listener, this.mode, cls)).inc();
  };

  transactionOpened = (): void => {
    this.openTransactions++;
    this.transactions.set(this.openTransactions);
  };

  /** A close without an open (a caller's bookkeeping slip) leaves the gauge at zero, not below. */
  transactionClosed = (): void => {
    if (this.openTransactions === 0) return;
    this.openTransactions--;
    this.transactions.set(this.openTransactions);
  };
}

/**
 * Every registered mode's methods, whatever the listener's mode: a backend calls only its own,
 * and a series appears only once something is counted in it.
 */
export type ListenerMetrics = SharedListenerMetrics & Required<AllModeObservers>;

export function createListenerMetrics(set: MetricSet, listener: string, mode: string): ListenerMetrics {
  const metrics = new SharedListenerMetrics(set, listener, mode);
  for (const m of MODES) Object.assign(metrics, m.metrics(set, listener));
  return metrics as ListenerMetrics;
}
