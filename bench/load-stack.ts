// The stack of the load benchmarks: a throwaway PostgreSQL, the Data API emulator over it, two
// proxies in front of the emulator - `set` as shipped and `batch` with an internal switch that
// brings back the BatchExecuteStatement path being compared - and a direct connection to check
// what was loaded.
import pg from 'pg';
import { startPostgres } from '../test/harness/postgres.js';
import { credentialEnv, isolatedAwsEnv, startProxyProcess, type ProxyProcess } from '../test/harness/proxy-process.js';

const RESOURCE_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:bench';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench';

export interface LoadStack {
  proxies: Record<'set' | 'batch', ProxyProcess>;
  /** A proxy of another build (`baselineCli`), to compare with this one in the same run. */
  baseline: ProxyProcess | null;
  direct: pg.Client;
  stop(): Promise<void>;
}

export async function startLoadStack(batchSwitch: Record<string, string>, baselineCli?: string): Promise<LoadStack> {
  const db = await startPostgres();
  const emulator = await startProxyProcess(['emulate-data-api', '--postgres', db.url], {
    env: isolatedAwsEnv(credentialEnv()),
    readyPattern: /Data API emulator listening/,
  });
  const endpoint = `http://127.0.0.1:${emulator.port}`;
  const proxyArgs = ['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', endpoint];
  const proxies = {
    set: await startProxyProcess(proxyArgs, { env: isolatedAwsEnv(credentialEnv()) }),
    batch: await startProxyProcess(proxyArgs, { env: isolatedAwsEnv({ ...credentialEnv(), ...batchSwitch }) }),
  };
  const baseline = baselineCli ? await startProxyProcess(proxyArgs, { env: isolatedAwsEnv(credentialEnv()), cli: baselineCli }) : null;
  const direct = new pg.Client({ connectionString: db.url });
  await direct.connect();
  return {
    proxies,
    baseline,
    direct,
    stop: async () => {
      await direct.end();
      await proxies.set.stop();
      await proxies.batch.stop();
      await baseline?.stop();
      await emulator.stop();
      await db.stop();
    },
  };
}
