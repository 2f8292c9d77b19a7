// Side-by-side relay benchmark: pgbench -S over plain TCP to the middle process, against
//   direct     PostgreSQL 15 itself over TLS (verify-full, SNI): no middle process
//   pgbouncer  Debian pgbouncer in session mode, TLS (verify-full) to the same PostgreSQL
//   pgbouncerControl  a second, identical pgbouncer measured in the same rounds: its ratio to the
//              first is what two equal relays score here, the benchmark's resolution
//              (RELAY_BENCH_CONTROL=0 leaves it out)
//   proxy      `aurora-pg-proxy dsql --connect-to` the same PostgreSQL (TLS, SNI, verification),
//              with the default --relay-engine auto: the native C relay for clients on plain TCP,
//              which pgbench is here
//   proxyEpoll  the same proxy with `--relay-io epoll`: the native relay waiting on sockets with
//              epoll, where the default takes io_uring when the kernel allows it
//              (RELAY_BENCH_EPOLL=0 leaves it out)
//   proxyNodeEngine  the same proxy with `--relay-engine node`: the JavaScript relay of the same
//              build (RELAY_BENCH_NODE_ENGINE=0 leaves it out)
//   proxyWorkers  the same with `--workers N` (RELAY_BENCH_WORKERS, default 2; 0 leaves it out):
//              its CPU is the primary's and all its workers' together
//   nodeFloor  bench/bare-node-relay.ts: the same sockets and read buffers as the proxy's relay
//              and nothing else, the floor of any relay written in Node (RELAY_BENCH_NODE_FLOOR=0
//              leaves it out)
//   epollFloor, uringFloor  bench/relay-floor.c: a C relay that only moves bytes, with the same
//              TLS to the server, waiting on sockets with epoll (as the proxy and pgbouncer do) or
//              with io_uring: what a round trip costs any relay of either kind on this machine
//              (RELAY_BENCH_C_FLOOR=0 leaves them out; building them needs gcc, liburing and
//              OpenSSL headers, installed from Debian when missing)
// for -M simple and -M prepared at 1, 8 and 32 clients, rounds interleaved so that the noise of a
// shared machine falls on every path alike, plus new-connection-per-transaction (-C) rates.
// Besides tps and latency it reports the middle process's CPU time per transaction, read from
// /proc/<pid>/stat before and after each run: on a busy machine that is the steadier figure.
//
// Every run starts on a PostgreSQL with no backend left from the run before: pgbouncer closes its
// idle server connections after a second, and the benchmark waits until they are gone. Without
// that, pgbouncer's 32 idle backends sat in PostgreSQL while the other paths ran, and every
// snapshot and visibility check of those runs scanned them too (seen with perf as PostgreSQL's own
// CPU per transaction rising behind the proxy, not the proxy's).
//
// PostgreSQL terminates TLS itself here (with a certificate for the cluster name and 127.0.0.1)
// rather than sitting behind the DSQL stand-in, because the stand-in is a Node relay of its own
// and would add its cost to the proxy's path only. PostgreSQL trusts loopback logins, so the
// signed token is not checked here; the stand-in's tests cover that.
//
// Usage: npm run bench:relay   (environment: RELAY_BENCH_SECONDS, default 3; RELAY_BENCH_ROUNDS,
// default 1; RELAY_BENCH_CLIENTS, default "1,8,32"; RELAY_BENCH_LABEL, a note stored with the
// results; RELAY_BENCH_PROXY_ARGS, extra proxy flags; RELAY_BENCH_BASELINE_CLI, the
// bin/aurora-pg-proxy.js of another build (e.g. an older commit's, built with node_modules linked)
// measured as another path in the same rounds, for before/after figures; RELAY_BENCH_WORKERS, the
// --workers of the proxyWorkers path; RELAY_BENCH_NODE_FLOOR=0, leave out the nodeFloor path;
// RELAY_BENCH_NODE_ENGINE=0, leave out the proxyNodeEngine path; RELAY_BENCH_CONTROL=0, leave out
// the pgbouncerControl path; RELAY_BENCH_PATHS, a comma list of the paths to measure (pgbouncer
// and proxy are always measured), e.g. "pgbouncer,pgbouncerControl,proxy" for many rounds of the
// comparison that matters in reasonable time; RELAY_BENCH_PROFILE_DIR, write a
// CPU profile of the proxy and of the proxyNodeEngine proxy there, proxy-<pid>.cpuprofile, the pids
// printed at the start). Results: bench/results/relay-compare.jsonl.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { PG_BIN } from '../test/harness/postgres.js';
import { freePort } from '../test/harness/ports.js';
import { credentialEnv, isolatedAwsEnv, startProxyProcess, REPO_ROOT, type ProxyProcess } from '../test/harness/proxy-process.js';
import { BENCH_HOST, startTlsPostgres } from './tls-postgres.js';
import { startPgbouncer } from './pgbouncer.js';
import { buildFloor, startFloor } from './c-floor.js';
import { median } from './interleaved.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.RELAY_BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.RELAY_BENCH_ROUNDS ?? 1);
const CLIENTS = (process.env.RELAY_BENCH_CLIENTS ?? '1,8,32').split(',').filter(Boolean).map(Number);
const LABEL = process.env.RELAY_BENCH_LABEL ?? '';
const HOST = BENCH_HOST;
const CLOCK_TICKS = 100; // USER_HZ on Linux
const PATHS = process.env.RELAY_BENCH_PATHS ? new Set(process.env.RELAY_BENCH_PATHS.split(',').concat('pgbouncer', 'proxy')) : null;

