// Memory under repeated load: MEMORY_ROUNDS rounds (default 5) of MEMORY_SECONDS (default 30)
// with MEMORY_CLIENTS (default 50) node-postgres clients through the Data API proxy, against the
// emulator over a throwaway PostgreSQL. Emulator and proxy run in processes of their own, so
// the RSS read from /proc/<pid>/status is the proxy's alone. The clients mix the simple and the
// extended protocol, small statements and results of several MiB (over the Data API's 1 MiB
// response cap: outside a transaction the proxy reads those again through a cursor, a page at a
// time), and reconnect now and then so that sessions come and go. Between rounds the load stops
// for MEMORY_IDLE_SECONDS (default 5) and the proxy's RSS and V8 heap (its prom-client default
// metrics) are sampled. Goal: RSS after the last round within 10% of RSS after the first.
// Appended to bench/results/data-api-memory.jsonl with the load average.
//   npm run bench:memory              (MEMORY_SECONDS=5 MEMORY_CLIENTS=10 for a smoke run)
// MEMORY_HEAPSNAPSHOTS=1 starts the proxy with --heapsnapshot-signal=SIGUSR2 and writes a heap
// snapshot into bench/results/heap/ after each round, for comparing in Chrome DevTools.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, REPO_ROOT } from '../test/harness/proxy-process.js';

const ROUNDS = Number(process.env.MEMORY_ROUNDS ?? 5);
const SECONDS = Number(process.env.MEMORY_SECONDS ?? 30);
const CLIENTS = Number(process.env.MEMORY_CLIENTS ?? 50);
const IDLE_SECONDS = Number(process.env.MEMORY_IDLE_SECONDS ?? 5);
/** Rows of the large result: ~2 KiB each, so about 3 MiB of text in all. */
const LARGE_ROWS = Number(process.env.MEMORY_LARGE_ROWS ?? 1500);
/** One statement in this many returns the large result. */
const LARGE_EVERY = Number(process.env.MEMORY_LARGE_EVERY ?? 6);
/** A client reconnects after this many statements. */
const STATEMENTS_PER_SESSION = Number(process.env.MEMORY_STATEMENTS_PER_SESSION ?? 8);
const SNAPSHOTS = process.env.MEMORY_HEAPSNAPSHOTS === '1';
const RESOURCE_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:memory';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:memory';
const RESULTS = join(REPO_ROOT, 'bench', 'results');

const LARGE_SQL = (n: string) => `select g as id, repeat(md5(g::text), 64) as pad from generate_series(1, ${n}) g`;

/** The statements a client sends, one picked per turn: [protocol, size, run]. */
type Work = (c: pg.Client, turn: number) => Promise<number>;
const small: Record<'simple' | 'extended', Work> = {
  simple: async (c, turn) => (await c.query(`select ${turn} as n, now() as at`)).rowCount ?? 0,
  // A named prepared statement: parsed once per session, then Bind/Execute only.
  extended: async (c, turn) => (await c.query({ name: 'small', text: 'select $1::int + 1 as n, current_user as who', values: [turn] })).rowCount ?? 0,
};
const large: Record<'simple' | 'extended', Work> = {
  simple: async (c) => (await c.query(LARGE_SQL(String(LARGE_ROWS)))).rowCount ?? 0,
  extended: async (c) => (await c.query({ text: LARGE_SQL('$1::int'), values: [LARGE_ROWS] })).rowCount ?? 0,
};
/** A client's own transaction: the proxy keeps a Data API transaction open across statements. */
const inTransaction: Work = async (c, turn) => {
  await c.query('begin');
  const r = await c.query({ text: 'select $1::int as n', values: [turn] });
  await c.query('commit');
  return r.rowCount ?? 0;
};

interface Tally {
  statements: number;
  largeResults: number;
  errors: Map<string, number>;
  sessions: number;
}

