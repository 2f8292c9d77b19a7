// `aurora-pg-proxy demo`: a whole mode on one machine with nothing installed beyond `npm ci`. An
// embedded PostgreSQL (PGlite, compiled to WebAssembly) holds a sample database. In front of it, a
// local stand-in of the service: the Data API emulator over HTTP (the default, data-api mode), or
// (--mode dsql, --mode rds-iam) a stand-in of the database endpoint that requires TLS with SNI and
// checks the IAM token the proxy signs by computing its SigV4 signature again. The proxy runs in
// that mode against the stand-in, with the same code as in production. psql connects to the proxy.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../emulator/index.js';
import { startProxy, type RunningProxy } from '../cli/start-proxy.js';
import type { CommonListenerConfig, ListenerConfig, ProxyConfig } from '../config/types.js';
import { DEFAULTS } from '../config/types.js';
import type { Logger } from '../util/logger.js';
import { SAMPLE_SCHEMA } from './sample-schema.js';
import { startIamServiceStandIn, type IamServiceStandInOptions } from './iam-service-standin.js';
import { verifyPresignedToken } from './presigned-token.js';

/** Credentials the demo's proxy signs with and its emulator checks; they reach no AWS service. */
export const DEMO_CREDENTIALS = { accessKeyId: 'AKIDAURORAPGPROXYDEMO', secretAccessKey: 'demo-secret-not-an-aws-key' };
export const DEMO_RESOURCE_ARN = 'arn:aws:rds:us-east-1:000000000000:cluster:aurora-pg-proxy-demo';
export const DEMO_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:aurora-pg-proxy-demo';
/** Endpoint names the demo's stand-ins answer to (SNI, certificate, token); never resolved. */
export const DEMO_DSQL_HOST = 'aurorapgproxydemo000000000.dsql.us-east-1.on.aws';
export const DEMO_RDS_HOST = 'aurora-pg-proxy-demo.cluster-demo000000.us-east-1.rds.amazonaws.com';
const DEMO_REGION = 'us-east-1';

export const DEMO_MODES = ['data-api', 'dsql', 'rds-iam'] as const;
export type DemoMode = (typeof DEMO_MODES)[number];

export interface DemoOptions {
  host: string;
  /** Preferred port; the next free one is used when it is taken (unless `exactPort`). */
  port: number;
  exactPort: boolean;
  metrics?: { host: string; port: number };
  /** The mode to show; data-api when absent. */
  mode?: DemoMode;
}

export interface RunningDemo {
  proxy: RunningProxy;
  port: number;
  psqlCommand: string;
  /** One line on what stands in for AWS, for the banner. */
  description: string;
  stop(): Promise<void>;
}

/** What one mode's demo put in front of the embedded PostgreSQL. */
interface DemoBackend {
  listener: ListenerConfig;
  user: string;
  description: string;
  stop(): Promise<void>;
}

export async function startDemo(opts: DemoOptions, log: Logger): Promise<RunningDemo> {
  const mode = opts.mode ?? 'data-api';
  const db = await PGlite.create();
  await db.exec(SAMPLE_SCHEMA);
  // PGlite is one database session: one connection at a time (the emulator's, or one client's).
  const pgServer = new PGLiteSocketServer({ db, host: '127.0.0.1', port: await anyFreePort(), maxConnections: 1 });
  await pgServer.start();
  const [pgHost, pgPort] = splitHostPort(pgServer.getServerConn());

  const port = opts.exactPort ? opts.port : await firstFreePort(opts.host, opts.port);
  const common: CommonListenerConfig = {
    name: 'demo',
    listen: { host: opts.host, port },
    clientAuth: { method: 'trust' },
    allowUnauthenticatedRemote: false,
    tls: { require: false },
    maxConnections: 100,
    startupTimeoutSeconds: DEFAULTS.startupTimeoutSeconds,
    maxMessageBytes: DEFAULTS.maxMessageBytes,
    idleTimeoutSeconds: 0,
  };
  const upstream = { host: pgHost, port: pgPort };
  const backend =
    mode === 'data-api'
      ? await dataApiDemo(common, `postgres://postgres@${pgHost}:${pgPort}/postgres`)
      : mode === 'dsql'
        ? await dsqlDemo(common, upstream)
        : await rdsIamDemo(common, upstream);
  const config: ProxyConfig = {
    log: { level: 'info', format: 'auto' },
    shutdown: { maxSigtermDelaySeconds: DEFAULTS.maxSigtermDelaySeconds },
    metrics: opts.metrics,
    listeners: [backend.listener],
  };
  let proxy: RunningProxy;
  try {
    proxy = await startProxy(config, log);
  } catch (err) {
    await backend.stop();
    await pgServer.stop();
    await db.close();
    throw err;
  }
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const psqlCommand = `psql "postgresql://${backend.user}@${host}:${port}/postgres"`;
  return {
    proxy,
    port,
    psqlCommand,
    description: backend.description,
    async stop() {
      await proxy.shutdown(0);
      await backend.stop();
      await pgServer.stop();
      await db.close();
    },
  };
}

