// Starts every configured listener, reports where each one listens, and shuts down cleanly on
// SIGTERM/SIGINT: stop accepting, let sessions finish for the configured delay, end the rest
// with 57P01, exit 0.
import { DEFAULTS, type ProxyConfig } from '../config/types.js';
import { Listener } from '../server/listener.js';
import { CancelRegistry } from '../server/cancel-registry.js';
import { loadServerTls } from '../server/tls-context.js';
import { createLogger, type Logger } from '../util/logger.js';
import { createBackend, tokenExpiryOf } from './backends.js';
import type { Backend } from '../server/types.js';
import { createProxyMetrics, startAdminServer, type ProxyMetrics } from '../metrics/index.js';

export interface RunningProxy {
  listeners: Listener[];
  backends: Backend[];
  log: Logger;
  metrics: ProxyMetrics;
  /** Port of the metrics and health server, when one runs. */
  adminPort?: number;
  shutdown(graceSeconds?: number): Promise<void>;
}

export async function startProxy(
  config: ProxyConfig,
  log: Logger = createLogger(config.log),
  /** A worker of --workers passes a registry that routes other workers' keys (src/cluster/). */
  cancels: CancelRegistry = new CancelRegistry(),
): Promise<RunningProxy> {
  const listeners: Listener[] = [];
  const backends: Backend[] = [];
  const metrics = createProxyMetrics();
  let started = false;
  let admin: { port: number; close(): Promise<void> } | undefined;
  try {
    if (config.metrics) {
      admin = await startAdminServer({
        host: config.metrics.host,
        port: config.metrics.port,
        registry: metrics.registry,
        isStarted: () => started,
        checkReady: () => checkAllReady(backends),
        readinessCacheMs: (config.readinessCacheSeconds ?? DEFAULTS.readinessCacheSeconds) * 1000,
        log,
      });
      log.info({ address: `${config.metrics.host}:${admin.port}` }, `metrics and health on http://${config.metrics.host}:${admin.port}/metrics`);
    }
    for (const cfg of config.listeners) {
      const observer = withWarmLoginLog(metrics.forListener(cfg.name, cfg.mode), log, cfg.name);
      const backend = await createBackend(cfg, observer);
      backends.push(backend);
      const tokenExpiry = tokenExpiryOf(cfg, backend);
      if (tokenExpiry) metrics.registerTokenExpiry(cfg.name, tokenExpiry);
      const tls = await loadServerTls(cfg.tls, [cfg.listen.host]);
      const listener = new Listener(
        {
          name: cfg.name,
          host: cfg.listen.host,
          port: cfg.listen.port,
          auth: cfg.clientAuth,
          allowUnauthenticatedRemote: cfg.allowUnauthenticatedRemote,
          tls: tls.context,
          nativeTls: backend.nativeServerTls?.(tls.certPem, tls.keyPem) ?? null,
          requireTls: cfg.tls.require,
          maxConnections: cfg.maxConnections,
          startupTimeoutMs: cfg.startupTimeoutSeconds * 1000,
          maxMessageBytes: cfg.maxMessageBytes,
          idleTimeoutMs: cfg.idleTimeoutSeconds * 1000,
        },
        backend,
        log,
        cancels,
        observer,
      );
      const address = await listener.listen();
      listeners.push(listener);
      const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      log.info(
        {
          listener: cfg.name,
          mode: cfg.mode,
          address: `${hostForUrl}:${address.port}`,
          tls: tls.origin,
          clientAuth: cfg.clientAuth.method,
          ...(backend.relayDescription ? { relay: backend.relayDescription } : {}),
        },
        `listening on ${hostForUrl}:${address.port} (${cfg.mode})`,
      );
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close(0)));
    await admin?.close();
    throw err;
  }
  started = true;

  let stopping: Promise<void> | null = null;
  const shutdown = (graceSeconds = config.shutdown.maxSigtermDelaySeconds) => {
    stopping ??= (async () => {
      await Promise.all(listeners.map((l) => l.stopAccepting()));
      await Promise.all(listeners.map((l) => l.drain(graceSeconds * 1000)));
      await Promise.all(backends.map((b) => b.close?.()));
      // Closing the backends ends what still waited on the upstream; let those sessions log.
      await Promise.all(listeners.map((l) => l.settled(2000)));
      await admin?.close();
    })();
    return stopping;
  };
  return { listeners, backends, log, metrics, adminPort: admin?.port, shutdown };
}

async function checkAllReady(backends: Backend[]): Promise<void> {
  if (backends.length === 0) throw new Error('starting');
  await Promise.all(backends.map((b) => b.checkReady?.()));
}

/**
 * Wires SIGTERM and SIGINT to a clean shutdown and exit 0; a second signal exits at once. Returns
 * the same handler, for a shutdown asked for otherwise (a --workers primary's message).
 */
export function exitOnSignals(
  proxy: RunningProxy,
  afterShutdown: () => Promise<void> = async () => {},
  signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): (signal: NodeJS.Signals) => void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      proxy.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    const active = proxy.listeners.reduce((n, l) => n + l.activeSessions, 0);
    // shutdown() closes the listening sockets before its first await: the line below is true
    // when it is written.
    const stopped = proxy.shutdown();
    proxy.log.info({ signal, activeSessions: active }, 'shutting down: no longer accepting connections');
    void stopped.then(afterShutdown).then(
      () => {
        proxy.log.info('shutdown complete');
        process.exit(0);
      },
      (err) => {
        proxy.log.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return onSignal;
}

/**
 * The listener's observer, also logging a failed background login of a warm connection (the
 * clients that then miss log in themselves and see the error; the operator should see it too).
 */
function withWarmLoginLog<T extends object>(base: T, log: Logger, listener: string): T {
  const observer = Object.create(base) as T & { warmOpenFailed(err: unknown, retryInMs: number): void };
  observer.warmOpenFailed = (err: unknown, retryInMs: number) => {
    const code = typeof (err as { sqlstate?: unknown }).sqlstate === 'string' ? (err as { sqlstate: string }).sqlstate : undefined;
    log.warn({ listener, code, retryInMs, error: err instanceof Error ? err.message : String(err) }, 'could not open a warm connection; trying again');
  };
  return observer;
}
