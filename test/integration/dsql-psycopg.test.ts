// psycopg 3 (Debian's python3-psycopg, on libpq) through the real proxy process and the DSQL
// stand-in. One Python script does the work and prints JSON.
import { join } from 'node:path';
import { requirePsycopg, runPython } from '../harness/clients.js';
import { describe, expect, it } from 'vitest';
import { useDsqlStack } from './dsql-fixture.js';
import { REPO_ROOT } from '../harness/proxy-process.js';

const SCRIPT = join(REPO_ROOT, 'test', 'integration', 'python', 'dsql_smoke.py');
const stack = useDsqlStack();



describe('psycopg 3 through the DSQL proxy', () => {
  it('connects without a password and runs parameterised statements, a rollback and a server-side cursor', async () => {
    await requirePsycopg();
    const conninfo = `host=127.0.0.1 port=${stack().proxy.port} user=admin dbname=postgres sslmode=require`;
    const r = await runPython([SCRIPT, conninfo]);
    let out: Record<string, unknown>;
    try {
      out = JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      throw new Error(`dsql_smoke.py printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    expect(out.error, JSON.stringify(out)).toBeUndefined();
    expect(r.code).toBe(0);

    expect(out.psycopg).toMatch(/^3\./);
    expect(out.user).toBe('postgres');
    expect(out.server_version).toBeGreaterThanOrEqual(150000);
    expect(out.ssl_in_use).toBe(true);
    expect(out.inserted).toBe(3);
    expect(out.selected).toEqual([
      [1, 'apple', '1.25', '2024-02-29T12:00:00+00:00', ['fruit']],
      [3, 'tea', null, null, []],
    ]);
    expect(out.binary).toEqual([42, 'binary!']);
    expect(out.inside_tx).toBe(1);
    expect(out.after_rollback).toBe(0);
    expect(out.division).toEqual({ sqlstate: '22012', message: 'division by zero' });
    expect(out.server_cursor).toEqual({ first: [1, 1], count: 1000, sum: 500500 });
  });
});
