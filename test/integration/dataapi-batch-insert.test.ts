// Pipelined batches of single-row INSERTs (pgJDBC executeBatch, psycopg executemany, both with
// their default options) through the real proxy in Data API mode, compared with the same
// programs run straight against PostgreSQL: the same rows, update counts, errors (SQLSTATE,
// message and the batch entry that failed), trigger side effects and transaction states. The
// emulator's counters show that a plain batch ran set-based (a few ExecuteStatement calls, no
// BatchExecuteStatement) and that tables with triggers kept one statement per row.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDataApiStack } from './dataapi-fixture.js';
import { REPO_ROOT } from '../harness/proxy-process.js';
import { PYTHON, requirePsycopg } from '../harness/clients.js';
import { keyedLines, runWithMarkers, type MarkedRun } from '../harness/marker-run.js';
import type { EmulatorStats } from '../../src/emulator/index.js';

const JDBC_JAR = '/usr/share/java/postgresql.jar';
const JAVA_PROGRAM = join(REPO_ROOT, 'test', 'integration', 'java', 'BatchInsert.java');
const PYTHON_SCRIPT = join(REPO_ROOT, 'test', 'integration', 'python', 'batch_insert.py');
const MARKERS = ['BATCH_READY', 'BATCH_SENT'];
const stack = useDataApiStack();

type Calls = EmulatorStats['calls'];

interface ClientRuns {
  viaProxy: MarkedRun;
  direct: MarkedRun;
  /** Emulator calls between BATCH_READY and BATCH_SENT of the run through the proxy. */
  plainBatchCalls: Calls;
}

/** Runs a client program through the proxy (counting the plain batch's calls) and directly. */
async function runBoth(command: string, args: (target: 'proxy' | 'direct') => string[]): Promise<ClientRuns> {
  const s = stack();
  let plainBatchCalls: Calls | undefined;
  const viaProxy = await runWithMarkers(command, args('proxy'), MARKERS, (marker) => {
    if (marker === 'BATCH_READY') s.emulator.resetStats();
    else plainBatchCalls = s.emulator.stats().calls;
  });
  const direct = await runWithMarkers(command, args('direct'), MARKERS, () => undefined);
  if (!plainBatchCalls) throw new Error(`no BATCH_SENT through the proxy (exit ${viaProxy.code}):\n${viaProxy.stdout}\n${viaProxy.stderr}`);
  return { viaProxy, direct, plainBatchCalls };
}

/** The KEY=value lines a run printed, markers left out. */
const printed = (run: MarkedRun) => run.stdout.split('\n').filter((l) => l.includes('='));

