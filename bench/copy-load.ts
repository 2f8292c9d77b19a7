// Bulk load of 10,000 typed rows through the Data API proxy against the emulator (over a
// throwaway PostgreSQL), three ways, rounds interleaved:
//   (a) psql `\copy` with the proxy's set-based COPY (one ExecuteStatement per JSON chunk);
//   (b) psql `\copy` with the previous BatchExecuteStatement path, still reachable for this
//       comparison through the proxy's internal APGP_COPY_LOADER=batch-execute switch;
//   (c) one INSERT per row: psql running a file of single-row INSERTs in autocommit. By default
//       a sample of BENCH_INSERT_ROWS (1,000) rows is run and the time extrapolated to 10,000
//       (the per-row cost is flat); BENCH_INSERT_ROWS=10000 runs them all.
// With BENCH_BASELINE_CLI=<another build>/bin/aurora-pg-proxy.js, (d) the same `\copy` through a
// proxy of that build (say, the commit before a change) joins the interleaved rounds.
// Prints a summary table and appends a line to bench/results/copy-load.jsonl.
//   npm run bench:copy
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendResult, runInterleaved } from './interleaved.js';
import type { ProxyProcess } from '../test/harness/proxy-process.js';
import { startLoadStack } from './load-stack.js';
import { runPsql } from '../test/harness/clients.js';

const ROWS = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const INSERT_ROWS = Math.min(ROWS, Number(process.env.BENCH_INSERT_ROWS ?? 1000));
const TABLE = 'bench_load';

/** Deterministic rows: an int, a text with a tab-free word, a numeric, a timestamptz, a boolean, a nullable int. */
function rowValues(i: number): string[] {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 61_000).toISOString();
  return [String(i), `item ${i} of the bench`, (i * 1.25).toFixed(2), at, i % 3 === 0 ? 't' : 'f', i % 7 === 0 ? '\\N' : String(i * 3)];
}

const work = mkdtempSync(join(tmpdir(), 'apgp-bench-copy-'));
const dataFile = join(work, 'rows.tsv');
writeFileSync(dataFile, Array.from({ length: ROWS }, (_, i) => rowValues(i + 1).join('\t') + '\n').join(''));
const insertFile = join(work, 'inserts.sql');
writeFileSync(
  insertFile,
  Array.from({ length: INSERT_ROWS }, (_, i) => {
    const v = rowValues(i + 1).map((x) => (x === '\\N' ? 'NULL' : `'${x}'`));
    return `INSERT INTO ${TABLE} VALUES (${v.join(', ')});\n`;
  }).join(''),
);

const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;
const stack = await startLoadStack({ APGP_COPY_LOADER: 'batch-execute' }, BASELINE_CLI);
const { proxies, baseline, direct } = stack;
await direct.query(
  `CREATE TABLE ${TABLE} (id integer PRIMARY KEY, label text NOT NULL, amount numeric(12,2), at timestamptz, flag boolean, extra integer)`,
);

async function psqlThrough(proxy: ProxyProcess, args: string[]): Promise<number> {
  await direct.query(`TRUNCATE ${TABLE}`);
  const t0 = performance.now();
  const r = await runPsql(`host=${proxy.host} port=${proxy.port} user=postgres dbname=postgres`, ['-q', ...args], { timeoutMs: 600_000 });
  const ms = performance.now() - t0;
  if (r.code !== 0 || r.stderr) throw new Error(`psql failed (${r.code}): ${r.stderr}`);
  return ms;
}

async function expectRows(n: number, what: string): Promise<void> {
  const got = Number((await direct.query(`SELECT count(*) AS n FROM ${TABLE}`)).rows[0].n);
  if (got !== n) throw new Error(`${what} loaded ${got} rows, expected ${n}`);
}

type Variant = 'copySetBased' | 'copyBatchExecute' | 'insertPerRow' | 'copySetBasedBaseline';
const runners: Partial<Record<Variant, () => Promise<number>>> = {
  copySetBased: async () => {
    const ms = await psqlThrough(proxies.set, ['-c', `\\copy ${TABLE} from '${dataFile}'`]);
    await expectRows(ROWS, '\\copy (set-based)');
    return ms;
  },
  copyBatchExecute: async () => {
    const ms = await psqlThrough(proxies.batch, ['-c', `\\copy ${TABLE} from '${dataFile}'`]);
    await expectRows(ROWS, '\\copy (BatchExecuteStatement)');
    return ms;
  },
  insertPerRow: async () => {
    const ms = await psqlThrough(proxies.set, ['-f', insertFile]);
    await expectRows(INSERT_ROWS, 'INSERT per row');
    return (ms * ROWS) / INSERT_ROWS;
  },
};

if (baseline) {
  runners.copySetBasedBaseline = async () => {
    const ms = await psqlThrough(baseline, ['-c', `\\copy ${TABLE} from '${dataFile}'`]);
    await expectRows(ROWS, '\\copy (baseline build)');
    return ms;
  };
}

try {
  const warmUp: Variant[] = baseline ? ['copySetBased', 'copyBatchExecute', 'copySetBasedBaseline'] : ['copySetBased', 'copyBatchExecute'];
  const { ms: measured, facts } = await runInterleaved(runners as Record<Variant, () => Promise<number>>, ROUNDS, warmUp);
  const ms = measured as Record<Variant, number | undefined> & Record<'copySetBased' | 'copyBatchExecute' | 'insertPerRow', number>;
  const line = {
    ...facts,
    rows: ROWS,
    insertSampleRows: INSERT_ROWS,
    speedupVsInsertPerRow: +(ms.insertPerRow / ms.copySetBased).toFixed(1),
    speedupVsBatchExecuteCopy: +(ms.copyBatchExecute / ms.copySetBased).toFixed(1),
    ...(ms.copySetBasedBaseline !== undefined
      ? { baselineCli: BASELINE_CLI, speedupVsBaselineBuild: +(ms.copySetBasedBaseline / ms.copySetBased).toFixed(2) }
      : {}),
  };
  appendResult('copy-load.jsonl', line);
  console.log(`load of ${ROWS} rows through the proxy (median of ${ROUNDS} rounds, load average ${line.loadavg1mBeforeAfter.join(' -> ')})`);
  console.table({
    '\\copy, set-based (JSON chunks)': { ms: ms.copySetBased, 'x vs this': 1 },
    '\\copy, BatchExecuteStatement (old)': { ms: ms.copyBatchExecute, 'x vs this': line.speedupVsBatchExecuteCopy },
    [`INSERT per row (${INSERT_ROWS === ROWS ? 'all rows' : `${INSERT_ROWS} rows extrapolated`})`]: {
      ms: ms.insertPerRow,
      'x vs this': line.speedupVsInsertPerRow,
    },
    ...(ms.copySetBasedBaseline !== undefined
      ? { '\\copy, set-based, baseline build': { ms: ms.copySetBasedBaseline, 'x vs this': line.speedupVsBaselineBuild } }
      : {}),
  });
} finally {
  await stack.stop();
  rmSync(work, { recursive: true, force: true });
}
