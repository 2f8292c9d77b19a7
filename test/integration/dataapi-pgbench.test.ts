// pgbench (libpq) through the real proxy process in Data API mode, against the emulator over a
// throwaway PostgreSQL: the TPC-B-like script in the simple, extended and prepared query modes,
// and `pgbench -i` (DDL, COPY FROM STDIN, VACUUM) through the proxy too.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useDataApiStack } from './dataapi-fixture.js';
import { PG_BIN } from '../harness/postgres.js';
import { run, type RunResult } from '../harness/clients.js';

const PGBENCH = join(PG_BIN, 'pgbench');
const stack = useDataApiStack();

type Run = RunResult;

function pgbench(port: number, args: string[]): Promise<Run> {
  if (!existsSync(PGBENCH)) throw new Error(`${PGBENCH} is missing: install postgresql-15 (or set PG_BIN)`);
  return run(PGBENCH, [...args, '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'postgres'], { timeoutMs: 120_000 });
}

/** Row counts and balance sums, read straight from PostgreSQL. */
async function tables(): Promise<{ accounts: number; branches: number; tellers: number; history: number; sums: string[] }> {
  const client = new pg.Client(stack().directConfig());
  await client.connect();
  try {
    const r = await client.query<{ accounts: string; branches: string; tellers: string; history: string; a: string; b: string; t: string; h: string }>(
      `select (select count(*) from pgbench_accounts) as accounts, (select count(*) from pgbench_branches) as branches,
              (select count(*) from pgbench_tellers) as tellers, (select count(*) from pgbench_history) as history,
              (select coalesce(sum(abalance), 0) from pgbench_accounts) as a, (select coalesce(sum(bbalance), 0) from pgbench_branches) as b,
              (select coalesce(sum(tbalance), 0) from pgbench_tellers) as t, (select coalesce(sum(delta), 0) from pgbench_history) as h`,
    );
    const row = r.rows[0];
    return {
      accounts: Number(row.accounts),
      branches: Number(row.branches),
      tellers: Number(row.tellers),
      history: Number(row.history),
      sums: [row.a, row.b, row.t, row.h],
    };
  } finally {
    await client.end();
  }
}

function expectCleanRun(run: Run, transactions: number): void {
  const all = run.stdout + run.stderr;
  expect(run.code, all).toBe(0);
  expect(run.stdout).toContain(`number of transactions actually processed: ${transactions}/${transactions}`);
  expect(run.stdout).toMatch(/number of failed transactions: 0 \(0\.000%\)/);
  expect(all).not.toMatch(/error|abort/i);
}

describe('pgbench through the Data API proxy', () => {
  it('initialises directly, then runs -M extended, simple and prepared through the proxy', async () => {
    const s = stack();
    const init = await pgbench(s.db.port, ['-i', '-s', '1', '-q']);
    expect(init.code, init.stderr).toBe(0);
    expect(await tables()).toMatchObject({ accounts: 100_000, branches: 1, tellers: 10, history: 0 });

    let history = 0;
    for (const mode of ['extended', 'simple', 'prepared']) {
      s.emulator.resetStats();
      const run = await pgbench(s.proxy.port, ['-M', mode, '-c', '4', '-j', '2', '-t', '50', '--no-vacuum']);
      const calls = s.emulator.stats().calls;
      console.log(`pgbench -M ${mode}: ${run.stdout.match(/tps = [\d.]+/)?.[0]}; Data API calls ${JSON.stringify(calls)}`);
      expectCleanRun(run, 200);
      expect(run.stdout).toContain(`query mode: ${mode}`);
      history += 200;
      const after = await tables();
      expect(after.history, mode).toBe(history);
      // Every transaction applied whole: each delta landed in an account, a teller, a branch and the history.
      expect(new Set(after.sums).size, `balances ${after.sums.join(', ')}`).toBe(1);
      // Each pgbench BEGIN ... END became one Data API transaction, committed.
      expect(calls.BeginTransaction, mode).toBe(200);
      expect(calls.CommitTransaction, mode).toBe(200);
      expect(calls.RollbackTransaction, mode).toBe(0);
    }
    const final = await tables();
    expect(final.sums[0]).not.toBe('0'); // the comparison above is not between zeros
   }, 180_000);

  it('initialises through the proxy: DDL, COPY FROM STDIN of 100000 rows and VACUUM', async () => {
    const s = stack();
    s.emulator.resetStats();
    const init = await pgbench(s.proxy.port, ['-i', '-s', '1', '-q']);
    const calls = s.emulator.stats().calls;
    console.log(`pgbench -i through the proxy: ${init.stderr.match(/done in .*/)?.[0]}; Data API calls ${JSON.stringify(calls)}`);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    expect(init.stderr).toMatch(/creating tables\.\.\.[\s\S]*generating data \(client-side\)\.\.\.[\s\S]*vacuuming\.\.\.[\s\S]*creating primary keys\.\.\.[\s\S]*done in/);
    expect(init.stderr).not.toMatch(/error/i);
    expect(await tables()).toEqual({ accounts: 100_000, branches: 1, tellers: 10, history: 0, sums: ['0', '0', '0', '0'] });
    // COPY travels set-based: a few ExecuteStatement calls of thousands of rows each (under
    // 3 MiB of JSON), no BatchExecuteStatement and nothing per row.
    expect(calls.BatchExecuteStatement ?? 0).toBe(0);
    expect(total(calls)).toBeLessThan(200);

    const run = await pgbench(s.proxy.port, ['-M', 'extended', '-c', '2', '-j', '2', '-t', '20', '--no-vacuum']);
    expectCleanRun(run, 40);
    expect((await tables()).history).toBe(40);
   }, 180_000);
});

function total(calls: Record<string, number>): number {
  return Object.values(calls).reduce((a, b) => a + b, 0);
}
