// The proxy's Prometheus metrics, in a registry of their own so that tests (and several proxies in
// one process) never share state through prom-client's global registry. Labels are limited to
// values the code chooses (listener names, modes, outcomes, operations, SQLSTATE classes): never
// user names, client addresses, SQL text or tokens.
import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createListenerMetrics, type ListenerMetrics } from './listener-metrics.js';
import { flushRelayByteCounts } from '../iam-relay/metric-batcher.js';

export const METRIC_PREFIX = 'aurora_pg_proxy_';

export interface ProxyMetricsOptions {
  /** Node process metrics (CPU, memory, event loop, GC) with the proxy's prefix. Default true. */
  collectDefault?: boolean;
  /** The version reported by aurora_pg_proxy_build_info; defaults to package.json's. */
  version?: string;
}

/** Seconds until a listener's cached token expires, or undefined when no token is cached. */
export type TokenExpiryReader = () => number | undefined;

export interface ProxyMetrics {
  readonly registry: Registry;
  /** The observer for one listener; the same object for the same listener and mode. */
  forListener(listener: string, mode: string): ListenerMetrics;
  /** Reads the listener's token expiry at scrape time. Returns a function that unregisters it. */
  registerTokenExpiry(listener: string, read: TokenExpiryReader): () => void;
}

/** Every metric object, shared by the per-listener observers. */
export interface MetricSet {
  connectionsOpen: Gauge<'listener' | 'mode'>;
  connectionsTotal: Counter<'listener' | 'mode' | 'outcome'>;
  sessionDuration: Histogram<'listener' | 'mode'>;
  upstreamConnectDuration: Histogram<'listener' | 'result'>;
  tokenGenerations: Counter<'listener' | 'result'>;
  tokenGenerationDuration: Histogram<'listener'>;
  tokenExpiry: Gauge<'listener'>;
  bytes: Counter<'listener' | 'direction'>;
  queries: Counter<'listener' | 'mode'>;
  queryDuration: Histogram<'listener' | 'mode'>;
  dataApiCalls: Counter<'listener' | 'operation' | 'outcome'>;
  dataApiCallDuration: Histogram<'listener' | 'operation'>;
  dataApiTransportFailures: Counter<'listener' | 'operation' | 'code' | 'retried'>;
  errors: Counter<'listener' | 'mode' | 'sqlstate_class'>;
  transactionsOpen: Gauge<'listener'>;
  loginPacingWaits: Counter<'listener' | 'outcome'>;
  loginPacingWaitDuration: Histogram<'listener'>;
  occRetries: Counter<'listener'>;
  relaySessions: Counter<'listener' | 'engine'>;
  doorAnswers: Counter<'listener'>;
  doorHolds: Counter<'listener' | 'outcome'>;
  doorHoldSeconds: Counter<'listener' | 'outcome'>;
  occRetryOutcomes: Counter<'listener' | 'outcome'>;
  warmConnectionsIdle: Gauge<'listener'>;
  warmConnectionRequests: Counter<'listener' | 'result'>;
  warmConnectionsAdded: Counter<'listener' | 'source'>;
  warmConnectionsClosed: Counter<'listener' | 'outcome' | 'reason'>;
  buildInfo: Gauge<'version'>;
}

// A client session lasts from a second (a script) to DSQL's 60-minute cap and beyond (Data API).
export const SESSION_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
export const UPSTREAM_CONNECT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
export const TOKEN_GENERATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const QUERY_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
// The Data API gives up on a call after 45 seconds.
export const DATA_API_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 45];
// A paced login waits at most its --connect-timeout.
export const LOGIN_WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const EVENT_LOOP_SAMPLE_MS = 100;

