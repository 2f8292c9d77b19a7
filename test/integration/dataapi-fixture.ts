// One Data API test stack per test file: a throwaway PostgreSQL, the Data API emulator over it
// (checking SigV4 with the test credentials), and the real `aurora-pg-proxy data-api` process
// pointed at the emulator. The AWS SDK inside the proxy talks HTTP to the emulator: nothing is
// mocked.
import { afterAll, beforeAll } from 'vitest';
import type pg from 'pg';
import { startPostgres, type StartPostgresOptions, type ThrowawayPostgres } from '../harness/postgres.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, type ProxyProcess } from '../harness/proxy-process.js';

export const RESOURCE_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:aurora-pg-proxy-test';
export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:aurora-pg-proxy-test-AbCdEf';

export interface DataApiStack {
  db: ThrowawayPostgres;
  emulator: RunningEmulator;
  proxy: ProxyProcess;
  /** node-postgres settings for the proxy. */
  pgConfig(extra?: pg.ClientConfig): pg.ClientConfig;
  /** node-postgres settings straight to PostgreSQL (for comparisons and set-up). */
  directConfig(extra?: pg.ClientConfig): pg.ClientConfig;
  /** A libpq connection string for the proxy. */
  connString(extra?: string): string;
  startProxy(extraArgs?: string[], env?: Record<string, string | undefined>): Promise<ProxyProcess>;
  stop(): Promise<void>;
}

export interface DataApiStackOptions {
  proxyArgs?: string[];
  emulator?: Partial<Parameters<typeof startEmulator>[0]>;
  /** The PostgreSQL behind the emulator (its major version, settings). */
  postgres?: StartPostgresOptions;
}

export async function startDataApiStack(options: DataApiStackOptions = {}): Promise<DataApiStack> {
  const cleanups: (() => unknown)[] = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        /* keep stopping the rest */
      }
    }
  };
  try {
    const db = await startPostgres(options.postgres);
    cleanups.push(() => db.stop());
    const emulator = await startEmulator({
      postgresUrl: db.url,
      credentials: TEST_CREDENTIALS,
      region: 'us-east-1',
      ...options.emulator,
    });
    cleanups.push(() => emulator.stop());
    const startProxy = async (extraArgs: string[] = [], env: Record<string, string | undefined> = {}) => {
      const p = await startProxyProcess(
        ['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', emulator.url, ...extraArgs],
        { env: isolatedAwsEnv({ ...credentialEnv(), ...env }) },
      );
      cleanups.push(() => p.stop());
      return p;
    };
    const proxy = await startProxy(options.proxyArgs ?? []);
    return {
      db,
      emulator,
      proxy,
      pgConfig: (extra = {}) => ({ host: proxy.host, port: proxy.port, user: 'postgres', database: 'postgres', ...extra }),
      directConfig: (extra = {}) => ({ host: db.host, port: db.port, user: db.user, database: db.database, ...extra }),
      connString: (extra = '') => `host=${proxy.host} port=${proxy.port} user=postgres dbname=postgres ${extra}`.trim(),
      startProxy,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts the stack before the file's tests and stops it after them. */
export function useDataApiStack(options: DataApiStackOptions = {}): () => DataApiStack {
  let stack: DataApiStack | undefined;
  beforeAll(async () => {
    stack = await startDataApiStack(options);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the Data API stack did not start');
    return stack;
  };
}
