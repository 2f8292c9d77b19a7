// Per-call overhead of the Data API proxy: one client, the same statement sent (a) by the AWS SDK
// straight to the emulator's endpoint, (b) through the proxy with the simple protocol and (c)
// with the extended protocol. The emulator runs in its own process, as does the proxy; the SDK
// client uses the same HTTP settings as the proxy's (keep-alive agent, 50 sockets, the same
// timeouts) and stays stock otherwise (its own deserializer and middleware). Rounds interleave
// the three, rotating their order, so that machine noise hits them alike. Every call is timed:
// the summary gives the median and p95 per call, the ratio of the proxy's median to the SDK's,
// and CPU time per call: the SDK client's (this process, SDK variant) and the proxy's (from
// /proc), which a loaded machine distorts less than wall time. The machine's load average is recorded with the result, appended to
// bench/results/data-api-overhead.jsonl.
//   npm run bench:dataapi          (builds first; about a minute on a quiet 2-core machine)
//   BENCH_ROUNDS, BENCH_CALLS (calls per variant per round), BENCH_ONLY='select 1', BENCH_NOTE,
//   BENCH_PROXY_CLI (another build's bin/aurora-pg-proxy.js)
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startPostgres } from '../test/harness/postgres.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, REPO_ROOT } from '../test/harness/proxy-process.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const CALLS_PER_ROUND = Number(process.env.BENCH_CALLS ?? 15);
const WARM_UP_CALLS = 20;
const RESOURCE_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:bench';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench';

const ALL_WORKLOADS: Record<string, string> = {
  'select 1': 'select 1',
  '1000-row select': "select g as id, 'row number ' || g as label, g * 1.5 as amount, now() as at from generate_series(1, 1000) g",
};
const WORKLOADS = Object.fromEntries(Object.entries(ALL_WORKLOADS).filter(([k]) => !process.env.BENCH_ONLY || k === process.env.BENCH_ONLY));

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const load = () => loadavg().map((x) => +x.toFixed(2));

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is none. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return null;
  }
}

const loadAtStart = load();
const db = await startPostgres();
const emulator = await startProxyProcess(['emulate-data-api', '--postgres', db.url], {
  env: isolatedAwsEnv(credentialEnv()),
  readyPattern: /Data API emulator listening/,
});
const endpoint = `http://127.0.0.1:${emulator.port}`;
// BENCH_PROXY_NODE_OPTIONS='--import ./bench/cpu-profile-hook.mjs' with CPU_PROFILE_OUT=file profiles the proxy.
// BENCH_PROXY_CLI=/path/to/other/bin/aurora-pg-proxy.js measures another build of the proxy (before/after).
const proxy = await startProxyProcess(['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', endpoint], {
  env: isolatedAwsEnv({ ...credentialEnv(), NODE_OPTIONS: process.env.BENCH_PROXY_NODE_OPTIONS }),
  cli: process.env.BENCH_PROXY_CLI,
});
const sdk = new RDSDataClient({
  region: 'us-east-1',
  endpoint,
  credentials: TEST_CREDENTIALS,
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({
    connectionTimeout: 10_000,
    requestTimeout: 60_000,
    socketTimeout: 60_000,
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 50 }),
  }),
});
const client = new pg.Client({ host: proxy.host, port: proxy.port, user: 'postgres', database: 'postgres' });
await client.connect();

type Variant = 'sdk' | 'simple' | 'extended';
const VARIANTS: Variant[] = ['sdk', 'simple', 'extended'];
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

interface Figures {
  sdk: { median: number; p95: number; clientCpu: number };
  simple: { median: number; p95: number; ratio: number; proxyCpu: number | null; clientCpu: number };
  extended: { median: number; p95: number; ratio: number; proxyCpu: number | null; clientCpu: number };
}

const ms = (x: number) => +x.toFixed(3);

try {
  const results: Record<string, Figures> = {};
  for (const [name, sql] of Object.entries(WORKLOADS)) {
    const samples: Record<Variant, number[]> = { sdk: [], simple: [], extended: [] };
    const proxyCpu: Record<Variant, number> = { sdk: 0, simple: 0, extended: 0 };
    const clientCpu: Record<Variant, number> = { sdk: 0, simple: 0, extended: 0 };
    for (const v of VARIANTS) for (let i = 0; i < WARM_UP_CALLS; i++) await runners[v](sql);
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round: no variant always follows another.
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(k + round) % VARIANTS.length]!;
        const cpu0 = cpuSeconds(proxy.child.pid);
        const own0 = process.cpuUsage();
        for (let i = 0; i < CALLS_PER_ROUND; i++) {
          const t0 = performance.now();
          await runners[v](sql);
          samples[v].push(performance.now() - t0);
        }
        const own = process.cpuUsage(own0);
        clientCpu[v] += (own.user + own.system) / 1e6;
        const cpu1 = cpuSeconds(proxy.child.pid);
        if (cpu0 !== null && cpu1 !== null) proxyCpu[v] += cpu1 - cpu0;
      }
    }
    const calls = ROUNDS * CALLS_PER_ROUND;
    const sdkMedian = quantile(samples.sdk, 0.5);
    const proxyFigures = (v: 'simple' | 'extended') => ({
      median: ms(quantile(samples[v], 0.5)),
      p95: ms(quantile(samples[v], 0.95)),
      ratio: +(quantile(samples[v], 0.5) / sdkMedian).toFixed(3),
      proxyCpu: cpuSeconds(proxy.child.pid) === null ? null : ms((proxyCpu[v] * 1000) / calls),
      clientCpu: ms((clientCpu[v] * 1000) / calls),
    });
    results[name] = {
      sdk: { median: ms(sdkMedian), p95: ms(quantile(samples.sdk, 0.95)), clientCpu: ms((clientCpu.sdk * 1000) / calls) },
      simple: proxyFigures('simple'),
      extended: proxyFigures('extended'),
    };
  }
  const line = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    node: process.version,
    loadAverage: { start: loadAtStart, end: load() },
    rounds: ROUNDS,
    callsPerRound: CALLS_PER_ROUND,
    msPerCall: results,
    note: process.env.BENCH_NOTE,
  };
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'data-api-overhead.jsonl'), JSON.stringify(line) + '\n');
  console.log(`\nData API per-call time, ms (${ROUNDS} rounds x ${CALLS_PER_ROUND} calls per variant; load average ${loadAtStart.join(', ')} at start, ${line.loadAverage.end.join(', ')} at end; ${cpus().length} CPUs)\n`);
  console.log('| work | SDK direct median / p95 | simple median / p95 | ratio | extended median / p95 | ratio | CPU per call: SDK client; proxy simple / extended |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, f] of Object.entries(results)) {
    const cpu = `${f.sdk.clientCpu}; ${f.simple.proxyCpu === null ? 'n/a' : `${f.simple.proxyCpu} / ${f.extended.proxyCpu}`}`;
    console.log(
      `| ${name} | ${f.sdk.median} / ${f.sdk.p95} | ${f.simple.median} / ${f.simple.p95} | ${f.simple.ratio}x | ${f.extended.median} / ${f.extended.p95} | ${f.extended.ratio}x | ${cpu} |`,
    );
  }
} finally {
  await client.end();
  sdk.destroy();
  await proxy.stop();
  await emulator.stop();
  await db.stop();
}
