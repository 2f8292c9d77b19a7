// One rds-iam test stack per test file: a throwaway PostgreSQL, a test PKI for the endpoint name,
// the RDS stand-in in front of PostgreSQL, and the real `aurora-pg-proxy rds-iam` process dialling
// the stand-in with --connect-to while SNI, certificate check and token use the endpoint name.
import { afterAll, beforeAll } from 'vitest';
import type pg from 'pg';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { createTestPki, type TestPki } from '../harness/pki.js';
import { startRdsIamStandIn, type RdsIamStandIn, type RdsIamStandInOptions } from '../harness/rds-iam-standin.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, type ProxyProcess } from '../harness/proxy-process.js';

export const RDS_HOSTNAME = 'orders.cluster-abc123xyz.us-east-1.rds.amazonaws.com';
export const RDS_REGION = 'us-east-1';
/** The endpoint's own port, which tokens are signed for; the stand-in listens on another. */
export const RDS_PORT = 5432;

export interface RdsProxyOptions {
  /** Flags after `--host` and `--connect-to`; `--upstream-ca` is the stack's unless `upstreamCa` is null. */
  extraArgs?: string[];
  env?: Record<string, string | undefined>;
  standIn?: RdsIamStandIn;
  /** Trust this CA file instead of the stack's; null: no --upstream-ca at all (the RDS CAs only). */
  upstreamCa?: string | null;
}

export interface RdsIamStack {
  db: ThrowawayPostgres;
  pki: TestPki;
  standIn: RdsIamStandIn;
  proxy: ProxyProcess;
  startProxy(opts?: RdsProxyOptions): Promise<ProxyProcess>;
  startStandIn(overrides?: Partial<RdsIamStandInOptions>): Promise<RdsIamStandIn>;
  onStop(cleanup: () => unknown): void;
  /** node-postgres settings for a proxy (the stack's by default), user postgres, no password. */
  pgConfig(proxy?: ProxyProcess, extra?: pg.ClientConfig): pg.ClientConfig;
  stop(): Promise<void>;
}

export async function startRdsIamStack(): Promise<RdsIamStack> {
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
    const [db, pki] = await Promise.all([startPostgres(), createTestPki([RDS_HOSTNAME])]);
    onStop(() => db.stop());
    onStop(() => pki.cleanup());
    const startStandIn = async (overrides: Partial<RdsIamStandInOptions> = {}) => {
      const standIn = await startRdsIamStandIn({
        hostname: RDS_HOSTNAME,
        endpointPort: RDS_PORT,
        region: RDS_REGION,
        credentials: TEST_CREDENTIALS,
        tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
        upstream: { host: db.host, port: db.port },
        allowedUsers: ['postgres', 'admin'],
        ...overrides,
      });
      onStop(() => standIn.stop());
      return standIn;
    };
    const standIn = await startStandIn();
    const startProxy = async (opts: RdsProxyOptions = {}) => {
      const target = opts.standIn ?? standIn;
      const ca = opts.upstreamCa === undefined ? pki.caPath : opts.upstreamCa;
      const args = [
        'rds-iam',
        '--host', RDS_HOSTNAME,
        '--connect-to', `127.0.0.1:${target.port}`,
        ...(ca ? ['--upstream-ca', ca] : []),
        '--connect-timeout', '5',
        ...(opts.extraArgs ?? []),
      ];
      const proxy = await startProxyProcess(args, { env: isolatedAwsEnv({ ...credentialEnv(), ...opts.env }) });
      onStop(() => proxy.stop());
      return proxy;
    };
    const proxy = await startProxy();
    return {
      db,
      pki,
      standIn,
      proxy,
      startProxy,
      startStandIn,
      onStop,
      pgConfig: (p = proxy, extra = {}) => ({ host: p.host, port: p.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 10_000, ...extra }),
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

export function useRdsIamStack(): () => RdsIamStack {
  let stack: RdsIamStack | undefined;
  beforeAll(async () => {
    stack = await startRdsIamStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the rds-iam test stack did not start (see the beforeAll error)');
    return stack;
  };
}
