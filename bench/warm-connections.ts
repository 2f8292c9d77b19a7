// Warm connections and reuse, measured against PostgreSQL 15 terminating TLS itself (see
// tls-postgres.ts; the same direct path as relay-compare.ts):
//
//   1. Time from TCP connect to the first `select 1` answered (node-postgres, one client at a
//      time, samples interleaved across the paths):
//        direct   TLS (verify-full, SNI) straight to PostgreSQL
//        cold     plain TCP to `aurora-pg-proxy dsql --connect-to` without warm connections
//                 (the proxy does the TLS handshake and IAM login for each client)
//        warm     plain TCP to a proxy with --warm-connections 2, each sample a warm hit
//                 (the benchmark waits until a warm connection is idle before each sample)
//        plain    PostgreSQL itself without TLS, for reference: the floor of this client and
//                 server on this machine, which no cluster offers
//        pgbouncer  Debian's pgbouncer in session mode, TLS to PostgreSQL, each sample served by
//                 its pool's idle server connection: for reference, what a pooler written in C
//                 achieves for the same hit
//   2. pgbench -S -C (a new connection per transaction), -M simple, 4 clients: direct TLS vs the
//      proxy with --warm-connections 4 --reuse-connections.
//
// Goals (issue 10): the warm first select at least 10x sooner than direct TLS; -C through the
// proxy with warm connections and reuse at least 20x the connection rate of direct TLS.
//
// Usage: npm run bench:warm   (environment: WARM_BENCH_SAMPLES, default 40 per path;
// WARM_BENCH_SECONDS, pgbench duration, default 10; WARM_BENCH_LABEL, a note stored with the
// results). Results: bench/results/warm-connections.jsonl.
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { PG_BIN } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { credentialEnv, isolatedAwsEnv, startProxyProcess, REPO_ROOT, type ProxyProcess } from '../test/harness/proxy-process.js';
import { BENCH_HOST, startTlsPostgres } from './tls-postgres.js';
import { startPgbouncer } from './pgbouncer.js';

const run = promisify(execFile);
const SAMPLES = Number(process.env.WARM_BENCH_SAMPLES ?? 40);
const SECONDS = Number(process.env.WARM_BENCH_SECONDS ?? 10);
const LABEL = process.env.WARM_BENCH_LABEL ?? '';
const SETTLE_MS = 30;

type FirstSelectPath = 'direct' | 'cold' | 'warm' | 'plain' | 'pgbouncer';

interface MeteredProxy {
  proxy: ProxyProcess;
  metricsPort: number;
}

async function metric(p: MeteredProxy, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`aurora_pg_proxy_${name}{`) && line.includes(label)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

async function startProxy(args: string[], dbPort: number, caPath: string): Promise<MeteredProxy> {
  const metricsPort = await freePort();
  const proxy = await startProxyProcess(
    [
      'dsql', '--host', BENCH_HOST, '--connect-to', `127.0.0.1:${dbPort}`, '--upstream-ca', caPath,
      '--max-connections', '500', '--metrics-listen', `127.0.0.1:${metricsPort}`, ...args,
    ],
    { env: isolatedAwsEnv(credentialEnv()) },
  );
  return { proxy, metricsPort };
}

/** Milliseconds from the start of the TCP connect to the answer of the first `select 1`. */
async function firstSelect(config: pg.ClientConfig): Promise<number> {
  const client = new pg.Client(config);
  const t0 = performance.now();
  await client.connect();
  await client.query('select 1');
  const ms = performance.now() - t0;
  await client.end();
  return ms;
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round2 = (x: number) => +x.toFixed(2);

async function pgbenchConnectRate(env: NodeJS.ProcessEnv, args: string[]): Promise<{ tps: number; latencyMs: number }> {
  const { stdout } = await run(
    join(PG_BIN, 'pgbench'),
    [...args, '-S', '-C', '-M', 'simple', '-c', '4', '-j', '2', '-T', String(SECONDS), '--no-vacuum', 'postgres'],
    { env, maxBuffer: 16 << 20 },
  );
  return {
    tps: Math.round(Number(/tps = ([\d.]+)/.exec(stdout)?.[1])),
    latencyMs: Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]),
  };
}

