// Fifty pgbench clients at once through the Data API proxy, in each protocol: a short bounded
// run (the 60-second soak lives in bench/data-api-soak.ts). No client may be aborted, no
// transaction may fail, every transaction must land whole, and every session must end `ok`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useDataApiStack } from './dataapi-fixture.js';
import { PG_BIN } from '../harness/postgres.js';
import { run } from '../harness/clients.js';

const PGBENCH = join(PG_BIN, 'pgbench');
const CLIENTS = 50;
// Each open Data API transaction holds one PostgreSQL connection in the emulator.
const stack = useDataApiStack({ emulator: { poolSize: CLIENTS + 10 } });

async function historyRows(): Promise<number> {
  const client = new pg.Client(stack().directConfig());
  await client.connect();
  try {
    return Number((await client.query('select count(*) as n from pgbench_history')).rows[0].n);
  } finally {
    await client.end();
  }
}

describe('50 pgbench clients through the Data API proxy', () => {
  it('runs the simple-update script in the simple and extended protocols with no aborted client', async () => {
    if (!existsSync(PGBENCH)) throw new Error(`${PGBENCH} is missing: install postgresql-15 (or set PG_BIN)`);
    const s = stack();
    const target = ['-h', '127.0.0.1', '-U', 'postgres', 'postgres'];
    const init = await run(PGBENCH, ['-i', '-s', '1', '-q', '-p', String(s.db.port), ...target], { timeoutMs: 120_000 });
    expect(init.code, init.stderr).toBe(0);
    let expected = 0;
    for (const mode of ['simple', 'extended']) {
      // -N: the accounts update, a select and the history insert, without the single branch row
      // every client would otherwise queue on.
      const r = await run(PGBENCH, ['-N', '-M', mode, '-c', String(CLIENTS), '-j', '2', '-t', '2', '--no-vacuum', '-p', String(s.proxy.port), ...target], {
        timeoutMs: 180_000,
      });
      const all = r.stdout + r.stderr;
      expect(r.code, all).toBe(0);
      expect(r.stdout).toContain(`number of transactions actually processed: ${CLIENTS * 2}/${CLIENTS * 2}`);
      expect(r.stdout).toMatch(/number of failed transactions: 0 \(0\.000%\)/);
      expect(all).not.toMatch(/aborted|ERROR/);
      expected += CLIENTS * 2;
      expect(await historyRows(), mode).toBe(expected);
    }
    await s.proxy.waitForLog(/connection closed/);
    const closed = s.proxy.logRecords().filter((l) => l.msg === 'connection closed');
    expect(closed.length).toBeGreaterThanOrEqual(CLIENTS * 2);
    expect(closed.filter((l) => l.outcome !== 'ok')).toEqual([]);
  }, 300_000);
});