export function createProxyMetrics(opts: ProxyMetricsOptions = {}): ProxyMetrics {
  const registry = new Registry();
  // The event loop's delay is sampled by a timer; at prom-client's default 10 ms it wakes an idle
  // proxy (a sidecar waiting for its next client) 100 times a second. Every 100 ms still shows
  // any stall long enough to matter to a client.
  if (opts.collectDefault ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

  const tokenExpiryReaders = new Map<string, TokenExpiryReader>();
  const set = defineMetrics(registry, tokenExpiryReaders);
  set.buildInfo.labels(opts.version ?? packageVersion()).set(1);

  const observers = new Map<string, ListenerMetrics>();
  return {
    registry,
    forListener(listener, mode) {
      const key = `${listener}\u0000${mode}`;
      let observer = observers.get(key);
      if (!observer) {
        observer = createListenerMetrics(set, listener, mode);
        observers.set(key, observer);
      }
      return observer;
    },
    registerTokenExpiry(listener, read) {
      tokenExpiryReaders.set(listener, read);
      return () => {
        if (tokenExpiryReaders.get(listener) !== read) return;
        tokenExpiryReaders.delete(listener);
        set.tokenExpiry.remove(listener);
      };
    },
  };
}

function defineMetrics(registry: Registry, tokenExpiryReaders: Map<string, TokenExpiryReader>): MetricSet {
  const registers = [registry];
  return {
    connectionsOpen: new Gauge({
      name: `${METRIC_PREFIX}client_connections_open`,
      help: 'Client connections currently open, from accept to close.',
      labelNames: ['listener', 'mode'],
      registers,
    }),
    connectionsTotal: new Counter({
      name: `${METRIC_PREFIX}client_connections_total`,
      help: 'Client connections closed, by how they ended.',
      labelNames: ['listener', 'mode', 'outcome'],
      registers,
    }),
    sessionDuration: new Histogram({
      name: `${METRIC_PREFIX}session_duration_seconds`,
      help: 'Life of a client connection, from accept to close (cancel requests excluded).',
      labelNames: ['listener', 'mode'],
      buckets: SESSION_DURATION_BUCKETS,
      registers,
    }),
    upstreamConnectDuration: new Histogram({
      name: `${METRIC_PREFIX}upstream_connect_duration_seconds`,
      help: 'Time to open an authenticated upstream connection (TCP, TLS, token, startup).',
      labelNames: ['listener', 'result'],
      buckets: UPSTREAM_CONNECT_BUCKETS,
      registers,
    }),
    tokenGenerations: new Counter({
      name: `${METRIC_PREFIX}token_generations_total`,
      help: 'IAM authentication tokens signed, by result.',
      labelNames: ['listener', 'result'],
      registers,
    }),
    tokenGenerationDuration: new Histogram({
      name: `${METRIC_PREFIX}token_generation_duration_seconds`,
      help: 'Time to resolve credentials and sign an IAM authentication token.',
      labelNames: ['listener'],
      buckets: TOKEN_GENERATION_BUCKETS,
      registers,
    }),
    tokenExpiry: new Gauge({
      name: `${METRIC_PREFIX}token_expiry_seconds`,
      help: 'Seconds until the cached IAM authentication token expires.',
      labelNames: ['listener'],
      registers,
      // With --workers, each worker caches its own token: the soonest expiry is the one to watch.
      aggregator: 'min',
      collect() {
        for (const [listener, read] of tokenExpiryReaders) {
          let seconds: number | undefined;
          try {
            seconds = read();
          } catch {
            seconds = undefined; // a failing reader must not break the whole scrape
          }
          if (seconds === undefined || !Number.isFinite(seconds)) this.remove(listener);
          else this.labels(listener).set(seconds);
        }
      },
    }),
    bytes: new Counter({
      name: `${METRIC_PREFIX}bytes_total`,
      help: 'Bytes relayed between clients and the upstream.',
      labelNames: ['listener', 'direction'],
      registers,
      // The relay hands its byte counts over in batches (iam-relay/metric-batcher.ts); a scrape takes what is pending.
      collect: flushRelayByteCounts,
    }),
    queries: new Counter({
      name: `${METRIC_PREFIX}queries_total`,
      help: 'Query round trips completed (simple Query or extended-protocol Sync).',
      labelNames: ['listener', 'mode'],
      registers,
    }),
    queryDuration: new Histogram({
      name: `${METRIC_PREFIX}query_duration_seconds`,
      help: 'Time from a Query or Sync to its ReadyForQuery.',
      labelNames: ['listener', 'mode'],
      buckets: QUERY_DURATION_BUCKETS,
      registers,
    }),
    dataApiCalls: new Counter({
      name: `${METRIC_PREFIX}data_api_calls_total`,
      help: 'RDS Data API calls, by operation and outcome.',
      labelNames: ['listener', 'operation', 'outcome'],
      registers,
    }),
    dataApiTransportFailures: new Counter({
      name: `${METRIC_PREFIX}data_api_transport_failures_total`,
      help: 'Broken or refused connections to the RDS Data API, by operation, error code and whether the call was retried.',
      labelNames: ['listener', 'operation', 'code', 'retried'],
      registers,
    }),
    dataApiCallDuration: new Histogram({
      name: `${METRIC_PREFIX}data_api_call_duration_seconds`,
      help: 'Duration of RDS Data API calls, retries included.',
      labelNames: ['listener', 'operation'],
      buckets: DATA_API_CALL_BUCKETS,
      registers,
    }),
    errors: new Counter({
      name: `${METRIC_PREFIX}errors_total`,
      help: 'Errors returned to clients, by SQLSTATE class (its first two characters).',
      labelNames: ['listener', 'mode', 'sqlstate_class'],
      registers,
    }),
    transactionsOpen: new Gauge({
      name: `${METRIC_PREFIX}transactions_open`,
      help: 'Transactions currently open through the proxy.',
      labelNames: ['listener'],
      registers,
    }),
    loginPacingWaits: new Counter({
      name: `${METRIC_PREFIX}login_pacing_waits_total`,
      help: 'Upstream logins that waited for a token of the --max-connect-rate bucket, by outcome (admitted, timeout).',
      labelNames: ['listener', 'outcome'],
      registers,
    }),
    loginPacingWaitDuration: new Histogram({
      name: `${METRIC_PREFIX}login_pacing_wait_seconds`,
      help: 'How long upstream logins waited for the --max-connect-rate bucket (only those that waited).',
      labelNames: ['listener'],
      buckets: LOGIN_WAIT_BUCKETS,
      registers,
    }),
    relaySessions: new Counter({
      name: `${METRIC_PREFIX}relay_sessions_total`,
      help: 'Client sessions relayed to the cluster or database (dsql, rds-iam), by the relay that moved their bytes: native (C: clients on plain TCP or on TLS after SSLRequest) or node (JavaScript).',
      labelNames: ['listener', 'engine'],
      registers,
    }),
    doorAnswers: new Counter({
      name: `${METRIC_PREFIX}door_answers_total`,
      help: 'Logins the native front door answered from an idle warm connection (dsql, rds-iam with --warm-connections and trust), before any JavaScript but the admission ran.',
      labelNames: ['listener'],
      registers,
    }),
    doorHolds: new Counter({
      name: `${METRIC_PREFIX}door_holds_total`,
      help: 'Clients the native front door held because their last connection was being reset (--reuse-connections), by how the hold ended: answered (from that connection), login (its reset failed or outlasted the wait: the usual login), left (the client went first).',
      labelNames: ['listener', 'outcome'],
      registers,
    }),
    doorHoldSeconds: new Counter({
      name: `${METRIC_PREFIX}door_hold_seconds_total`,
      help: 'Time the clients counted by door_holds_total waited at the door, added up, by the same outcome: divided by the count, the mean wait.',
      labelNames: ['listener', 'outcome'],
      registers,
    }),
    occRetries: new Counter({
      name: `${METRIC_PREFIX}occ_retries_total`,
      help: 'Implicit transactions sent again after DSQL failed them with an optimistic-concurrency conflict (40001 OC000/OC001).',
      labelNames: ['listener'],
      registers,
    }),
    occRetryOutcomes: new Counter({
      name: `${METRIC_PREFIX}occ_retry_outcomes_total`,
      help: 'Retried implicit transactions by final outcome: succeeded, exhausted (the client got the 40001), failed_otherwise.',
      labelNames: ['listener', 'outcome'],
      registers,
    }),
    warmConnectionsIdle: new Gauge({
      name: `${METRIC_PREFIX}warm_connections_idle`,
      help: 'Upstream connections kept logged in and unused for new clients (--warm-connections), all keys together.',
      labelNames: ['listener'],
      registers,
    }),
    warmConnectionRequests: new Counter({
      name: `${METRIC_PREFIX}warm_connection_requests_total`,
      help: 'Client sessions by whether a warm connection was ready for them (hit) or they logged in themselves (miss).',
      labelNames: ['listener', 'result'],
      registers,
    }),
    warmConnectionsAdded: new Counter({
      name: `${METRIC_PREFIX}warm_connections_added_total`,
      help: 'Connections that joined the warm set, by source: login (opened in the background), reuse (a finished session, after the reset query) or untouched (a session whose client left without using it, such as a pg_isready probe).',
      labelNames: ['listener', 'source'],
      registers,
    }),
    warmConnectionsClosed: new Counter({
      name: `${METRIC_PREFIX}warm_connections_closed_total`,
      help: 'Warm or returned connections closed unused: retired (max_age, key_idle, surplus, shutdown) or discarded (server_closed, server_message, reset_failed, named_statements).',
      labelNames: ['listener', 'outcome', 'reason'],
      registers,
    }),
    buildInfo: new Gauge({
      name: `${METRIC_PREFIX}build_info`,
      help: 'Always 1; the version label says which build is running.',
      labelNames: ['version'],
      registers,
      aggregator: 'first',
    }),
  };
}

function packageVersion(): string {
  try {
    // Same relative path from src/metrics and dist/metrics.
    const pkg = createRequire(import.meta.url)('../../package.json') as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
