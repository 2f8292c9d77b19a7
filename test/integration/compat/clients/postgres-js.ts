// Postgres.js (`postgres` on npm) with its default options (prepared statements, a pool): the
// workload of workload.ts through tagged templates and its row helpers.
import postgres from 'postgres';
import type { Target } from '../targets.js';
import { TYPED_ROW, step, type WorkloadResult } from '../workload.js';
import { SCHEMA_QUERY, TYPED_COLUMNS, TYPED_PARAMS, driverTableDdl } from './driver-schema.js';
import { normaliseRow } from './js-normalize.js';

export const POSTGRES_JS_TABLE = 'compat_postgres_js';

class Rollback extends Error {}

export async function runPostgresJs(target: Target): Promise<WorkloadResult> {
  const table = POSTGRES_JS_TABLE;
  const result: WorkloadResult = {};
  const sql = postgres({ host: target.host, port: target.port, username: target.user, database: target.database, onnotice: () => {} });
  // Postgres.js serialises json parameters itself, so it takes the values, not JSON text.
  const row = { ...TYPED_PARAMS, j: TYPED_ROW.j, jb: TYPED_ROW.jb };
  const nullRow = Object.fromEntries(TYPED_COLUMNS.map((c) => [c, null]));
  // Later steps use the ids the inserts returned, so a wrong id fails the insert step only.
  let ids = [1, 2];
  try {
    await step(result, 'schema', async () => {
      await sql.unsafe(driverTableDdl(table));
      return (await sql.unsafe(SCHEMA_QUERY, [table])).map((r) => [r.column_name, r.udt_name]);
    });
    await step(result, 'insert', async () => {
      const [first] = await sql`insert into ${sql(table)} ${sql(row, TYPED_COLUMNS)} returning id, i2 * 2 as doubled, t`;
      const [second] = await sql`insert into ${sql(table)} ${sql(nullRow, TYPED_COLUMNS)} returning id`;
      ids = [first.id, second.id];
      return { first: { ...first }, second: { ...second } };
    });
    await step(result, 'types', async () => normaliseRow((await sql`select * from ${sql(table)} where id = ${ids[0]}`)[0]));
    await step(result, 'nulls', async () => normaliseRow((await sql`select * from ${sql(table)} where id = ${ids[1]}`)[0]));
    await step(result, 'update', async () => {
      const r = await sql`update ${sql(table)} set t = ${'updated'} where id = ${ids[0]}`;
      return { count: r.count, t: (await sql`select t from ${sql(table)} where id = ${ids[0]}`)[0].t };
    });
    await step(result, 'delete', async () => {
      const r = await sql`delete from ${sql(table)} where id = ${ids[1]}`;
      return { deleted: r.count, remaining: Number((await sql`select count(*) as n from ${sql(table)}`)[0].n) };
    });
    const countVc = async (q: postgres.Sql | postgres.TransactionSql, vc: string) => Number((await q`select count(*) as n from ${q(table)} where vc = ${vc}`)[0].n);
    await step(result, 'commit', async () => {
      await sql.begin(async (tx) => {
        await tx`insert into ${tx(table)} (vc) values (${'committed'})`;
      });
      return { count: await countVc(sql, 'committed') };
    });
    await step(result, 'rollback', async () => {
      let inside = -1;
      await sql
        .begin(async (tx) => {
          await tx`insert into ${tx(table)} (vc) values (${'rolled back'})`;
          inside = await countVc(tx, 'rolled back');
          throw new Rollback('roll it back');
        })
        .catch((err: unknown) => {
          if (!(err instanceof Rollback)) throw err;
        });
      return { inside, after: await countVc(sql, 'rolled back') };
    });
    let violation: postgres.PostgresError | undefined;
    await step(result, 'unique', async () => {
      violation = await sql`insert into ${sql(table)} (vc) values (${TYPED_ROW.vc})`.then(
        () => undefined,
        (err: unknown) => err as postgres.PostgresError,
      );
      return { sqlstate: violation?.code ?? null, after: (await sql`select 1 as one`)[0].one };
    });
    await step(result, 'unique_fields', async () => ({
      schema: violation?.schema_name,
      table: violation?.table_name,
      constraint: violation?.constraint_name,
    }));
  } finally {
    await sql.end({ timeout: 5 });
  }
  return result;
}