type Path =
  | 'direct'
  | 'pgbouncer'
  | 'pgbouncerControl'
  | 'proxy'
  | 'proxyNodeEngine'
  | 'proxyEpoll'
  | 'proxyWorkers'
  | 'proxyBaseline'
  | 'nodeFloor'
  | 'epollFloor'
  | 'uringFloor';
/** Whether a path is measured: its own switch, then RELAY_BENCH_PATHS when given. */
const measured = (path: Path, on = true): boolean => on && (PATHS === null || PATHS.has(path));
const NODE_FLOOR = measured('nodeFloor', process.env.RELAY_BENCH_NODE_FLOOR !== '0');
const C_FLOORS = (['epollFloor', 'uringFloor'] as const).filter((p) => measured(p, process.env.RELAY_BENCH_C_FLOOR !== '0'));
const NODE_ENGINE = measured('proxyNodeEngine', process.env.RELAY_BENCH_NODE_ENGINE !== '0');
const EPOLL = measured('proxyEpoll', process.env.RELAY_BENCH_EPOLL !== '0');
const CONTROL = measured('pgbouncerControl', process.env.RELAY_BENCH_CONTROL !== '0');
const DIRECT = measured('direct');
const WORKERS = measured('proxyWorkers') ? Number(process.env.RELAY_BENCH_WORKERS ?? 2) : 0;
interface Target {
  path: Path;
  /** The middle process whose CPU is measured; none for direct. */
  pid?: number;
  /** Count the CPU of the process's children too (the workers of --workers). */
  withChildren?: boolean;
  env: NodeJS.ProcessEnv;
  args: string[];
}

interface Measurement {
  tps: number;
  latencyMs: number;
  cpuUsPerTx?: number;
  /** The part of cpuUsPerTx spent in the kernel (socket calls, loopback TCP). */
  systemCpuUsPerTx?: number;
  /** With --workers: the part of cpuUsPerTx spent by the primary (accepting, handing out connections). */
  primaryCpuUsPerTx?: number;
}

