// A RETURNING list with a type the Data API refuses to return (interval, money): the service
// runs the statement and only then refuses its result, so the proxy must read those columns as
// text in the one run - never answer an error for a write that committed, never write twice.
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';

const stack = useDataApiStack();

describe('RETURNING of types the Data API cannot return', () => {
  it('returns the row as PostgreSQL does and writes it once, outside and inside a transaction, in both protocols', async () => {
    const viaProxy = new pg.Client(stack().pgConfig());
    const direct = new pg.Client(stack().directConfig());
    await viaProxy.connect();
    await direct.connect();
    try {
      await direct.query('create table rc (id serial primary key, span interval, price money, note text)');
      const insert = "insert into rc (span, price, note) values ('1 day 02:00', 3.5, 'a') returning *, span * 2 as twice";
      const simple = await viaProxy.query(insert);
      expect(simple.rows).toEqual([{ id: 1, span: { days: 1, hours: 2 }, price: '$3.50', note: 'a', twice: { days: 2, hours: 4 } }]);
      expect(simple.fields.map((f) => [f.name, f.dataTypeID])).toEqual([['id', 23], ['span', 1186], ['price', 790], ['note', 25], ['twice', 1186]]);
      // Extended protocol, parameters bound: the same statement text is described once.
      const extended = await viaProxy.query({ text: 'update rc set span = span + $1 where id = $2 returning span, price', values: ['1 hour', 1] });
      expect(extended.rows).toEqual([{ span: { days: 1, hours: 3 }, price: '$3.50' }]);
      await viaProxy.query('begin');
      const inTx = await viaProxy.query("insert into rc (span, note) values ('5 minutes', 'b') returning span, note");
      expect(inTx.rows).toEqual([{ span: { minutes: 5 }, note: 'b' }]);
      await viaProxy.query('rollback');
      const deleted = await viaProxy.query('delete from rc where id = 1 returning id, span');
      expect(deleted.rows).toEqual([{ id: 1, span: { days: 1, hours: 3 } }]);
      expect(deleted.command).toBe('DELETE');
      expect(deleted.rowCount).toBe(1);
      // Each write happened exactly once: one insert, one update, a rolled-back insert, one delete.
      expect((await direct.query('select count(*)::int as n, max(id)::int as last from rc')).rows).toEqual([{ n: 0, last: null }]);
      expect((await direct.query("select last_value::int from pg_sequences where sequencename = 'rc_id_seq'")).rows).toEqual([{ last_value: 2 }]);
    } finally {
      await viaProxy.end();
      await direct.end();
    }
  });
});
