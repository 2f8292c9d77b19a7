// Benchmarks: pgbench through the proxy compared with the same load without it, in each mode.
// Run with `npm run bench`; results are appended to bench/results/<name>.jsonl with the date
// and the machine, so that runs can be compared over time. Not part of the test suite.
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPostgres, PG_BIN } from '../test/harness/postgres.js';
import { createTestPki } from '../test/harness/pki.js';
import { startDsqlStandIn } from '../test/harness/dsql-standin.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, REPO_ROOT } from '../test/harness/proxy-process.js';
import { startEmulator } from '../src/emulator/index.js';
import { DsqlSigner } from '@aws-sdk/dsql-signer';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const HOST = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';

interface Result {
  tps: number;
  latencyMs: number;
}

async function pgbench(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  const { stdout } = await run(join(PG_BIN, 'pgbench'), [...args, '-T', String(SECONDS), '--no-vacuum'], { env, maxBuffer: 16 << 20 });
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
  return { tps, latencyMs };
}

function record(name: string, result: Record<string, unknown>): void {
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const line = { date: new Date().toISOString(), cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), seconds: SECONDS, ...result };
  appendFileSync(join(dir, `${name}.jsonl`), JSON.stringify(line) + '\n');
  console.log(name, JSON.stringify(line));
}

async function dsqlRelay(): Promise<void> {
  const db = await startPostgres();
  const pki = await createTestPki([HOST]);
  const standIn = await startDsqlStandIn({
    hostname: HOST,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
    upstream: { host: db.host, port: db.port },
  });
  const proxy = await startProxyProcess(['dsql', '--host', HOST, '--connect-to', `127.0.0.1:${standIn.port}`, '--upstream-ca', pki.caPath], {
    env: isolatedAwsEnv(credentialEnv()),
  });
  try {
    await run(join(PG_BIN, 'pgbench'), ['-i', '-s', '2', '-h', db.host, '-p', String(db.port), '-U', 'postgres', 'postgres']);
    const common = ['-S', '-c', '8', '-j', '2', '-M', 'prepared', 'postgres'];
    const direct = await pgbench(['-h', db.host, '-p', String(db.port), '-U', 'postgres', ...common]);
    // The stand-in as a client would reach DSQL without the proxy: TLS with SNI and a token.
    const token = await new DsqlSigner({ hostname: HOST, region: 'us-east-1', credentials: TEST_CREDENTIALS, expiresIn: 3600 }).getDbConnectAdminAuthToken();
    const viaStandIn = await pgbench(['-h', HOST, '-p', String(standIn.port), '-U', 'admin', ...common], {
      ...process.env,
      PGHOSTADDR: '127.0.0.1',
      PGSSLMODE: 'require',
      PGPASSWORD: token,
    });
    const proxied = await pgbench(['-h', proxy.host, '-p', String(proxy.port), '-U', 'admin', ...common]);
    record('dsql-relay-select-only', {
      postgresDirect: direct,
      standInWithToken: viaStandIn,
      throughProxy: proxied,
      proxyOverheadLatencyMs: +(proxied.latencyMs - viaStandIn.latencyMs).toFixed(3),
    });
  } finally {
    await proxy.stop();
    await standIn.stop();
    pki.cleanup();
    await db.stop();
  }
}

async function dataApi(): Promise<void> {
  const db = await startPostgres();
  const emulator = await startEmulator({ postgresUrl: db.url, credentials: TEST_CREDENTIALS, region: 'us-east-1' });
  const proxy = await startProxyProcess(
    [
      'data-api',
      '--resource-arn',
      'arn:aws:rds:us-east-1:123456789012:cluster:bench',
      '--secret-arn',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench',
      '--endpoint-url',
      emulator.url,
    ],
    { env: isolatedAwsEnv(credentialEnv()) },
  );
  try {
    await run(join(PG_BIN, 'pgbench'), ['-i', '-s', '1', '-h', db.host, '-p', String(db.port), '-U', 'postgres', 'postgres']);
    const common = ['-c', '4', '-j', '2', '-M', 'extended', '-U', 'postgres', 'postgres'];
    const direct = await pgbench(['-h', db.host, '-p', String(db.port), ...common]);
    emulator.resetStats();
    const proxied = await pgbench(['-h', proxy.host, '-p', String(proxy.port), ...common]);
    record('data-api-tpcb-extended', { direct, throughProxy: proxied, dataApiCalls: emulator.stats().calls });
  } finally {
    await proxy.stop();
    await emulator.stop();
    await db.stop();
  }
}

const which = process.argv[2];
if (!which || which === 'dsql') await dsqlRelay();
if (!which || which === 'data-api') await dataApi();