/** User and system CPU ticks of a process (all its threads), and of its live children if asked. */
function cpuTicks(pid: number, withChildren = false): { user: number; system: number } {
  if (withChildren) {
    const total = cpuTicks(pid);
    for (const child of childPids(pid)) {
      const t = cpuTicks(child);
      total.user += t.user;
      total.system += t.system;
    }
    return total;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime, stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const NO_TICKS = { user: 0, system: 0 };
const perTx = (ticks: number, transactions: number) => +(((ticks / CLOCK_TICKS) * 1e6) / transactions).toFixed(1);

async function pgbench(target: Target, extra: string[]): Promise<Measurement> {
  const before = target.pid ? cpuTicks(target.pid, target.withChildren) : NO_TICKS;
  const primaryBefore = target.pid && target.withChildren ? cpuTicks(target.pid) : NO_TICKS;
  const { stdout } = await run(join(PG_BIN, 'pgbench'), [...target.args, ...extra, '-T', String(SECONDS), '--no-vacuum', 'postgres'], {
    env: target.env,
    maxBuffer: 16 << 20,
  });
  const after = target.pid ? cpuTicks(target.pid, target.withChildren) : NO_TICKS;
  const primaryAfter = target.pid && target.withChildren ? cpuTicks(target.pid) : NO_TICKS;
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
  const m: Measurement = { tps: Math.round(tps), latencyMs };
  if (target.pid && transactions > 0) {
    m.cpuUsPerTx = perTx(after.user + after.system - before.user - before.system, transactions);
    m.systemCpuUsPerTx = perTx(after.system - before.system, transactions);
    if (target.withChildren) m.primaryCpuUsPerTx = perTx(primaryAfter.user + primaryAfter.system - primaryBefore.user - primaryBefore.system, transactions);
  }
  return m;
}

/**
 * Waits until PostgreSQL has no client backend besides the watcher's own: the previous run's
 * connections (pgbouncer's pool, the proxy's cluster connections) are gone. Returns how many were
 * still there when the wait gave up.
 */
async function settleBackends(watcher: pg.Client, maxWaitMs = 15_000): Promise<number> {
  const deadline = performance.now() + maxWaitMs;
  for (;;) {
    const { rows } = await watcher.query<{ n: string }>(
      "select count(*) as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()",
    );
    const left = Number(rows[0].n);
    if (left === 0 || performance.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The bare Node relay (bench/bare-node-relay.ts) in front of the TLS PostgreSQL. */
async function startNodeFloor(dbPort: number, caPath: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'bare-node-relay.ts'), String(port), String(dbPort), caPath, HOST], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the bare Node relay exited (${code})`)));
  });
  return { port, child };
}

/** With RELAY_BENCH_PROFILE_DIR set, the proxy writes a .cpuprofile there when it exits. */
function profilingEnv(): Record<string, string> {
  const dir = process.env.RELAY_BENCH_PROFILE_DIR;
  if (!dir) return {};
  return { RELAY_BENCH_PROFILE_DIR: dir, NODE_OPTIONS: `--require ${join(REPO_ROOT, 'bench', 'cpu-profile-preload.cjs')}` };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function summarise(samples: Measurement[]): Measurement {
  const m: Measurement = { tps: Math.round(mean(samples.map((s) => s.tps))), latencyMs: +mean(samples.map((s) => s.latencyMs)).toFixed(3) };
  const cpu = samples.flatMap((s) => (s.cpuUsPerTx === undefined ? [] : [s.cpuUsPerTx]));
  if (cpu.length > 0) m.cpuUsPerTx = +mean(cpu).toFixed(1);
  const sys = samples.flatMap((s) => (s.systemCpuUsPerTx === undefined ? [] : [s.systemCpuUsPerTx]));
  if (sys.length > 0) m.systemCpuUsPerTx = +mean(sys).toFixed(1);
  const primary = samples.flatMap((s) => (s.primaryCpuUsPerTx === undefined ? [] : [s.primaryCpuUsPerTx]));
  if (primary.length > 0) m.primaryCpuUsPerTx = +mean(primary).toFixed(1);
  return m;
}

async function main(): Promise<void> {
  const tlsPg = await startTlsPostgres();
  const { db, pki, scratch } = tlsPg;
  let watcher: pg.Client | null = null;
  let bouncer: { port: number; child: ChildProcess } | null = null;
  let control: { port: number; child: ChildProcess } | null = null;
  let proxy: ProxyProcess | null = null;
  let nodeEngineProxy: ProxyProcess | null = null;
  let epollProxy: ProxyProcess | null = null;
  let baseline: ProxyProcess | null = null;
  let workersProxy: ProxyProcess | null = null;
  let nodeFloor: { port: number; child: ChildProcess } | null = null;
  const cFloors: Array<{ path: Path; port: number; child: ChildProcess }> = [];
  let stopping: Promise<void> | null = null;
  const stopEverything = () =>
    (stopping ??= (async () => {
      await proxy?.stop();
      await nodeEngineProxy?.stop();
      await epollProxy?.stop();
      await baseline?.stop();
      await workersProxy?.stop();
      nodeFloor?.child.kill();
      for (const f of cFloors) f.child.kill();
      for (const b of [bouncer, control]) {
        if (!b) continue;
        b.child.kill('SIGINT');
        await new Promise((r) => (b.child.exitCode !== null ? r(null) : b.child.once('exit', r)));
      }
      await watcher?.end().catch(() => undefined);
      await tlsPg.stop();
    })());
  // A run stopped half-way (Ctrl-C, kill) stops what it started too: the proxies, pgbouncers,
  // floors and PostgreSQL otherwise outlive it and weigh on whatever runs next.
  // Every signal is caught: a terminal's Ctrl-C reaches this process twice (tsx passes it on too).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopEverything().finally(() => process.exit(130)));
  try {
    await run(join(PG_BIN, 'pgbench'), ['-i', '-q', '-s', '2', '-h', db.host, '-p', String(db.port), '-U', 'postgres', 'postgres']);
    // Idle server connections go a second after a run, so that they do not weigh on the next path's.
    bouncer = await startPgbouncer(scratch, db, pki.caPath, 1);
    if (CONTROL) control = await startPgbouncer(scratch, db, pki.caPath, 1, 'pgbouncer-control');
    const extraProxyArgs = (process.env.RELAY_BENCH_PROXY_ARGS ?? '').split(' ').filter(Boolean);
    proxy = await startProxyProcess(
      ['dsql', '--host', HOST, '--connect-to', `127.0.0.1:${db.port}`, '--upstream-ca', pki.caPath, '--max-connections', '500', ...extraProxyArgs],
      { env: isolatedAwsEnv({ ...credentialEnv(), ...profilingEnv() }) },
    );
    if (NODE_ENGINE) {
      // Started like the proxy (profiled too, when asked, so the two stay comparable); the flag
      // comes last so that it wins over any --relay-engine in RELAY_BENCH_PROXY_ARGS.
      nodeEngineProxy = await startProxyProcess(
        ['dsql', '--host', HOST, '--connect-to', `127.0.0.1:${db.port}`, '--upstream-ca', pki.caPath, '--max-connections', '500', ...extraProxyArgs, '--relay-engine', 'node'],
        { env: isolatedAwsEnv({ ...credentialEnv(), ...profilingEnv() }) },
      );
    }
    if (EPOLL) {
      epollProxy = await startProxyProcess(
        ['dsql', '--host', HOST, '--connect-to', `127.0.0.1:${db.port}`, '--upstream-ca', pki.caPath, '--max-connections', '500', ...extraProxyArgs, '--relay-io', 'epoll'],
        { env: isolatedAwsEnv(credentialEnv()) },
      );
    }
    if (process.env.RELAY_BENCH_PROFILE_DIR) {
      console.log(`CPU profiles: proxy pid ${proxy.child.pid}${nodeEngineProxy ? `, proxy --relay-engine node pid ${nodeEngineProxy.child.pid}` : ''}`);
    }
    if (WORKERS > 0) {
      workersProxy = await startProxyProcess(
        ['dsql', '--host', HOST, '--connect-to', `127.0.0.1:${db.port}`, '--upstream-ca', pki.caPath, '--max-connections', '500', '--workers', String(WORKERS), ...extraProxyArgs],
        { env: isolatedAwsEnv(credentialEnv()), readyPattern: /all \d+ workers listening/, readyTimeoutMs: 60_000 },
      );
    }
    const baselineCli = process.env.RELAY_BENCH_BASELINE_CLI;
    if (baselineCli) {
      baseline = await startProxyProcess(
        ['dsql', '--host', HOST, '--connect-to', `127.0.0.1:${db.port}`, '--upstream-ca', pki.caPath, '--max-connections', '500'],
        { env: isolatedAwsEnv(credentialEnv()), cli: baselineCli },
      );
    }
    if (NODE_FLOOR) nodeFloor = await startNodeFloor(db.port, pki.caPath);
    if (C_FLOORS.length > 0) {
      const binary = await buildFloor();
      for (const path of C_FLOORS) {
        try {
          cFloors.push({ path, ...(await startFloor(binary, path === 'epollFloor' ? 'epoll' : 'uring', db.port, pki.caPath, HOST)) });
        } catch (err) {
          console.log(`note: ${path} left out: ${(err as Error).message}`); // io_uring may be off (a container's seccomp profile)
        }
      }
    }
    const plainEnv = { ...process.env, PGSSLMODE: 'disable', PGUSER: 'postgres' };
    const targets: Target[] = [];
    if (DIRECT) {
      targets.push({
        path: 'direct',
        env: { ...process.env, PGHOSTADDR: '127.0.0.1', PGSSLMODE: 'verify-full', PGSSLROOTCERT: pki.caPath, PGUSER: 'postgres' },
        args: ['-h', HOST, '-p', String(db.port)],
      });
    }
    targets.push({ path: 'pgbouncer', pid: bouncer.child.pid, env: plainEnv, args: ['-h', '127.0.0.1', '-p', String(bouncer.port)] });
    if (control) targets.push({ path: 'pgbouncerControl', pid: control.child.pid, env: plainEnv, args: ['-h', '127.0.0.1', '-p', String(control.port)] });
    targets.push({ path: 'proxy', pid: proxy.child.pid, env: plainEnv, args: ['-h', proxy.host, '-p', String(proxy.port)] });
    if (epollProxy) targets.push({ path: 'proxyEpoll', pid: epollProxy.child.pid, env: plainEnv, args: ['-h', epollProxy.host, '-p', String(epollProxy.port)] });
    if (nodeEngineProxy) {
      targets.push({ path: 'proxyNodeEngine', pid: nodeEngineProxy.child.pid, env: plainEnv, args: ['-h', nodeEngineProxy.host, '-p', String(nodeEngineProxy.port)] });
    }
    if (workersProxy) {
      targets.push({ path: 'proxyWorkers', pid: workersProxy.child.pid, withChildren: true, env: plainEnv, args: ['-h', workersProxy.host, '-p', String(workersProxy.port)] });
    }
    if (nodeFloor) {
      targets.push({ path: 'nodeFloor', pid: nodeFloor.child.pid, env: plainEnv, args: ['-h', '127.0.0.1', '-p', String(nodeFloor.port)] });
    }
    for (const f of cFloors) targets.push({ path: f.path, pid: f.child.pid, env: plainEnv, args: ['-h', '127.0.0.1', '-p', String(f.port)] });
    if (baseline) {
      targets.push({ path: 'proxyBaseline', pid: baseline.child.pid, env: plainEnv, args: ['-h', baseline.host, '-p', String(baseline.port)] });
    }

    const cases: Array<{ name: string; extra: string[] }> = [];
    for (const clients of CLIENTS) {
      const threads = String(Math.min(clients, 2));
      for (const mode of ['simple', 'prepared']) {
        cases.push({ name: `${mode}-${clients}`, extra: ['-S', '-M', mode, '-c', String(clients), '-j', threads] });
      }
    }
    // Measured on every target like the other cases, proxyNodeEngine included: with a new
    // connection per transaction the login dominates, and the relay engine only moves its bytes.
    cases.push({ name: 'connect-per-tx-simple-4', extra: ['-S', '-C', '-M', 'simple', '-c', '4', '-j', '2'] });

    watcher = new pg.Client({ host: '127.0.0.1', port: db.port, user: 'postgres', database: 'postgres', ssl: false });
    await watcher.connect();
    const samples = new Map<string, Measurement[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        // Interleaved, and the order rotated each round, so no path always runs first.
        const order = targets.map((_, i) => targets[(i + round) % targets.length]);
        for (const t of order) {
          const left = await settleBackends(watcher);
          if (left > 0) console.log(`note: ${left} backends of the previous run still open before ${c.name}/${t.path}`);
          const m = await pgbench(t, c.extra);
          const key = `${c.name}/${t.path}`;
          samples.set(key, [...(samples.get(key) ?? []), m]);
          console.log(`round ${round + 1} ${key}: ${JSON.stringify(m)}`);
        }
      }
    }

    const results: Record<string, Record<string, unknown>> = {};
    for (const c of cases) {
      const row: Record<string, unknown> = {};
      for (const t of targets) row[t.path] = summarise(samples.get(`${c.name}/${t.path}`)!);
      const p = row.proxy as Measurement;
      const b = row.pgbouncer as Measurement;
      row.proxyOverPgbouncerTps = +(p.tps / b.tps).toFixed(2);
      // Each round's pair ran minutes apart at most, under the same load: their ratio, round by
      // round, is steadier than the ratio of the means.
      row.proxyOverPgbouncerByRound = pairedRatios(samples, c.name, 'proxy');
      if (control) row.controlOverPgbouncerByRound = pairedRatios(samples, c.name, 'pgbouncerControl');
      if (row.proxyNodeEngine) {
        const n = row.proxyNodeEngine as Measurement;
        row.proxyNodeEngineOverPgbouncerTps = +(n.tps / b.tps).toFixed(2);
        row.proxyOverNodeEngineTps = +(p.tps / n.tps).toFixed(2);
      }
      if (row.proxyEpoll) row.proxyEpollOverPgbouncerByRound = pairedRatios(samples, c.name, 'proxyEpoll');
      if (row.proxyWorkers) row.proxyWorkersOverPgbouncerTps = +((row.proxyWorkers as Measurement).tps / b.tps).toFixed(2);
      if (row.nodeFloor) row.nodeFloorOverPgbouncerTps = +((row.nodeFloor as Measurement).tps / b.tps).toFixed(2);
      if (row.uringFloor && row.epollFloor) row.uringOverEpollFloorByRound = pairedRatios(samples, c.name, 'uringFloor', 'epollFloor');
      if (row.proxyBaseline) row.proxyOverBaselineTps = +(p.tps / (row.proxyBaseline as Measurement).tps).toFixed(2);
      results[c.name] = row;
    }
    const line = {
      date: new Date().toISOString(),
      label: LABEL,
      cpus: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAverageAtEnd: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)),
      seconds: SECONDS,
      rounds: ROUNDS,
      proxyArgs: extraProxyArgs,
      workers: WORKERS,
      nodeEngine: NODE_ENGINE,
      control: CONTROL,
      paths: targets.map((t) => t.path),
      results,
    };
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, 'relay-compare.jsonl'), JSON.stringify(line) + '\n');
    printTable(results);
  } finally {
    await stopEverything();
  }
}

/** Per round: `path`'s tps and CPU per transaction over `base`'s of the same round, and their medians. */
function pairedRatios(samples: Map<string, Measurement[]>, name: string, path: Path, base: Path = 'pgbouncer') {
  const mine = samples.get(`${name}/${path}`)!;
  const bouncer = samples.get(`${name}/${base}`)!;
  const tps = mine.map((m, i) => +(m.tps / bouncer[i].tps).toFixed(2));
  const cpu = mine.flatMap((m, i) => (m.cpuUsPerTx && bouncer[i].cpuUsPerTx ? [+(m.cpuUsPerTx / bouncer[i].cpuUsPerTx!).toFixed(2)] : []));
  return { tps, cpu, tpsMedian: median(tps), cpuMedian: cpu.length > 0 ? median(cpu) : undefined };
}

type Paired = ReturnType<typeof pairedRatios>;

function printTable(results: Record<string, Record<string, unknown>>): void {
  // "proxy" is the default engine (native for pgbench's plain TCP); "node engine" is --relay-engine node.
  console.log(
    `| case | direct TLS tps | pgbouncer tps | control pgbouncer tps | proxy tps | proxy node engine tps | proxy --workers ${WORKERS} tps | Node floor tps | proxy/pgbouncer | per round: proxy/pgbouncer tps, median (CPU) | per round: control/pgbouncer tps, median (CPU) | workers/pgbouncer | CPU µs/tx pgbouncer / proxy / proxy --workers ${WORKERS} / Node floor (of which kernel) | CPU µs/tx proxy node engine (of which kernel) | baseline proxy tps, CPU µs/tx | C floors epoll / io_uring: tps, CPU µs/tx | per round: io_uring/epoll floor tps, median (CPU) |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, row] of Object.entries(results)) {
    const d = row.direct as Measurement | undefined;
    const b = row.pgbouncer as Measurement;
    const c = row.pgbouncerControl as Measurement | undefined;
    const p = row.proxy as Measurement;
    const n = row.proxyNodeEngine as Measurement | undefined;
    const w = row.proxyWorkers as Measurement | undefined;
    const f = row.nodeFloor as Measurement | undefined;
    const base = row.proxyBaseline as Measurement | undefined;
    const baseText = base ? `${base.tps}, ${base.cpuUsPerTx} (${base.systemCpuUsPerTx})` : '';
    const cpu = (m?: Measurement) => (m ? `${m.cpuUsPerTx ?? ''} (${m.systemCpuUsPerTx ?? ''})` : '');
    const floor = (m?: Measurement) => (m ? `${m.tps}, ${cpu(m)}` : '');
    const e = row.epollFloor as Measurement | undefined;
    const u = row.uringFloor as Measurement | undefined;
    const paired = (r?: Paired) => (r ? `${r.tps.join(' ')}: **${r.tpsMedian}** (${r.cpuMedian ?? ''})` : '');
    console.log(
      `| ${name} | ${d?.tps ?? ''} | ${b.tps} | ${c?.tps ?? ''} | ${p.tps} | ${n?.tps ?? ''} | ${w?.tps ?? ''} | ${f?.tps ?? ''} | ${row.proxyOverPgbouncerTps} | ${paired(row.proxyOverPgbouncerByRound as Paired)} | ${paired(row.controlOverPgbouncerByRound as Paired | undefined)} | ${row.proxyWorkersOverPgbouncerTps ?? ''} | ${cpu(b)} / ${cpu(p)} / ${cpu(w)} / ${cpu(f)} | ${cpu(n)} | ${baseText} | ${floor(e)} / ${floor(u)} | ${paired(row.uringOverEpollFloorByRound as Paired | undefined)} |`,
    );
  }
}

await main();
