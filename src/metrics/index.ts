// Prometheus metrics and the admin HTTP server (/metrics, /startup, /liveness, /readiness).
export {
  createProxyMetrics,
  METRIC_PREFIX,
  type ProxyMetrics,
  type ProxyMetricsOptions,
  type TokenExpiryReader,
} from './proxy-metrics.js';
export { createListenerMetrics, sqlstateClass, type ListenerMetrics, type ByteDirection, type CallResult } from './listener-metrics.js';
export {
  startAdminServer,
  DEFAULT_READINESS_CACHE_MS,
  DEFAULT_READINESS_TIMEOUT_MS,
  type AdminServer,
  type AdminServerOptions,
  type AdminLog,
} from './admin-server.js';
export { ReadinessProbe, safeReason, type ReadinessResult, type ReadinessProbeOptions } from './readiness.js';
