// The ways every compatibility workload runs, sharing one throwaway PostgreSQL per test file:
// straight to PostgreSQL, through `aurora-pg-proxy dsql` (in front of the DSQL stand-in), through
// the same with `--warm-connections 1 --reuse-connections` (what a sidecar serving an application
// that connects and disconnects would run: each new client gets the server session the one before
// it left, reset; compatSuite runs each workload there twice, the second run on the sessions the
// first left, so that a driver meets its own leftovers), and through `aurora-pg-proxy data-api`
// (in front of the Data API emulator). Each target has its own database, so ORMs that keep
// migration state (Django's django_migrations) start fresh on each; DSQL has only `postgres`, so
// the dsql target uses that one, and the reuse target, which needs a fresh one of its own, a
// database the stand-in's PostgreSQL has besides.
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { startPostgres } from '../../harness/postgres.js';
import { createTestPki } from '../../harness/pki.js';
import { startDsqlStandIn } from '../../harness/dsql-standin.js';
import { freePort } from '../../harness/ports.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess } from '../../harness/proxy-process.js';
import { startEmulator } from '../../../src/emulator/index.js';
import { DSQL_HOSTNAME, DSQL_REGION } from '../dsql-fixture.js';
import { RESOURCE_ARN, SECRET_ARN } from '../dataapi-fixture.js';

export type TargetName = 'postgres' | 'dsql' | 'dsql-reuse' | 'data-api';
export const TARGET_NAMES: readonly TargetName[] = ['postgres', 'dsql', 'dsql-reuse', 'data-api'];

/** Where a client connects: loopback, no password, no TLS (each client's default settings). */
export interface Target {
  name: TargetName;
  host: string;
  port: number;
  user: string;
  database: string;
  /** The proxy's --metrics-listen port, where the test reads it (the reuse target). */
  metricsPort?: number;
  /**
   * The reuse target's: empties its database (straight to PostgreSQL, past the proxy), leaving the
   * server sessions the proxy keeps open, so that a workload can run again on the sessions its
   * first run left. Not sent to the clients (JSON has no functions).
   */
  emptyDatabase?: () => Promise<void>;
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

const DATABASE = { postgres: 'compat_direct', dsql: 'postgres', 'dsql-reuse': 'compat_dsql_reuse', 'data-api': 'compat_dataapi' } as const;

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
      for (const name of [DATABASE.postgres, DATABASE['dsql-reuse'], DATABASE['data-api']]) await admin.query(`create database ${name}`);
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
    const dsqlArgs = ['dsql', '--host', DSQL_HOSTNAME, '--connect-to', `127.0.0.1:${standIn.port}`, '--upstream-ca', pki.caPath, '--connect-timeout', '5'];
    const dsqlProxy = await startProxy(dsqlArgs);
    const reuseMetrics = await freePort();
    // One connection per key: every client of a workload, and the workload's second run, gets the
    // server session the client before it left.
    const reuseProxy = await startProxy([...dsqlArgs, '--warm-connections', '1', '--reuse-connections', '--metrics-listen', `127.0.0.1:${reuseMetrics}`]);
    const emptyReuseDatabase = async () => {
      const c = new pg.Client({ host: db.host, port: db.port, user: db.user, database: DATABASE['dsql-reuse'] });
      await c.connect();
      try {
        await c.query('drop schema public cascade; create schema public');
      } finally {
        await c.end();
      }
    };
    const dataApiProxy = await startProxy(['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', emulator.url]);

    return {
      targets: {
        postgres: { name: 'postgres', host: db.host, port: db.port, user: db.user, database: DATABASE.postgres },
        dsql: { name: 'dsql', host: dsqlProxy.host, port: dsqlProxy.port, user: 'admin', database: DATABASE.dsql },
        'dsql-reuse': { name: 'dsql-reuse', host: reuseProxy.host, port: reuseProxy.port, user: 'admin', database: DATABASE['dsql-reuse'], metricsPort: reuseMetrics, emptyDatabase: emptyReuseDatabase },
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
