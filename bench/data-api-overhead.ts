// Per-call overhead of the Data API proxy: one client, the same statement sent (a) by the AWS SDK
// straight to the emulator's endpoint, (b) through the proxy with the simple protocol and (c)
// with the extended protocol. The emulator runs in its own process, as does the proxy; rounds
// interleave the three so that machine noise hits them alike. Reports the median per-call time
// of each and the ratio to the SDK's; appended to bench/results/data-api-overhead.jsonl.
//   npm run build && npx tsx bench/data-api-overhead.ts
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { startPostgres } from '../test/harness/postgres.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, REPO_ROOT } from '../test/harness/proxy-process.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CALLS_PER_ROUND = Number(process.env.BENCH_CALLS ?? 40);
const RESOURCE_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:bench';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench';

const ALL_WORKLOADS: Record<string, string> = {
  'select 1': 'select 1',
  '1000-row select': "select g as id, 'row number ' || g as label, g * 1.5 as amount, now() as at from generate_series(1, 1000) g",
};
// BENCH_ONLY='select 1' runs one workload.
const WORKLOADS = Object.fromEntries(Object.entries(ALL_WORKLOADS).filter(([k]) => !process.env.BENCH_ONLY || k === process.env.BENCH_ONLY));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const db = await startPostgres();
const emulator = await startProxyProcess(['emulate-data-api', '--postgres', db.url], {
  env: isolatedAwsEnv(credentialEnv()),
  readyPattern: /Data API emulator listening/,
});
const endpoint = `http://127.0.0.1:${emulator.port}`;
// BENCH_PROXY_NODE_OPTIONS='--import ./bench/cpu-profile-hook.mjs' with CPU_PROFILE_OUT=file profiles the proxy.
const proxy = await startProxyProcess(['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', endpoint], {
  env: isolatedAwsEnv({ ...credentialEnv(), NODE_OPTIONS: process.env.BENCH_PROXY_NODE_OPTIONS }),
});
const sdk = new RDSDataClient({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
const client = new pg.Client({ host: proxy.host, port: proxy.port, user: 'postgres', database: 'postgres' });
await client.connect();

type Variant = 'sdk' | 'simple' | 'extended';
const runners: Record<Variant, (sql: string) => Promise<unknown>> = {
  // What the proxy asks for too: column metadata, exact numbers.
  sdk: (sql) =>
    sdk.send(
      new ExecuteStatementCommand({
        resourceArn: RESOURCE_ARN,
        secretArn: SECRET_ARN,
        sql,
        includeResultMetadata: true,
        resultSetOptions: { decimalReturnType: 'STRING', longReturnType: 'STRING' },
      }),
    ),
  simple: (sql) => client.query(sql),
  extended: (sql) => client.query({ text: sql, queryMode: 'extended' } as pg.QueryConfig),
};

try {
  const results: Record<string, Record<Variant, number> & { simpleRatio: number; extendedRatio: number }> = {};
  for (const [name, sql] of Object.entries(WORKLOADS)) {
    const samples: Record<Variant, number[]> = { sdk: [], simple: [], extended: [] };
    for (const v of Object.keys(runners) as Variant[]) for (let i = 0; i < 5; i++) await runners[v](sql); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round: no variant always follows another.
      const order = (['sdk', 'simple', 'extended'] as Variant[]).map((_, i, a) => a[(i + round) % a.length]);
      for (const v of order) {
        const t0 = performance.now();
        for (let i = 0; i < CALLS_PER_ROUND; i++) await runners[v](sql);
        samples[v].push((performance.now() - t0) / CALLS_PER_ROUND);
      }
    }
    const m = { sdk: median(samples.sdk), simple: median(samples.simple), extended: median(samples.extended) };
    results[name] = {
      sdk: +m.sdk.toFixed(3),
      simple: +m.simple.toFixed(3),
      extended: +m.extended.toFixed(3),
      simpleRatio: +(m.simple / m.sdk).toFixed(3),
      extendedRatio: +(m.extended / m.sdk).toFixed(3),
    };
  }
  const line = { date: new Date().toISOString(), cpus: cpus().length, node: process.version, rounds: ROUNDS, callsPerRound: CALLS_PER_ROUND, msPerCall: results, note: process.env.BENCH_NOTE };
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'data-api-overhead.jsonl'), JSON.stringify(line) + '\n');
  console.log(JSON.stringify(line, null, 1));
} finally {
  await client.end();
  sdk.destroy();
  await proxy.stop();
  await emulator.stop();
  await db.stop();
}
