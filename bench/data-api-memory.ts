// Memory under repeated load: MEMORY_ROUNDS rounds (default 5) of MEMORY_SECONDS (default 30)
// with MEMORY_CLIENTS (default 50) node-postgres clients through the Data API proxy, against the
// emulator over a throwaway PostgreSQL. Emulator and proxy run in processes of their own, so
// the RSS read from /proc/<pid>/status is the proxy's alone. The clients mix the simple and the
// extended protocol, small statements and results of several MiB (over the Data API's 1 MiB
// response cap: outside a transaction the proxy reads those again through a cursor, a page at a
// time), and reconnect now and then so that sessions come and go. Between rounds the load stops
// for MEMORY_IDLE_SECONDS (default 5) and the proxy's RSS and V8 heap (its prom-client default
// metrics) are sampled. Goal: RSS after the last round within 10% of RSS after the first.
// After that sample, bench/memory-hook.cjs (preloaded into the proxy, bench only) forces a full
// garbage collection and reports what survives it: the memory the proxy still holds.
// Appended to bench/results/data-api-memory.jsonl with the load average.
//   npm run bench:memory              (MEMORY_SECONDS=5 MEMORY_CLIENTS=10 for a smoke run)
// MEMORY_HEAPSNAPSHOTS=1 also writes a heap snapshot of the proxy after each round into
// bench/results/heap/ (not committed), for comparing in Chrome DevTools.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, REPO_ROOT, type ProxyProcess } from '../test/harness/proxy-process.js';

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

/** The sum of a gauge over all its label sets (NaN when the proxy does not export it). */
function gaugeSum(text: string, name: string): number {
  const values = [...text.matchAll(new RegExp(`^aurora_pg_proxy_${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'gm'))].map((m) => Number(m[1]));
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0);
}

/**
 * What should be gone once the load stops: the proxy's open client connections and
 * transactions (its metrics), and Data API transactions still open in PostgreSQL (a cursor's
 * transaction the proxy never ended would show up here, holding a connection).
 */
async function leftovers(metricsPort: number, postgresUrl: string): Promise<{ connectionsOpen: number; transactionsOpen: number; idleInTransaction: number }> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const direct = new pg.Client({ connectionString: postgresUrl });
  await direct.connect();
  try {
    const r = await direct.query("select count(*)::int as n from pg_stat_activity where state like 'idle in transaction%' and pid <> pg_backend_pid()");
    return { connectionsOpen: gaugeSum(text, 'client_connections_open'), transactionsOpen: gaugeSum(text, 'transactions_open'), idleInTransaction: r.rows[0].n };
  } finally {
    await direct.end();
  }
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

interface AfterGc {
  rssKiB: number;
  heapUsedKiB: number;
  externalKiB: number;
  arrayBuffersKiB: number;
}

/** Asks the proxy's memory hook for a full collection and reads its report. */
async function afterFullGc(p: ProxyProcess): Promise<AfterGc> {
  const seen = p.logRecords().filter((l) => l.msg === 'memory-hook').length;
  p.child.kill('SIGUSR2');
  for (let i = 0; i < 600; i++) {
    const reports = p.logRecords().filter((l) => l.msg === 'memory-hook');
    if (reports.length > seen) {
      const r = reports[reports.length - 1] as unknown as AfterGc;
      return { rssKiB: r.rssKiB, heapUsedKiB: r.heapUsedKiB, externalKiB: r.externalKiB, arrayBuffersKiB: r.arrayBuffersKiB };
    }
    await sleep(100);
  }
  throw new Error('the proxy did not answer the memory hook (bench/memory-hook.cjs)');
}

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
  {
    env: isolatedAwsEnv({
      ...credentialEnv(),
      NODE_OPTIONS: `--require ${join(REPO_ROOT, 'bench', 'memory-hook.cjs')}`,
      MEMORY_HEAPSNAPSHOT_DIR: SNAPSHOTS ? heapDir : undefined,
    }),
  },
).catch(async (e: unknown) => {
  await emulator.stop();
  await db.stop();
  throw e;
});
const pid = proxy.child.pid!;

try {
  const baseline = { rssKiB: rssKiB(pid), ...(await heapMetrics(metricsPort)), afterFullGc: await afterFullGc(proxy) };
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
      afterFullGc: await afterFullGc(proxy),
      leftovers: await leftovers(metricsPort, db.url),
      loadavg1: +loadavg()[0].toFixed(2),
    };
    rounds.push(sample);
    console.log(JSON.stringify(sample));
  }
  const ratio = +(rounds[rounds.length - 1].rssKiB / rounds[0].rssKiB).toFixed(3);
  const heapRatio = +(rounds[rounds.length - 1].afterFullGc.heapUsedKiB / rounds[0].afterFullGc.heapUsedKiB).toFixed(3);
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
    heapAfterGcRatioLastToFirst: heapRatio,
    goalMet: ratio <= 1.1,
    note: process.env.BENCH_NOTE,
  };
  mkdirSync(RESULTS, { recursive: true });
  appendFileSync(join(RESULTS, 'data-api-memory.jsonl'), JSON.stringify(line) + '\n');
  console.log('\nround  statements  large  sessions  errors  peak RSS MiB  RSS MiB  heap used MiB  after full GC: RSS MiB  heap MiB');
  for (const r of rounds) {
    const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
    console.log(
      [r.round, r.statements, r.largeResults, r.sessions, errors, (r.peakRssKiB / 1024).toFixed(1), (r.rssKiB / 1024).toFixed(1), (r.heapUsedKiB / 1024).toFixed(1), (r.afterFullGc.rssKiB / 1024).toFixed(1), (r.afterFullGc.heapUsedKiB / 1024).toFixed(1)]
        .map((v, i) => String(v).padStart(i === 0 ? 5 : 10))
        .join('  '),
    );
  }
  const leftover = rounds.filter((r) => !(r.leftovers.connectionsOpen + r.leftovers.transactionsOpen + r.leftovers.idleInTransaction === 0));
  if (leftover.length > 0) console.log(`LEFT OVER after rounds ${leftover.map((r) => r.round).join(', ')}: ${JSON.stringify(leftover.map((r) => r.leftovers))}`);
  console.log(`RSS after round ${ROUNDS} / after round 1: ${ratio} (goal ≤ 1.10); heap after full GC: ${heapRatio}; load ${line.uptimeLoad.join(' ')}`);
} finally {
  await proxy.stop();
  await emulator.stop();
  await db.stop();
}