async function dataApiDemo(common: CommonListenerConfig, pgUrl: string): Promise<DemoBackend> {
  const emulator = await startEmulator({ postgresUrl: pgUrl, poolSize: 1, maxConnections: 1, credentials: DEMO_CREDENTIALS, region: DEMO_REGION });
  return {
    user: 'postgres',
    description: 'a sample shop database behind the Data API emulator',
    listener: {
      ...common,
      mode: 'data-api',
      settings: {
        resourceArn: DEMO_RESOURCE_ARN,
        secretArn: DEMO_SECRET_ARN,
        region: DEMO_REGION,
        endpointUrl: emulator.url,
        readinessCheck: 'statement',
        pageInTransactions: false,
        // PGlite is one session: nothing may be asked of it beside a client's open transaction.
        oneSessionDatabase: true,
        credentials: async () => DEMO_CREDENTIALS,
      },
    },
    stop: () => emulator.stop(),
  };
}

/** The stand-in of an IAM endpoint, and its certificate in a file the proxy trusts as --upstream-ca. */
async function iamStandIn(options: IamServiceStandInOptions) {
  const standIn = await startIamServiceStandIn(options);
  const dir = mkdtempSync(join(tmpdir(), 'aurora-pg-proxy-demo-'));
  const caFile = join(dir, 'demo-endpoint-ca.pem');
  writeFileSync(caFile, standIn.certPem);
  return {
    connectTo: { host: '127.0.0.1', port: standIn.port },
    caFile,
    async stop() {
      await standIn.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function dsqlDemo(common: CommonListenerConfig, upstream: { host: string; port: number }): Promise<DemoBackend> {
  const standIn = await iamStandIn({
    hostname: DEMO_DSQL_HOST,
    upstream,
    verify: (token, user) =>
      verifyPresignedToken(token, {
        ...DEMO_CREDENTIALS,
        service: 'dsql',
        region: DEMO_REGION,
        authority: DEMO_DSQL_HOST,
        expected: { Action: user === 'admin' ? 'DbConnectAdmin' : 'DbConnect' },
        maxLifetimeSeconds: 604_800,
        now: new Date(),
      }),
    refusal: (_user, why) => ({ code: '08006', message: 'unable to accept connection, access denied', hint: why }),
  });
  return {
    user: 'admin',
    description: `a sample shop database behind a local stand-in of the Aurora DSQL endpoint ${DEMO_DSQL_HOST}, which checks every IAM token the proxy signs`,
    listener: {
      ...common,
      mode: 'dsql',
      settings: {
        host: DEMO_DSQL_HOST,
        region: DEMO_REGION,
        tokenTtlSeconds: DEFAULTS.tokenTtlSeconds,
        connectTo: standIn.connectTo,
        upstreamCaFile: standIn.caFile,
        connectTimeoutSeconds: DEFAULTS.connectTimeoutSeconds,
        lifetimeNoticeMinutes: 0,
        maxConnectRate: DEFAULTS.maxConnectRate,
        connectBurst: DEFAULTS.connectBurst,
        occRetries: DEFAULTS.occRetries,
        credentials: async () => DEMO_CREDENTIALS,
      },
    },
    stop: () => standIn.stop(),
  };
}

async function rdsIamDemo(common: CommonListenerConfig, upstream: { host: string; port: number }): Promise<DemoBackend> {
  const endpointPort = DEFAULTS.postgresPort;
  const standIn = await iamStandIn({
    hostname: DEMO_RDS_HOST,
    upstream,
    verify: (token, user) =>
      verifyPresignedToken(token, {
        ...DEMO_CREDENTIALS,
        service: 'rds-db',
        region: DEMO_REGION,
        authority: `${DEMO_RDS_HOST}:${endpointPort}`,
        expected: { Action: 'connect', DBUser: user },
        maxLifetimeSeconds: 900,
        now: new Date(),
      }),
    refusal: (user) => ({ code: '28000', message: `PAM authentication failed for user "${user}"` }),
  });
  return {
    user: 'postgres',
    description: `a sample shop database behind a local stand-in of the RDS endpoint ${DEMO_RDS_HOST}, which checks every IAM token the proxy signs`,
    listener: {
      ...common,
      mode: 'rds-iam',
      settings: {
        host: DEMO_RDS_HOST,
        port: endpointPort,
        region: DEMO_REGION,
        connectTo: standIn.connectTo,
        upstreamCaFile: standIn.caFile,
        connectTimeoutSeconds: DEFAULTS.connectTimeoutSeconds,
        maxConnectRate: DEFAULTS.rdsIamMaxConnectRate,
        connectBurst: DEFAULTS.rdsIamConnectBurst,
        credentials: async () => DEMO_CREDENTIALS,
      },
    },
    stop: () => standIn.stop(),
  };
}

function splitHostPort(conn: string): [string, number] {
  const i = conn.lastIndexOf(':');
  return [conn.slice(0, i), Number(conn.slice(i + 1))];
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
