// Pipelined batches of 10,000 single-row INSERTs through the Data API proxy against the emulator
// (over a throwaway PostgreSQL), rounds interleaved:
//   - psycopg executemany and pgJDBC executeBatch (default options) with set-based batches (one
//     ExecuteStatement per JSON chunk of rows);
//   - the same with the previous path, reachable for every batch through the proxy's internal
//     APGP_BATCH_INSERT=batch-execute switch: BatchExecuteStatement (one INSERT per row on the
//     server) where every parameter is typed, as pgJDBC's are; psycopg leaves its str parameters
//     untyped, so its rounds ran one ExecuteStatement each (in one transaction);
//   - one INSERT per row (psycopg execute in autocommit): a sample of BENCH_INSERT_ROWS (1,000)
//     rows, the time extrapolated to 10,000 (the per-row cost is flat).
// Times are measured inside the clients (connection and JVM start excluded). Prints a summary
// table and appends a line to bench/results/batch-insert.jsonl.
//   npm run bench:batch
import { join } from 'node:path';
import { appendResult, runInterleaved } from './interleaved.js';
import { REPO_ROOT, type ProxyProcess } from '../test/harness/proxy-process.js';
import { startLoadStack } from './load-stack.js';
import { PYTHON, run } from '../test/harness/clients.js';

const ROWS = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const INSERT_ROWS = Math.min(ROWS, Number(process.env.BENCH_INSERT_ROWS ?? 1000));
const JDBC_JAR = '/usr/share/java/postgresql.jar';
const PY_CLIENT = join(REPO_ROOT, 'bench', 'batch_client.py');
const JAVA_CLIENT = join(REPO_ROOT, 'bench', 'BatchClient.java');

const stack = await startLoadStack({ APGP_BATCH_INSERT: 'batch-execute' });
const { proxies, direct } = stack;
await direct.query('CREATE TABLE bench_batch (id integer PRIMARY KEY, label text NOT NULL, amount numeric(12,2), at timestamptz, flag boolean, extra integer)');

async function load(what: string, rows: number, command: string, args: string[]): Promise<number> {
  await direct.query('TRUNCATE bench_batch');
  const r = await run(command, args, { timeoutMs: 900_000 });
  const ms = Number(r.stdout.trim().split('\n').at(-1));
  if (r.code !== 0 || !Number.isFinite(ms)) throw new Error(`${what} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  const got = Number((await direct.query('SELECT count(*) AS n FROM bench_batch')).rows[0].n);
  if (got !== rows) throw new Error(`${what} loaded ${got} rows, expected ${rows}`);
  return ms;
}

const libpq = (p: ProxyProcess) => `host=${p.host} port=${p.port} user=postgres dbname=postgres`;
const jdbc = (p: ProxyProcess) => `jdbc:postgresql://${p.host}:${p.port}/postgres`;

type Variant = 'executemanySetBased' | 'executemanyBatchExecute' | 'executeBatchSetBased' | 'executeBatchBatchExecute' | 'insertPerRow';
const runners: Record<Variant, () => Promise<number>> = {
  executemanySetBased: () => load('executemany (set-based)', ROWS, PYTHON, [PY_CLIENT, libpq(proxies.set), 'many', String(ROWS)]),
  executemanyBatchExecute: () => load('executemany (BatchExecuteStatement)', ROWS, PYTHON, [PY_CLIENT, libpq(proxies.batch), 'many', String(ROWS)]),
  executeBatchSetBased: () => load('executeBatch (set-based)', ROWS, 'java', ['-cp', JDBC_JAR, JAVA_CLIENT, jdbc(proxies.set), String(ROWS)]),
  executeBatchBatchExecute: () => load('executeBatch (BatchExecuteStatement)', ROWS, 'java', ['-cp', JDBC_JAR, JAVA_CLIENT, jdbc(proxies.batch), String(ROWS)]),
  insertPerRow: async () => ((await load('INSERT per row', INSERT_ROWS, PYTHON, [PY_CLIENT, libpq(proxies.set), 'each', String(INSERT_ROWS)])) * ROWS) / INSERT_ROWS,
};

try {
  const { ms, facts } = await runInterleaved(runners, ROUNDS, ['executemanySetBased', 'executeBatchBatchExecute']);
  const line = {
    ...facts,
    rows: ROWS,
    insertSampleRows: INSERT_ROWS,
  };
  appendResult('batch-insert.jsonl', line);
  console.log(`batch of ${ROWS} single-row INSERTs through the proxy (median of ${ROUNDS} rounds, load average ${line.loadavg1mBeforeAfter.join(' -> ')})`);
  const row = (v: Variant) => ({ ms: ms[v], 'x faster than INSERT per row': +(ms.insertPerRow / ms[v]).toFixed(1) });
  console.table({
    'psycopg executemany, set-based': row('executemanySetBased'),
    'psycopg executemany, previous path (a statement per row)': row('executemanyBatchExecute'),
    'pgJDBC executeBatch, set-based': row('executeBatchSetBased'),
    'pgJDBC executeBatch, previous path (BatchExecuteStatement)': row('executeBatchBatchExecute'),
    [`INSERT per row (${INSERT_ROWS === ROWS ? 'all rows' : `${INSERT_ROWS} rows extrapolated`})`]: row('insertPerRow'),
  });
} finally {
  await stack.stop();
}
