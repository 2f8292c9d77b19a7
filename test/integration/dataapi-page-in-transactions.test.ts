// --page-in-transactions: inside a client's transaction a SELECT whose result exceeds the Data
// API's 1 MiB cap cannot be retried (the service ends the transaction), so with this flag every
// SELECT there is read through a cursor from the start.
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';

const stack = useDataApiStack({ proxyArgs: ['--page-in-transactions'] });

describe('--page-in-transactions', () => {
  it('returns a result over 1 MiB inside a transaction, and the transaction goes on', async () => {
    const c = new pg.Client(stack().pgConfig());
    await c.connect();
    try {
      await c.query('create table pit (id int primary key)');
      await c.query('begin');
      await c.query('insert into pit values (1)');
      const big = await c.query("select g, repeat('x', 500) as pad from generate_series(1, 6000) g");
      expect(big.rows).toHaveLength(6000);
      expect(big.rows[5999]).toEqual({ g: 6000, pad: 'x'.repeat(500) });
      // Small results still arrive whole, in the same transaction.
      expect((await c.query('select count(*)::int as n from pit')).rows).toEqual([{ n: 1 }]);
      await c.query('commit');
      expect((await c.query('select count(*)::int as n from pit')).rows).toEqual([{ n: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('leaves statements outside transactions at one call', async () => {
    const c = new pg.Client(stack().pgConfig());
    await c.connect();
    try {
      stack().emulator.resetStats();
      await c.query('select 1');
      const calls = stack().emulator.stats().calls;
      expect(calls.ExecuteStatement).toBe(1);
      expect(calls.BeginTransaction).toBe(0);
    } finally {
      await c.end();
    }
  });
});
