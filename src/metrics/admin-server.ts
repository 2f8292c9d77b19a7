// The admin HTTP server: /metrics for Prometheus, and the /startup, /liveness and /readiness
// probes that Cloud SQL Auth Proxy users already point Kubernetes at. Answers are plain text and
// say nothing about credentials; only GET and HEAD are served.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/logger.js';
import { ReadinessProbe } from './readiness.js';
import { runScrapeHooks } from './scrape-hooks.js';

export type AdminLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface AdminServerOptions {
  host: string;
  port: number;
  /** What /metrics serves: a registry, or the aggregate of a cluster's workers (src/cluster/). */
  registry: { metrics(): Promise<string>; readonly contentType: string };
  /** True once every listener is accepting connections. */
  isStarted: () => boolean;
  /** Resolves when the upstreams are reachable; throws with a message saying why they are not. */
  checkReady: () => Promise<void>;
  /** How long a readiness result is reused. Default 5000 ms. */
  readinessCacheMs?: number;
  /** A check still running after this long counts as not ready. Default 5000 ms. */
  readinessTimeoutMs?: number;
  log?: AdminLog;
}

export interface AdminServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export const DEFAULT_READINESS_CACHE_MS = 5000;
export const DEFAULT_READINESS_TIMEOUT_MS = 5000;

const PATHS = new Set(['/metrics', '/startup', '/liveness', '/readiness']);
const TEXT = 'text/plain; charset=utf-8';

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const log = opts.log;
  const readiness = new ReadinessProbe(opts.checkReady, {
    cacheMs: opts.readinessCacheMs ?? DEFAULT_READINESS_CACHE_MS,
    timeoutMs: opts.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
    onChange: (r) => {
      if (r.ready) log?.info({}, 'readiness: ready');
      else log?.warn({ reason: r.reason }, 'readiness: not ready');
    },
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log?.error({ err: (err as Error)?.message, path: pathOf(req) }, 'admin request failed');
      if (!res.headersSent) send(req, res, 500, 'internal error\n');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    if (!PATHS.has(path)) return send(req, res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(req, res, 405, 'method not allowed\n');
    }
    switch (path) {
      case '/metrics': {
        runScrapeHooks();
        const body = await opts.registry.metrics();
        return send(req, res, 200, body, opts.registry.contentType);
      }
      case '/startup':
        return opts.isStarted() ? send(req, res, 200, 'ok\n') : send(req, res, 503, 'starting\n');
      case '/liveness':
        return send(req, res, 200, 'ok\n');
      case '/readiness': {
        if (!opts.isStarted()) return send(req, res, 503, 'starting\n');
        const r = await readiness.current();
        return r.ready ? send(req, res, 200, 'ok\n') : send(req, res, 503, `not ready: ${r.reason}\n`);
      }
    }
  }

  await listen(server, opts.host, opts.port);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () => closeServer(server),
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  // A trailing slash is a common probe-configuration slip; treat /readiness/ as /readiness.
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: string, contentType = TEXT): void {
  const bytes = Buffer.from(body, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', bytes.length);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.method === 'HEAD') res.end();
  else res.end(bytes);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Keep-alive connections from scrapers would otherwise hold close() open.
    server.closeAllConnections();
  });
}
