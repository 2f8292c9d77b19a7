// Soak: 50 pgbench clients (TPC-B-like script, scale 50) through the Data API proxy for SOAK_SECONDS (default 60) in each
// protocol (simple, extended and prepared), against the emulator over a throwaway PostgreSQL.
// The goal is no aborted client and no failed transaction; broken connections to the Data API
// the proxy saw (and retried or not) are read from its log, as are sessions that did not end
// `ok`. Results, with the load average, are appended to bench/results/data-api-soak.jsonl.
//   npm run bench:soak [-- simple,extended,prepared]   (SOAK_SECONDS=10 SOAK_CLIENTS=10 for a smoke run)
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPostgres, PG_BIN } from '../test/harness/postgres.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, REPO_ROOT } from '../test/harness/proxy-process.js';
import { startEmulator } from '../src/emulator/index.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 50);
// pgbench's own advice: a scale at least the number of clients, or every client queues on the
// same few branch rows (and waits past the Data API's 45-second statement limit).
const SCALE = Number(process.env.SOAK_SCALE ?? CLIENTS);
const modes = process.argv[2] ? process.argv[2].split(',') : ['simple', 'extended', 'prepared'];

const db = await startPostgres();
// One PostgreSQL connection per open Data API transaction: room for every client.
const emulator = await startEmulator({ postgresUrl: db.url, credentials: TEST_CREDENTIALS, region: 'us-east-1', poolSize: CLIENTS + 10 });
const proxy = await startProxyProcess(
  ['data-api', '--resource-arn', 'arn:aws:rds:us-east-1:123456789012:cluster:soak', '--secret-arn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:soak', '--endpoint-url', emulator.url],
  { env: isolatedAwsEnv(credentialEnv()) },
);
const summary: string[] = [];
try {
  await run(join(PG_BIN, 'pgbench'), ['-i', '-s', String(SCALE), '-q', '-h', db.host, '-p', String(db.port), '-U', 'postgres', 'postgres']);
  for (const mode of modes) {
    const before = proxy.logRecords().length;
    emulator.resetStats();
    const args = ['-M', mode, '-c', String(CLIENTS), '-j', '2', '-T', String(SECONDS), '--no-vacuum', '-h', proxy.host, '-p', String(proxy.port), '-U', 'postgres', 'postgres'];
    const out = await run(join(PG_BIN, 'pgbench'), args, { maxBuffer: 64 << 20 }).catch((e: { stdout: string; stderr: string; code: number }) => e);
    const all = `${out.stdout}\n${out.stderr}`;
    const logs = proxy.logRecords().slice(before);
    const transport = logs.filter((l) => l.msg === 'connection to the Data API failed');
    const closed = logs.filter((l) => l.msg === 'connection closed');
    const result = {
      date: new Date().toISOString(),
      cpus: cpus().length,
      node: process.version,
      mode,
      clients: CLIENTS,
      scale: SCALE,
      seconds: SECONDS,
      uptimeLoad: loadavg().map((l) => +l.toFixed(2)),
      tps: Number(/tps = ([\d.]+)/.exec(all)?.[1]),
      latencyMs: Number(/latency average = ([\d.]+) ms/.exec(all)?.[1]),
      transactions: Number(/actually processed: (\d+)/.exec(all)?.[1]),
      failedTransactions: Number(/number of failed transactions: (\d+)/.exec(all)?.[1] ?? 0),
      abortedClients: (all.match(/client \d+ (?:script \d+ )?aborted/g) ?? []).length,
      errors: [...new Set(all.match(/ERROR: [^\n]*/g) ?? [])].slice(0, 5),
      transportFailures: transport.length,
      transportFailuresNotRetried: transport.filter((l) => l.retried === false).length,
      sessionsNotOk: closed.filter((l) => l.outcome !== 'ok').length,
      dataApiCalls: emulator.stats().calls,
      note: process.env.BENCH_NOTE,
    };
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, 'data-api-soak.jsonl'), JSON.stringify(result) + '\n');
    console.log(JSON.stringify(result));
    summary.push(
      [mode, result.tps.toFixed(1), result.latencyMs, result.transactions, result.abortedClients, result.failedTransactions, result.transportFailures, result.sessionsNotOk, result.uptimeLoad[0]]
        .map((v) => String(v).padStart(10))
        .join(''),
    );
  }
  console.log(`\n${CLIENTS} clients, ${SECONDS} s, scale ${SCALE}`);
  console.log(['mode', 'tps', 'lat ms', 'txns', 'aborted', 'failed', 'transport', 'not ok', 'load'].map((h) => h.padStart(10)).join(''));
  for (const line of summary) console.log(line);
} finally {
  await proxy.stop();
  await emulator.stop();
  await db.stop();
}
