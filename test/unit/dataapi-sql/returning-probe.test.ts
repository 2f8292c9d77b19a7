// The rewrite of data-changing statements into side-effect-free SELECTs for Describe
// (src/dataapi/sql/returning-probe.ts): the SELECT it builds for each statement shape, and the
// shapes it refuses rather than guess. Whether the SELECT describes the same row as PostgreSQL is
// checked against real servers in test/integration/dataapi-describe.test.ts.
import { describe, expect, it } from 'vitest';
import { returningProbe } from '../../../src/dataapi/sql/returning-probe.js';

/** The probe's SQL with runs of whitespace folded, for readable expectations. */
function probe(sql: string): string {
  const out = returningProbe(sql);
  if (out.kind !== 'probe') throw new Error(`expected a probe for ${sql}, got ${JSON.stringify(out)}`);
  return out.sql.replace(/\s+/g, ' ').trim();
}

describe('returningProbe', () => {
  it('leaves statements that change nothing alone', () => {
    for (const sql of ['select 1', 'values (1)', 'table t', 'with a as (select 1) select * from a', 'create table x (a int)', 'select * from t for update', '']) {
      expect(returningProbe(sql)).toEqual({ kind: 'no-dml' });
    }
  });

  it('turns INSERT ... RETURNING into a SELECT of the list over the target', () => {
    expect(probe('insert into t (id, i, t) values ($1, $2, $3) returning id, i * 2 as i2, t')).toBe(
      'SELECT id, i * 2 as i2, t FROM t LIMIT 0',
    );
    expect(probe('INSERT INTO s.t AS x VALUES (1) RETURNING x.*;')).toBe('SELECT x.* FROM s.t AS x LIMIT 0');
    expect(probe('insert into "T" default values returning *')).toBe('SELECT * FROM "T" LIMIT 0');
    expect(probe('insert into t select * from u where u.a > 1 returning a')).toBe('SELECT a FROM t LIMIT 0');
    expect(probe('insert into t overriding system value values (1) returning id')).toBe('SELECT id FROM t LIMIT 0');
    expect(probe("insert into t as x values (1, 'a') on conflict (id) do update set v = excluded.v returning x.id, v")).toBe(
      'SELECT x.id, v FROM t as x LIMIT 0',
    );
  });

  it('keeps the FROM of UPDATE and the USING of DELETE, and ONLY, * and aliases', () => {
    expect(probe('update t set v = $1 returning id')).toBe('SELECT id FROM t LIMIT 0');
    expect(probe('update only t x set v = s.v from s, u where s.id = x.id returning *')).toBe('SELECT * FROM only t x, s, u LIMIT 0');
    expect(probe('update t set a = b is distinct from c from s join u on s.k = u.k returning s.k')).toBe(
      'SELECT s.k FROM t, s join u on s.k = u.k LIMIT 0',
    );
    expect(probe('update t set a = (select max(x) from y where y.z = t.z) returning a')).toBe('SELECT a FROM t LIMIT 0');
    expect(probe('delete from t * as d using s where s.id = d.id returning d.id, s')).toBe('SELECT d.id, s FROM t * as d, s LIMIT 0');
    expect(probe('delete from t returning (select count(*) from u)')).toBe('SELECT (select count(*) from u) FROM t LIMIT 0');
  });

  it('joins the source of MERGE and stands in for merge_action()', () => {
    expect(
      probe(
        'merge into t using (select 1 as id) s on t.id = s.id when matched then update set v = 1 when not matched then insert values (s.id) returning merge_action(), t.*, upper(pg_catalog.merge_action()) as a',
      ),
    ).toBe('SELECT CAST(NULL AS text) AS merge_action, t.*, upper(CAST(NULL AS text)) as a FROM t, (select 1 as id) s LIMIT 0');
    expect(
      probe('merge into t x using a join b on a.k = b.k on x.id = case when a.k > 0 then a.k end when matched then delete returning x.id'),
    ).toBe('SELECT x.id FROM t x, a join b on a.k = b.k LIMIT 0');
  });

  it('rewrites data-modifying CTEs inside the WITH, and the main statement after it', () => {
    expect(probe('with ins as (insert into t values (1) returning id) select * from ins')).toBe(
      'WITH ins as ( SELECT id FROM t LIMIT 0 ) select * from ins',
    );
    expect(probe('with recursive d as not materialized (delete from t returning *), x as (select 1) update u set v = 1 from d returning d.id')).toBe(
      'WITH RECURSIVE d as not materialized ( SELECT * FROM t LIMIT 0 ), x as ( select 1 ) SELECT d.id FROM u, d LIMIT 0',
    );
    expect(probe('with gone as (delete from t) select 1')).toBe('WITH gone as ( SELECT WHERE false ) select 1');
  });

  it('refuses what it cannot take apart rather than guess', () => {
    for (const sql of [
      'insert into t values (1) returning with (old as o) o.id',
      'update t returning x',
      'with a as (select 1) frobnicate',
      'insert into t values (1) returning',
      'merge into t using s when matched then delete returning 1',
    ]) {
      expect(returningProbe(sql).kind).toBe('unsupported');
    }
  });
});
