// The three ways every compatibility workload runs, sharing one throwaway PostgreSQL per test file:
// straight to PostgreSQL, through `aurora-pg-proxy dsql` (in front of the DSQL stand-in) and through
// `aurora-pg-proxy data-api` (in front of the Data API emulator). Each target has its own database,
// so ORMs that keep migration state (Django's django_migrations) start fresh on each; DSQL has only
// `postgres`, so the dsql target uses that one.
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { startPostgres } from '../../harness/postgres.js';
import { createTestPki } from '../../harness/pki.js';
import { startDsqlStandIn } from '../../harness/dsql-standin.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess } from '../../harness/proxy-process.js';
import { startEmulator } from '../../../src/emulator/index.js';
import { DSQL_HOSTNAME, DSQL_REGION } from '../dsql-fixture.js';
import { RESOURCE_ARN, SECRET_ARN } from '../dataapi-fixture.js';

export type TargetName = 'postgres' | 'dsql' | 'data-api';
export const TARGET_NAMES: readonly TargetName[] = ['postgres', 'dsql', 'data-api'];

/** Where a client connects: loopback, no password, no TLS (each client's default settings). */
export interface Target {
  name: TargetName;
  host: string;
  port: number;
  user: string;
  database: string;
}

export function libpqConninfo(t: Target): string {
  return `host=${t.host} port=${t.port} user=${t.user} dbname=${t.database} connect_timeout=10`;
}

export function jdbcUrl(t: Target): string {
  return `jdbc:postgresql://${t.host}:${t.port}/${t.database}?user=${t.user}&connectTimeout=10&socketTimeout=60`;
}

export function postgresUrl(t: Target): string {
  return `postgres://${t.user}@${t.host}:${t.port}/${t.database}`;
}

const DATABASE = { postgres: 'compat_direct', dsql: 'postgres', 'data-api': 'compat_dataapi' } as const;

export async function startTargets(): Promise<{ targets: Record<TargetName, Target>; stop(): Promise<void> }> {
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
    const [db, pki] = await Promise.all([startPostgres(), createTestPki([DSQL_HOSTNAME])]);
    cleanups.push(() => db.stop(), () => pki.cleanup());
    const admin = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.database });
    await admin.connect();
    try {
      for (const name of [DATABASE.postgres, DATABASE['data-api']]) await admin.query(`create database ${name}`);
    } finally {
      await admin.end();
    }

    const standIn = await startDsqlStandIn({
      hostname: DSQL_HOSTNAME,
      region: DSQL_REGION,
      credentials: TEST_CREDENTIALS,
      tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
      upstream: { host: db.host, port: db.port },
    });
    cleanups.push(() => standIn.stop());
    const emulator = await startEmulator({ postgresUrl: db.url, credentials: TEST_CREDENTIALS, region: 'us-east-1' });
    cleanups.push(() => emulator.stop());

    // One after the other, each stopped by the stack as soon as it runs, with a generous start
    // time: three suite files each starting two proxies at once on a busy 2-core machine is slow.
    const env = isolatedAwsEnv(credentialEnv());
    const startProxy = async (args: string[]) => {
      const proxy = await startProxyProcess(args, { env, readyTimeoutMs: 60_000 });
      cleanups.push(() => proxy.stop());
      return proxy;
    };
    const dsqlProxy = await startProxy([
      'dsql', '--host', DSQL_HOSTNAME, '--connect-to', `127.0.0.1:${standIn.port}`, '--upstream-ca', pki.caPath, '--connect-timeout', '5',
    ]);
    const dataApiProxy = await startProxy(['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', emulator.url]);

    return {
      targets: {
        postgres: { name: 'postgres', host: db.host, port: db.port, user: db.user, database: DATABASE.postgres },
        dsql: { name: 'dsql', host: dsqlProxy.host, port: dsqlProxy.port, user: 'admin', database: DATABASE.dsql },
        'data-api': { name: 'data-api', host: dataApiProxy.host, port: dataApiProxy.port, user: 'postgres', database: DATABASE['data-api'] },
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts the three targets before the file's tests and stops them after. */
export function useTargets(): () => Record<TargetName, Target> {
  let started: Awaited<ReturnType<typeof startTargets>> | undefined;
  beforeAll(async () => {
    started = await startTargets();
  }, 240_000);
  afterAll(async () => {
    await started?.stop();
  });
  return () => {
    if (!started) throw new Error('the compatibility targets did not start (see the beforeAll error)');
    return started.targets;
  };
}
