// `aurora-pg-proxy demo`: the whole Data API path on one machine with nothing installed beyond
// `npm ci`. An embedded PostgreSQL (PGlite, compiled to WebAssembly) holds a sample database;
// the Data API emulator serves it over HTTP; the proxy runs in data-api mode against the
// emulator, with the same translation code as in production. psql connects to the proxy.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createServer } from 'node:net';
import { startEmulator } from '../emulator/index.js';
import { startProxy, type RunningProxy } from '../cli/start-proxy.js';
import type { ProxyConfig } from '../config/types.js';
import { DEFAULTS } from '../config/types.js';
import type { Logger } from '../util/logger.js';
import { SAMPLE_SCHEMA } from './sample-schema.js';

/** Credentials the demo's proxy signs with and its emulator checks; they reach no AWS service. */
export const DEMO_CREDENTIALS = { accessKeyId: 'AKIDAURORAPGPROXYDEMO', secretAccessKey: 'demo-secret-not-an-aws-key' };
export const DEMO_RESOURCE_ARN = 'arn:aws:rds:us-east-1:000000000000:cluster:aurora-pg-proxy-demo';
export const DEMO_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:aurora-pg-proxy-demo';

export interface DemoOptions {
  host: string;
  /** Preferred port; the next free one is used when it is taken (unless `exactPort`). */
  port: number;
  exactPort: boolean;
  metrics?: { host: string; port: number };
}

export interface RunningDemo {
  proxy: RunningProxy;
  port: number;
  psqlCommand: string;
  stop(): Promise<void>;
}

export async function startDemo(opts: DemoOptions, log: Logger): Promise<RunningDemo> {
  const db = await PGlite.create();
  await db.exec(SAMPLE_SCHEMA);
  // PGlite is one database session: the emulator gets one connection, so calls take turns.
  const pgServer = new PGLiteSocketServer({ db, host: '127.0.0.1', port: await anyFreePort(), maxConnections: 1 });
  await pgServer.start();
  const pgUrl = `postgres://postgres@${pgServer.getServerConn()}/postgres`;
  const emulator = await startEmulator({ postgresUrl: pgUrl, poolSize: 1, credentials: DEMO_CREDENTIALS, region: 'us-east-1' });

  const port = opts.exactPort ? opts.port : await firstFreePort(opts.host, opts.port);
  const config: ProxyConfig = {
    log: { level: 'info', format: 'auto' },
    shutdown: { maxSigtermDelaySeconds: DEFAULTS.maxSigtermDelaySeconds },
    metrics: opts.metrics,
    listeners: [
      {
        name: 'demo',
        mode: 'data-api',
        listen: { host: opts.host, port },
        clientAuth: { method: 'trust' },
        allowUnauthenticatedRemote: false,
        tls: { require: false },
        maxConnections: 100,
        startupTimeoutSeconds: DEFAULTS.startupTimeoutSeconds,
        maxMessageBytes: DEFAULTS.maxMessageBytes,
        idleTimeoutSeconds: 0,
        settings: {
          resourceArn: DEMO_RESOURCE_ARN,
          secretArn: DEMO_SECRET_ARN,
          region: 'us-east-1',
          endpointUrl: emulator.url,
          readinessCheck: 'statement',
          pageInTransactions: false,
          credentials: async () => DEMO_CREDENTIALS,
        },
      },
    ],
  };
  const proxy = await startProxy(config, log);
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const psqlCommand = `psql "postgresql://postgres@${host}:${port}/postgres"`;
  return {
    proxy,
    port,
    psqlCommand,
    async stop() {
      await proxy.shutdown(0);
      await emulator.stop();
      await pgServer.stop();
      await db.close();
    },
  };
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The first port from `start` on that can be bound on `host`. */
async function firstFreePort(host: string, start: number): Promise<number> {
  for (let port = start; port < start + 100 && port <= 65535; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port from ${start} to ${start + 99} on ${host}; pass --listen HOST:PORT`);
}