describe('pgJDBC executeBatch of single-row INSERTs', () => {
  let runs: ClientRuns;
  let lines: Map<string, string[]>;
  const value = (key: string) => {
    const v = lines.get(key);
    if (!v) throw new Error(`BatchInsert printed no ${key}:\n${runs.viaProxy.stdout}\n${runs.viaProxy.stderr}`);
    return v.join('\n');
  };

  beforeAll(async () => {
    if (!existsSync(JDBC_JAR)) throw new Error(`${JDBC_JAR} is missing: install it with \`apt-get install -y libpostgresql-jdbc-java\``);
    const s = stack();
    runs = await runBoth('java', (target) => [
      '-cp',
      JDBC_JAR,
      JAVA_PROGRAM,
      `jdbc:postgresql://127.0.0.1:${target === 'proxy' ? s.proxy.port : s.db.port}/postgres?connectTimeout=10&socketTimeout=60`,
    ]);
    lines = keyedLines(runs.viaProxy.stdout);
  }, 240_000);

  it('runs through the proxy and directly without an error', () => {
    expect(lines.get('ERROR'), runs.viaProxy.stdout + runs.viaProxy.stderr).toBeUndefined();
    expect(value('DONE')).toBe('ok');
    expect(keyedLines(runs.direct.stdout).get('DONE'), runs.direct.stdout + runs.direct.stderr).toEqual(['ok']);
  });

  it('prints exactly what PostgreSQL gives for every batch', () => {
    expect(printed(runs.viaProxy)).toEqual(printed(runs.direct));
  });

  it('inserts a plain batch with identity, defaults, a generated column and NULLs in a few ExecuteStatement calls', () => {
    expect(value('PLAIN_COUNTS')).toBe('1x1000');
    expect(value('PLAIN_ROWS')).toMatch(/^1000,500500,[0-9a-f]{32}$/);
    const calls = runs.plainBatchCalls;
    console.log(`Data API calls for executeBatch of 1000 inserts: ${JSON.stringify(calls)}`);
    expect(calls.BatchExecuteStatement).toBe(0);
    // pgJDBC syncs about every 256 rows (4 pipelines): one INSERT each, and one catalog read.
    expect(calls.ExecuteStatement).toBeGreaterThanOrEqual(4);
    expect(calls.ExecuteStatement).toBeLessThanOrEqual(8);
  });

  it('evaluates expressions around the parameters per row, and now() once per transaction', () => {
    expect(value('EXPR_COUNTS')).toBe('1x40');
    expect(value('EXPR_ROWS')).toMatch(/^40,[0-9a-f]{32},1$/);
  });

  it('fails at the batch entry PostgreSQL fails at, with its error, and keeps nothing of the pipeline', () => {
    expect(value('VARCHAR')).toMatch(/^Batch entry 30 /);
    expect(value('VARCHAR_STATE')).toBe('22001');
    expect(value('VARCHAR_TABLE')).toBe('0,-1');
    expect(value('UNIQUE')).toMatch(/^Batch entry 30 /);
    expect(value('UNIQUE_STATE')).toBe('23505');
    expect(value('UNIQUE_TABLE')).toBe('0,-1');
    // In the second pipeline: the first one's rows stay committed.
    expect(value('UNIQUE_LATE')).toMatch(/^Batch entry 400 /);
    expect(value('UNIQUE_LATE_TABLE')).toMatch(/^[1-9]\d*,\d+$/);
  });

  it("leaves the client's transaction failed after a failing entry", () => {
    expect(value('TX_FAIL')).toMatch(/^Batch entry 25 /);
    expect(value('TX_FAIL_STATE')).toBe('23505');
    expect(value('TX_AFTER')).toBe('25P02');
    expect(value('TX_TABLE')).toBe('0');
  });

  it('fires a statement trigger once per row statement, and counts rows a BEFORE ROW trigger skips as 0', () => {
    expect(value('STMT_COUNTS')).toBe('1x20');
    expect(value('STMT_LOG')).toBe('20,' + Array.from({ length: 20 }, (_, i) => i + 1).join(','));
    expect(value('BEFORE_COUNTS')).toBe(`[${Array.from({ length: 20 }, (_, i) => i % 2).join(', ')}]`);
    expect(value('BEFORE_ROWS')).toMatch(/^10,ROW 1,ROW 3/);
  });

  it('gives each round its own count through an INSTEAD OF trigger on a view and a conditional DO INSTEAD rule', () => {
    expect(value('VIEW_COUNTS')).toBe(`[${Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 0 : 1)).join(', ')}]`);
    expect(value('VIEW_ROWS')).toMatch(/^8,10,20,40/);
    expect(value('RULE_ROWS')).toBe('6,1,3,5,7,9,11');
  });

  it('checks a foreign key to the table itself row by row', () => {
    expect(value('SELF')).toMatch(/^Batch entry 10 /);
    expect(value('SELF_STATE')).toBe('23503');
    expect(value('SELF_TABLE')).toBe('0');
  });
});

describe('psycopg executemany of single-row INSERTs', () => {
  let runs: ClientRuns;
  let viaProxy: Record<string, unknown>;
  let direct: Record<string, unknown>;

  const result = (run: MarkedRun): Record<string, unknown> => {
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT='));
    if (!line) throw new Error(`batch_insert.py printed no RESULT (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    return JSON.parse(line.slice('RESULT='.length)) as Record<string, unknown>;
  };

  beforeAll(async () => {
    await requirePsycopg();
    const s = stack();
    runs = await runBoth(PYTHON, (target) => [
      PYTHON_SCRIPT,
      `host=127.0.0.1 port=${target === 'proxy' ? s.proxy.port : s.db.port} user=postgres dbname=postgres connect_timeout=10`,
    ]);
    viaProxy = result(runs.viaProxy);
    direct = result(runs.direct);
  }, 240_000);

  it('gives the same rows, row counts, errors and trigger effects as PostgreSQL', () => {
    expect(viaProxy).toEqual(direct);
  });

  it('inserts the plain batch set-based, and the checks the script makes hold', () => {
    expect(viaProxy.plain_rowcount).toBe(1000);
    expect((viaProxy.plain_rows as string[]).slice(0, 2)).toEqual(['1000', '500500']);
    expect(viaProxy.varchar).toMatchObject({ sqlstate: '22001' });
    expect(viaProxy.varchar_status).toBe('INERROR');
    expect(viaProxy.unique).toMatchObject({ sqlstate: '23505' });
    expect(viaProxy.unique_table).toEqual(['0', '-1']);
    expect(viaProxy.before_rowcount).toBe(10);
    const calls = runs.plainBatchCalls;
    console.log(`Data API calls for executemany of 1000 inserts: ${JSON.stringify(calls)}`);
    expect(calls.BatchExecuteStatement).toBe(0);
    expect(calls.ExecuteStatement).toBeLessThanOrEqual(12);
  });
});