async function main(): Promise<void> {
  const tlsPg = await startTlsPostgres();
  const { db, pki, scratch } = tlsPg;
  const proxies: MeteredProxy[] = [];
  let bouncer: Awaited<ReturnType<typeof startPgbouncer>> | null = null;
  try {
    await run(join(PG_BIN, 'pgbench'), ['-i', '-q', '-s', '2', '-h', db.host, '-p', String(db.port), '-U', 'postgres', 'postgres']);
    const loadAtStart = loadavg().map(round2);
    const cold = await startProxy([], db.port, pki.caPath);
    const warm = await startProxy(['--warm-connections', '2'], db.port, pki.caPath);
    const pooled = await startProxy(['--warm-connections', '4', '--reuse-connections'], db.port, pki.caPath);
    proxies.push(cold, warm, pooled);
    // Its server connection stays in the pool between samples.
    bouncer = await startPgbouncer(scratch, db, pki.caPath, 600);

    // 1. First select: direct TLS vs the proxy cold vs a warm hit.
    const ca = readFileSync(pki.caPath, 'utf8');
    const configs: Record<FirstSelectPath, pg.ClientConfig> = {
      direct: { host: '127.0.0.1', port: db.port, user: 'postgres', database: 'postgres', ssl: { ca, servername: BENCH_HOST, rejectUnauthorized: true } },
      cold: { host: cold.proxy.host, port: cold.proxy.port, user: 'postgres', database: 'postgres' },
      warm: { host: warm.proxy.host, port: warm.proxy.port, user: 'postgres', database: 'postgres' },
      plain: { host: '127.0.0.1', port: db.port, user: 'postgres', database: 'postgres', ssl: false },
      pgbouncer: { host: '127.0.0.1', port: bouncer.port, user: 'postgres', database: 'postgres', ssl: false },
    };
    // A first session of each kind, unmeasured: loads code paths, and makes the warm key known.
    for (const config of Object.values(configs)) await firstSelect(config);
    const samples: Record<FirstSelectPath, number[]> = { direct: [], cold: [], warm: [], plain: [], pgbouncer: [] };
    const order: FirstSelectPath[] = ['direct', 'cold', 'warm', 'plain', 'pgbouncer'];
    for (let i = 0; i < SAMPLES; i++) {
      for (let k = 0; k < order.length; k++) {
        const path = order[(i + k) % order.length];
        if (path === 'warm') {
          for (let tries = 0; (await metric(warm, 'warm_connections_idle')) < 1; tries++) {
            if (tries > 200) throw new Error('no warm connection became idle');
            await new Promise((r) => setTimeout(r, 10));
          }
        }
        // Every sample starts from a settled machine: not on the heels of the previous sample's
        // teardown or of the metrics poll above (both wake the proxy and this process).
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        samples[path].push(await firstSelect(configs[path]));
      }
    }
    const hits = await metric(warm, 'warm_connection_requests_total', 'result="hit"');
    const firstSelectMs = Object.fromEntries(
      order.map((p) => [p, { median: round2(percentile(samples[p], 50)), p90: round2(percentile(samples[p], 90)), mean: round2(samples[p].reduce((a, b) => a + b, 0) / samples[p].length) }]),
    ) as Record<FirstSelectPath, { median: number; p90: number; mean: number }>;

    // 2. pgbench -C: direct TLS vs the proxy with warm connections and reuse, interleaved.
    const directEnv = { ...process.env, PGHOSTADDR: '127.0.0.1', PGSSLMODE: 'verify-full', PGSSLROOTCERT: pki.caPath, PGUSER: 'postgres' };
    const proxyEnv = { ...process.env, PGSSLMODE: 'disable', PGUSER: 'postgres' };
    const directC = await pgbenchConnectRate(directEnv, ['-h', BENCH_HOST, '-p', String(db.port)]);
    const pooledC = await pgbenchConnectRate(proxyEnv, ['-h', pooled.proxy.host, '-p', String(pooled.proxy.port)]);
    // The same over TLS to the proxy, as libpq's and pgJDBC's default sslmode (prefer) has it.
    const pooledTlsC = await pgbenchConnectRate({ ...proxyEnv, PGSSLMODE: 'require' }, ['-h', pooled.proxy.host, '-p', String(pooled.proxy.port)]);
    const coldC = await pgbenchConnectRate(proxyEnv, ['-h', cold.proxy.host, '-p', String(cold.proxy.port)]);
    const reused = await metric(pooled, 'warm_connections_added_total', 'source="reuse"');
    const logins = await metric(pooled, 'upstream_connect_duration_seconds_count', 'result="success"');

    const line = {
      date: new Date().toISOString(),
      label: LABEL,
      cpus: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg().map(round2),
      samples: SAMPLES,
      pgbenchSeconds: SECONDS,
      firstSelectMs,
      warmHits: hits,
      directOverWarmMedian: round2(firstSelectMs.direct.median / firstSelectMs.warm.median),
      directOverPgbouncerMedian: round2(firstSelectMs.direct.median / firstSelectMs.pgbouncer.median),
      connectPerTx: { direct: directC, proxyWarmReuse: pooledC, proxyWarmReuseTls: pooledTlsC, proxyCold: coldC },
      proxyWarmReuseOverDirect: round2(pooledC.tps / directC.tps),
      proxyWarmReuseTlsOverDirect: round2(pooledTlsC.tps / directC.tps),
      proxyWarmReuseLogins: logins,
      proxyWarmReuseReused: reused,
    };
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, 'warm-connections.jsonl'), JSON.stringify(line) + '\n');

    console.log(`load average: ${loadAtStart.join(' ')} at start, ${line.loadAverageAtEnd.join(' ')} at end`);
    console.log('| first select after TCP connect (ms) | median | p90 | mean |');
    console.log('|---|---|---|---|');
    for (const p of order) console.log(`| ${p} | ${firstSelectMs[p].median} | ${firstSelectMs[p].p90} | ${firstSelectMs[p].mean} |`);
    console.log(`direct TLS / warm hit (median): ${line.directOverWarmMedian}x (goal 10x); warm hits counted: ${hits} of ${SAMPLES + 1}`);
    console.log(`direct TLS / pgbouncer's pooled hit (median), for reference: ${line.directOverPgbouncerMedian}x`);
    console.log('');
    console.log('| pgbench -S -C -M simple, 4 clients | connections (tps) | latency ms |');
    console.log('|---|---|---|');
    console.log(`| direct TLS | ${directC.tps} | ${directC.latencyMs} |`);
    console.log(`| proxy --warm-connections 4 --reuse-connections | ${pooledC.tps} | ${pooledC.latencyMs} |`);
    console.log(`| the same, clients over TLS (sslmode=require) | ${pooledTlsC.tps} | ${pooledTlsC.latencyMs} |`);
    console.log(`| proxy, no warm connections | ${coldC.tps} | ${coldC.latencyMs} |`);
    console.log(`proxy with reuse / direct TLS: ${line.proxyWarmReuseOverDirect}x (goal 20x), clients over TLS ${line.proxyWarmReuseTlsOverDirect}x; cluster logins ${logins}, reuses ${reused}`);
  } finally {
    for (const p of proxies) await p.proxy.stop();
    bouncer?.child.kill();
    await tlsPg.stop();
  }
}

await main();
