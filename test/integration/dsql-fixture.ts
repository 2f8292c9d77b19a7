// One DSQL test stack per test file: a throwaway PostgreSQL, a test PKI, the DSQL stand-in in
// front of PostgreSQL, and the real `aurora-pg-proxy dsql` process pointed at the stand-in. Tests
// add more proxies or stand-ins through the stack, which stops everything it started, even when
// a test or the start itself failed half-way.
import { afterAll, beforeAll } from 'vitest';
import type pg from 'pg';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { createTestPki, type TestPki } from '../harness/pki.js';
import { startDsqlStandIn, type DsqlStandIn, type DsqlStandInOptions } from '../harness/dsql-standin.js';
import {
  TEST_CREDENTIALS,
  credentialEnv,
  isolatedAwsEnv,
  startProxyProcess,
  type ProxyProcess,
} from '../harness/proxy-process.js';

export const DSQL_HOSTNAME = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';
export const DSQL_REGION = 'us-east-1';

export interface ProxyOptions {
  /** Flags after the required ones (`--host`, `--connect-to`, `--upstream-ca`). */
  extraArgs?: string[];
  /** Variables added to (or, when undefined, removed from) the isolated AWS environment. */
  env?: Record<string, string | undefined>;
  /** Dial this stand-in instead of the stack's own. */
  standIn?: DsqlStandIn;
  /** Trust this CA file instead of the stack's. */
  upstreamCa?: string;
  /** A command the proxy runs under (startProxyProcess's launcher). */
  launcher?: string[];
}

export interface DsqlStack {
  db: ThrowawayPostgres;
  pki: TestPki;
  standIn: DsqlStandIn;
  /** The proxy every test uses unless it needs different flags. */
  proxy: ProxyProcess;
  /** Starts another proxy process; the stack stops it. */
  startProxy(opts?: ProxyOptions): Promise<ProxyProcess>;
  /** Starts another stand-in in front of the same PostgreSQL; the stack stops it. */
  startStandIn(overrides?: Partial<DsqlStandInOptions>): Promise<DsqlStandIn>;
  /** Registers something the stack must undo when it stops (runs in reverse order). */
  onStop(cleanup: () => unknown): void;
  /** node-postgres settings for a proxy (the stack's proxy by default), user admin, no password. */
  pgConfig(proxy?: ProxyProcess, extra?: pg.ClientConfig): pg.ClientConfig;
  stop(): Promise<void>;
}

export interface DsqlStackOptions {
  /** Flags for the stack's own proxy. */
  proxy?: ProxyOptions;
  standIn?: Partial<DsqlStandInOptions>;
}

export async function startDsqlStack(options: DsqlStackOptions = {}): Promise<DsqlStack> {
  const cleanups: (() => unknown)[] = [];
  const onStop = (cleanup: () => unknown) => void cleanups.push(cleanup);
  const stop = async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  };

  try {
    const [db, pki] = await Promise.all([startPostgres(), createTestPki([DSQL_HOSTNAME])]);
    onStop(() => db.stop());
    onStop(() => pki.cleanup());

    const startStandIn = async (overrides: Partial<DsqlStandInOptions> = {}) => {
      const standIn = await startDsqlStandIn({
        hostname: DSQL_HOSTNAME,
        region: DSQL_REGION,
        credentials: TEST_CREDENTIALS,
        tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
        upstream: { host: db.host, port: db.port },
        ...overrides,
      });
      onStop(() => standIn.stop());
      return standIn;
    };
    const standIn = await startStandIn(options.standIn);

    const startProxy = async (opts: ProxyOptions = {}) => {
      const target = opts.standIn ?? standIn;
      const args = [
        'dsql',
        '--host', DSQL_HOSTNAME,
        '--connect-to', `127.0.0.1:${target.port}`,
        '--upstream-ca', opts.upstreamCa ?? pki.caPath,
        '--connect-timeout', '5',
        ...(opts.extraArgs ?? []),
      ];
      const proxy = await startProxyProcess(args, { env: isolatedAwsEnv({ ...credentialEnv(), ...opts.env }), launcher: opts.launcher });
      onStop(() => proxy.stop());
      return proxy;
    };
    const proxy = await startProxy(options.proxy);

    return {
      db,
      pki,
      standIn,
      proxy,
      startProxy,
      startStandIn,
      onStop,
      pgConfig: (p = proxy, extra = {}) => ({
        host: p.host,
        port: p.port,
        user: 'admin',
        database: 'postgres',
        connectionTimeoutMillis: 10_000,
        ...extra,
      }),
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

/** Starts the stack in beforeAll and stops it in afterAll; call the result inside tests. */
export function useDsqlStack(options: DsqlStackOptions = {}): () => DsqlStack {
  let stack: DsqlStack | undefined;
  beforeAll(async () => {
    stack = await startDsqlStack(options);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the DSQL test stack did not start (see the beforeAll error)');
    return stack;
  };
}