async function client(proxyPort: number, id: number, until: number, tally: Tally): Promise<void> {
  let turn = id;
  while (Date.now() < until) {
    const c = new pg.Client({ host: '127.0.0.1', port: proxyPort, user: 'postgres', database: 'postgres' });
    c.on('error', () => undefined); // reported through the failing query
    try {
      await c.connect();
      tally.sessions++;
      for (let i = 0; i < STATEMENTS_PER_SESSION && Date.now() < until; i++) {
        turn++;
        const protocol = turn % 2 === 0 ? 'simple' : 'extended';
        const isLarge = turn % LARGE_EVERY === 0;
        const work = isLarge ? large[protocol] : turn % 7 === 0 ? inTransaction : small[protocol];
        const rows = await work(c, turn);
        tally.statements++;
        if (isLarge) {
          tally.largeResults++;
          if (rows !== LARGE_ROWS) throw new Error(`large result had ${rows} rows, not ${LARGE_ROWS}`);
        }
      }
    } catch (err) {
      const key = (err as Error).message.slice(0, 160);
      tally.errors.set(key, (tally.errors.get(key) ?? 0) + 1);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
}

interface HeapKiB {
  heapUsedKiB: number;
  heapTotalKiB: number;
  externalKiB: number;
}

async function heapMetrics(metricsPort: number): Promise<HeapKiB> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const pick = (name: string, labels = '') => {
    const m = new RegExp(`^aurora_pg_proxy_${name}${labels.replace(/[{}"]/g, '\\$&')} ([\\d.e+]+)$`, 'm').exec(text);
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  };
  return {
    heapUsedKiB: pick('nodejs_heap_size_used_bytes'),
    heapTotalKiB: pick('nodejs_heap_size_total_bytes'),
    externalKiB: pick('nodejs_external_memory_bytes'),
  };
}

/** The emulator in a process of its own, with a PostgreSQL pool big enough for every client. */
async function startEmulatorProcess(postgresUrl: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const code = `
    const { startEmulator } = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'emulator', 'index.js'))});
    const e = await startEmulator({ postgresUrl: process.env.PG_URL, credentials: ${JSON.stringify(TEST_CREDENTIALS)}, region: 'us-east-1', port: 0, poolSize: ${CLIENTS + 10} });
    console.log('emulator ready ' + e.url);
    process.on('SIGTERM', () => e.stop().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, PG_URL: postgresUrl }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /emulator ready (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`emulator exited (${c}): ${out}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const db = await startPostgres();
const emulator = await startEmulatorProcess(db.url).catch(async (e: unknown) => {
  await db.stop();
  throw e;
});
const metricsPort = await freePort();
const heapDir = join(RESULTS, 'heap');
if (SNAPSHOTS) mkdirSync(heapDir, { recursive: true });
const proxy = await startProxyProcess(
  ['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', emulator.url, '--metrics-listen', `127.0.0.1:${metricsPort}`],
  { env: isolatedAwsEnv({ ...credentialEnv(), NODE_OPTIONS: SNAPSHOTS ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${heapDir}` : undefined }) },
).catch(async (e: unknown) => {
  await emulator.stop();
  await db.stop();
  throw e;
});
const pid = proxy.child.pid!;

try {
  const baseline = { rssKiB: rssKiB(pid), ...(await heapMetrics(metricsPort)) };
  console.log(`proxy pid ${pid}; idle before load: RSS ${baseline.rssKiB} KiB; ${ROUNDS} rounds × ${SECONDS} s × ${CLIENTS} clients`);
  const rounds = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const tally: Tally = { statements: 0, largeResults: 0, errors: new Map(), sessions: 0 };
    const until = Date.now() + SECONDS * 1000;
    let peakKiB = 0;
    const peakTimer = setInterval(() => (peakKiB = Math.max(peakKiB, rssKiB(pid))), 500);
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(proxy.port, i, until, tally)));
    clearInterval(peakTimer);
    await sleep(IDLE_SECONDS * 1000);
    const sample = {
      round,
      statements: tally.statements,
      largeResults: tally.largeResults,
      sessions: tally.sessions,
      errors: Object.fromEntries(tally.errors),
      peakRssKiB: peakKiB,
      rssKiB: rssKiB(pid),
      ...(await heapMetrics(metricsPort)),
      loadavg1: +loadavg()[0].toFixed(2),
    };
    if (SNAPSHOTS) {
      process.kill(pid, 'SIGUSR2');
      await sleep(3000);
    }
    rounds.push(sample);
    console.log(JSON.stringify(sample));
  }
  const ratio = +(rounds[rounds.length - 1].rssKiB / rounds[0].rssKiB).toFixed(3);
  const line = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    node: process.version,
    uptimeLoad: loadavg().map((l) => +l.toFixed(2)),
    rounds: ROUNDS,
    seconds: SECONDS,
    clients: CLIENTS,
    largeRows: LARGE_ROWS,
    baseline,
    perRound: rounds,
    rssRatioLastToFirst: ratio,
    goalMet: ratio <= 1.1,
    note: process.env.BENCH_NOTE,
  };
  mkdirSync(RESULTS, { recursive: true });
  appendFileSync(join(RESULTS, 'data-api-memory.jsonl'), JSON.stringify(line) + '\n');
  console.log('\nround  statements  large  sessions  errors  peak RSS MiB  RSS MiB  heap used MiB');
  for (const r of rounds) {
    const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
    console.log(
      [r.round, r.statements, r.largeResults, r.sessions, errors, (r.peakRssKiB / 1024).toFixed(1), (r.rssKiB / 1024).toFixed(1), (r.heapUsedKiB / 1024).toFixed(1)]
        .map((v, i) => String(v).padStart(i === 0 ? 5 : 10))
        .join('  '),
    );
  }
  console.log(`RSS after round ${ROUNDS} / after round 1: ${ratio} (goal ≤ 1.10)  load ${line.uptimeLoad.join(' ')}`);
} finally {
  await proxy.stop();
  await emulator.stop();
  await db.stop();
}
