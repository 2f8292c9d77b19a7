// Knex with its `pg` client and default options (its pool included): the table made by its schema
// builder, rows written and read through its query builder, transactions through
// knex.transaction().
import knexFactory, { type Knex } from 'knex';
import type { Target } from '../targets.js';
import { step, type WorkloadResult } from '../workload.js';
import { TYPED_COLUMNS } from './driver-schema.js';
import { normaliseRow } from './js-normalize.js';
import { ORM_ROW } from './orm-values.js';

export const KNEX_TABLE = 'compat_knex';

/** The shared table (driver-schema.ts) in Knex's column types, column for column. */
function createTable(knex: Knex): Knex.SchemaBuilder {
  return knex.schema.createTable(KNEX_TABLE, (t) => {
    t.increments('id');
    t.smallint('i2');
    t.integer('i4');
    t.bigInteger('i8');
    t.decimal('num', 12, 4);
    t.float('f4');
    t.double('f8');
    t.boolean('b');
    t.text('t');
    t.string('vc', 40).unique();
    t.binary('by');
    t.date('d');
    t.time('tm');
    t.timestamp('ts', { useTz: false });
    t.timestamp('tstz');
    t.specificType('iv', 'interval');
    t.uuid('u');
    t.json('j');
    t.jsonb('jb');
    t.specificType('arr', 'int4[]');
    t.specificType('tarr', 'text[]');
    t.text('n');
  });
}

class Rollback extends Error {}

export async function runKnex(target: Target): Promise<WorkloadResult> {
  const result: WorkloadResult = {};
  const knex = knexFactory({
    client: 'pg',
    connection: { host: target.host, port: target.port, user: target.user, database: target.database },
  });
  const items = () => knex(KNEX_TABLE);
  const count = async (q: Knex, where: Record<string, unknown>) =>
    Number((await q(KNEX_TABLE).where(where).count({ n: '*' }).first())?.n);
  // Later steps use the ids the inserts returned, so a wrong id fails the insert step only.
  let ids = [1, 2];
  try {
    await step(result, 'schema', async () => {
      await createTable(knex);
      const rows = await knex('information_schema.columns')
        .select('column_name', 'udt_name')
        .where({ table_name: KNEX_TABLE })
        .orderBy('ordinal_position');
      return rows.map((r: { column_name: string; udt_name: string }) => [r.column_name, r.udt_name]);
    });
    await step(result, 'insert', async () => {
      const [first] = await items()
        .insert(ORM_ROW)
        .returning(['id', knex.raw('?? * 2 as ??', ['i2', 'doubled']), 't']);
      const [second] = await items().insert(Object.fromEntries(TYPED_COLUMNS.map((c) => [c, null]))).returning('id');
      ids = [first.id, second.id];
      return { first, second };
    });
    await step(result, 'types', async () => normaliseRow(await items().where({ id: ids[0] }).first()));
    await step(result, 'nulls', async () => normaliseRow(await items().where({ id: ids[1] }).first()));
    await step(result, 'update', async () => {
      const updated = await items().where({ id: ids[0] }).update({ t: 'updated' });
      return { count: updated, t: (await items().where({ id: ids[0] }).first('t'))?.t };
    });
    await step(result, 'delete', async () => {
      const deleted = await items().where({ id: ids[1] }).del();
      return { deleted, remaining: await count(knex, {}) };
    });
    await step(result, 'commit', async () => {
      await knex.transaction(async (trx) => {
        await trx(KNEX_TABLE).insert({ vc: 'committed' });
      });
      return { count: await count(knex, { vc: 'committed' }) };
    });
    await step(result, 'rollback', async () => {
      let inside = -1;
      await knex
        .transaction(async (trx) => {
          await trx(KNEX_TABLE).insert({ vc: 'rolled back' });
          inside = await count(trx, { vc: 'rolled back' });
          throw new Rollback('roll it back');
        })
        .catch((err: unknown) => {
          if (!(err instanceof Rollback)) throw err;
        });
      return { inside, after: await count(knex, { vc: 'rolled back' }) };
    });
    // Knex rethrows the driver's error (its message prefixed with the SQL), fields and all.
    let violation: (Error & { code?: string; schema?: string; table?: string; constraint?: string }) | undefined;
    await step(result, 'unique', async () => {
      violation = await items()
        .insert({ vc: ORM_ROW.vc })
        .then(
          () => undefined,
          (err: unknown) => err as typeof violation,
        );
      const one = await knex.select(knex.raw('1 as one')).first();
      return { sqlstate: violation?.code ?? null, after: one?.one };
    });
    await step(result, 'unique_fields', async () => ({ schema: violation?.schema, table: violation?.table, constraint: violation?.constraint }));
  } finally {
    await knex.destroy();
  }
  return result;
}
