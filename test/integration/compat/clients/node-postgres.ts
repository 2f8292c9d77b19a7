// node-postgres (`pg`) with its default options: the workload of workload.ts with SQL and $n parameters.
import pg from 'pg';
import type { Target } from '../targets.js';
import { step, type WorkloadResult } from '../workload.js';
import { SCHEMA_QUERY, TYPED_COLUMNS, TYPED_PARAMS, driverTableDdl } from './driver-schema.js';
import { normaliseRow } from './js-normalize.js';

export const NODE_PG_TABLE = 'compat_node_pg';

export async function runNodePostgres(target: Target): Promise<WorkloadResult> {
  const table = NODE_PG_TABLE;
  const result: WorkloadResult = {};
  const client = new pg.Client({ host: target.host, port: target.port, user: target.user, database: target.database });
  await client.connect();
  const count = async (where: string, params: unknown[]) =>
    Number((await client.query(`select count(*) as n from ${table} where ${where}`, params)).rows[0].n);
  // Later steps use the ids the inserts returned, so a wrong id fails the insert step only.
  let ids = [1, 2];
  try {
    await step(result, 'schema', async () => {
      await client.query(driverTableDdl(table));
      return (await client.query(SCHEMA_QUERY, [table])).rows.map((r) => [r.column_name, r.udt_name]);
    });
    await step(result, 'insert', async () => {
      const columns = TYPED_COLUMNS.join(', ');
      const placeholders = TYPED_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
      const values = TYPED_COLUMNS.map((c) => TYPED_PARAMS[c as keyof typeof TYPED_PARAMS]);
      const first = await client.query(`insert into ${table} (${columns}) values (${placeholders}) returning id, i2 * 2 as doubled, t`, values);
      const second = await client.query(`insert into ${table} (${columns}) values (${placeholders}) returning id`, values.map(() => null));
      ids = [first.rows[0].id, second.rows[0].id];
      return { first: first.rows[0], second: second.rows[0] };
    });
    await step(result, 'types', async () => normaliseRow((await client.query(`select * from ${table} where id = $1`, [ids[0]])).rows[0]));
    await step(result, 'nulls', async () => normaliseRow((await client.query(`select * from ${table} where id = $1`, [ids[1]])).rows[0]));
    await step(result, 'update', async () => {
      const r = await client.query(`update ${table} set t = $1 where id = $2`, ['updated', ids[0]]);
      return { count: r.rowCount, t: (await client.query(`select t from ${table} where id = $1`, [ids[0]])).rows[0].t };
    });
    await step(result, 'delete', async () => {
      const r = await client.query(`delete from ${table} where id = $1`, [ids[1]]);
      return { deleted: r.rowCount, remaining: await count('true', []) };
    });
    await step(result, 'commit', async () => {
      await client.query('begin');
      await client.query(`insert into ${table} (vc) values ($1)`, ['committed']);
      await client.query('commit');
      return { count: await count('vc = $1', ['committed']) };
    });
    await step(result, 'rollback', async () => {
      await client.query('begin');
      await client.query(`insert into ${table} (vc) values ($1)`, ['rolled back']);
      const inside = await count('vc = $1', ['rolled back']);
      await client.query('rollback');
      return { inside, after: await count('vc = $1', ['rolled back']) };
    });
    let violation: (Error & { code?: string; schema?: string; table?: string; constraint?: string }) | undefined;
    await step(result, 'unique', async () => {
      violation = await client.query(`insert into ${table} (vc) values ($1)`, [TYPED_PARAMS.vc]).then(
        () => undefined,
        (err: unknown) => err as typeof violation,
      );
      return { sqlstate: violation?.code ?? null, after: (await client.query('select 1 as one')).rows[0].one };
    });
    await step(result, 'unique_fields', async () => ({ schema: violation?.schema, table: violation?.table, constraint: violation?.constraint }));
  } finally {
    await client.end();
  }
  return result;
}
