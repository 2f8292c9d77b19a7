// The README's main job: `aurora-pg-proxy demo` with no AWS account and nothing installed beyond
// `npm ci`, then the psql line it prints, exactly as printed. SIGTERM ends it with exit code 0.
import { afterAll, describe, expect, it } from 'vitest';
import { killLeftoverDemoProcesses, runPsql, startDemo, stopDemo } from '../harness/demo-cli.js';
import { join } from 'node:path';
import { PG_BIN } from '../harness/postgres.js';
import { freePort } from '../harness/ports.js';

afterAll(killLeftoverDemoProcesses);

describe('aurora-pg-proxy demo', () => {
  it('prints a psql line that works as printed, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const demo = await startDemo(['--listen', `127.0.0.1:${port}`]);
    try {
      expect(demo.psqlLine).toBe(`psql "postgresql://postgres@127.0.0.1:${port}/postgres"`);

      const r = await runPsql(demo.psqlLine, `-X -c 'select count(*) from customers' -c '\\dt'`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ count \n-------\n     5\n\(1 row\)/);
      // \dt lists the sample tables (psql's catalog queries, through the Data API translation).
      for (const table of ['customers', 'order_lines', 'orders', 'products']) {
        expect(r.stdout).toMatch(new RegExp(`^ public \\| ${table} +\\| table \\| postgres$`, 'm'));
      }
      expect(r.stdout).toMatch(/\(4 rows\)/);

      const view = await runPsql(demo.psqlLine, `-X -A -t -c 'select customer, total from order_totals order by order_id'`);
      expect(view.code).toBe(0);
      expect(view.stdout.trim().split('\n')).toEqual([
        'Ada Lovelace|168.90',
        'Grace Hopper|629.00',
        'Margaret Hamilton|54.00',
        'Ada Lovelace|25.00',
        'Hedy Lamarr|291.00',
      ]);
      // Temp objects made inside a transaction: the session's schema is made in that same
      // transaction, since the demo's database (PGlite) has one connection that the open
      // transaction holds; a rolled-back one takes its temp table with it, as in PostgreSQL.
      const temp = await runPsql(
        demo.psqlLine,
        `-X -A -t -v ON_ERROR_STOP=1 -c 'begin' -c 'create temp table scratch (n int)' -c 'rollback' ` +
          `-c 'begin' -c 'create temp table picks as select id from customers where id <= 2' -c 'savepoint s' -c 'rollback to s' ` +
          `-c 'create temp sequence tick' -c 'commit' -c 'select count(*) from picks' -c 'select to_regclass($$scratch$$) is null'`,
      );
      expect(temp.stderr).toBe('');
      expect(temp.stdout.trim().split('\n')).toEqual(['BEGIN', 'CREATE TABLE', 'ROLLBACK', 'BEGIN', 'SELECT 2', 'SAVEPOINT', 'ROLLBACK', 'CREATE SEQUENCE', 'COMMIT', '2', 't']);
      // Errors inside a transaction (psql's ON_ERROR_ROLLBACK savepoints, a unique violation,
      // whose error fields the proxy would complete by asking the catalogue beside the
      // transaction) and SET TIME ZONE in one (resolved by asking the database) must not wait
      // for the one session that transaction holds.
      const inTx = await runPsql(
        demo.psqlLine,
        `-X -A -t -v ON_ERROR_ROLLBACK=on -c 'begin' -c 'insert into customers (name, email, country) values ($$x$$, $$ada@example.com$$, $$GB$$)' ` +
          `-c 'set time zone $$Europe/Paris$$' -c 'show timezone' -c 'select count(*) from customers' -c 'commit' -c 'show timezone'`,
      );
      expect(inTx.stderr).toContain('duplicate key value violates unique constraint "customers_email_key"');
      expect(inTx.stdout.trim().split('\n')).toEqual(['BEGIN', 'SET', 'Europe/Paris', '5', 'COMMIT', 'Europe/Paris']);
      // A failing statement gets PostgreSQL's own error, and the demo keeps serving.
      const bad = await runPsql(demo.psqlLine, `-X -c 'select * from no_such_table'`);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('relation "no_such_table" does not exist');
    } finally {
      expect(await stopDemo(demo)).toBe(0);
    }
    expect(demo.output()).not.toMatch(/Error:|ERR_|uncaught/i);
  });

  it('serves the printed line after a first client of another database (pg_isready asks for the user name)', async () => {
    // PGlite is one session: the emulator's connection for the first database must not keep
    // every other database out (it did for the pool's idle time, 30 s).
    const port = await freePort();
    const demo = await startDemo(['--listen', `127.0.0.1:${port}`]);
    try {
      const ready = await runPsql(`${join(PG_BIN, 'pg_isready')} -h 127.0.0.1 -p ${port} -U postgres -d elsewhere`, '');
      expect(ready.stdout).toContain('accepting connections');
      const elsewhere = await runPsql(demo.psqlLine.replace('/postgres"', '/elsewhere"'), `-X -A -t -c 'select 1 + 1'`);
      expect(elsewhere.stderr).toBe('');
      expect(elsewhere.stdout.trim()).toBe('2');
      for (let round = 0; round < 2; round++) {
        const r = await runPsql(demo.psqlLine, `-X -A -t -c 'select count(*) from customers'`);
        expect(r.stderr).toBe('');
        expect(r.stdout.trim()).toBe('5');
        const back = await runPsql(demo.psqlLine.replace('/postgres"', '/elsewhere"'), `-X -A -t -c 'select 3'`);
        expect(back.stdout.trim()).toBe('3');
      }
    } finally {
      expect(await stopDemo(demo)).toBe(0);
    }
  });

  it('without --listen (the README command) picks 5432 or the next free port and prints it', async () => {
    const demo = await startDemo([]);
    try {
      const m = /^psql "postgresql:\/\/postgres@127\.0\.0\.1:(\d+)\/postgres"$/.exec(demo.psqlLine);
      expect(m, demo.psqlLine).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(5432);
      const r = await runPsql(demo.psqlLine, `-X -A -t -c 'select name from customers order by id limit 1'`);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('Ada Lovelace');
    } finally {
      expect(await stopDemo(demo)).toBe(0);
    }
  });
});
