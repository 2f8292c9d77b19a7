// TypeORM with its default options plus `synchronize: true` (its schema sync creates the table):
// an EntitySchema (no decorators needed), written and read through a Repository, transactions
// through DataSource.transaction().
import { DataSource, EntitySchema, QueryFailedError, type EntitySchemaColumnOptions } from 'typeorm';
import type { Target } from '../targets.js';
import { step, type WorkloadResult } from '../workload.js';
import { SCHEMA_QUERY } from './driver-schema.js';
import { normaliseRow } from './js-normalize.js';
import { ORM_ROW } from './orm-values.js';

export const TYPEORM_TABLE = 'compat_typeorm';

type Item = Record<string, unknown> & { id?: number };

const nullable = (column: EntitySchemaColumnOptions): EntitySchemaColumnOptions => ({ ...column, nullable: true });

const ItemSchema = new EntitySchema<Item>({
  name: 'CompatItem',
  tableName: TYPEORM_TABLE,
  columns: {
    id: { type: 'int', primary: true, generated: 'increment' },
    i2: nullable({ type: 'smallint' }),
    i4: nullable({ type: 'integer' }),
    i8: nullable({ type: 'bigint' }),
    num: nullable({ type: 'numeric', precision: 12, scale: 4 }),
    f4: nullable({ type: 'real' }),
    f8: nullable({ type: 'double precision' }),
    b: nullable({ type: 'boolean' }),
    t: nullable({ type: 'text' }),
    vc: nullable({ type: 'varchar', length: 40, unique: true }),
    by: nullable({ type: 'bytea' }),
    d: nullable({ type: 'date' }),
    tm: nullable({ type: 'time' }),
    ts: nullable({ type: 'timestamp' }),
    tstz: nullable({ type: 'timestamptz' }),
    iv: nullable({ type: 'interval' }),
    u: nullable({ type: 'uuid' }),
    j: nullable({ type: 'json' }),
    jb: nullable({ type: 'jsonb' }),
    arr: nullable({ type: 'int', array: true }),
    tarr: nullable({ type: 'text', array: true }),
    n: nullable({ type: 'text' }),
  },
});

export async function runTypeorm(target: Target): Promise<WorkloadResult> {
  const result: WorkloadResult = {};
  const dataSource = new DataSource({
    type: 'postgres',
    host: target.host,
    port: target.port,
    username: target.user,
    database: target.database,
    entities: [ItemSchema],
  });
  let ids = [1, 2];
  try {
    await step(result, 'schema', async () => {
      await dataSource.initialize();
      await dataSource.synchronize();
      const rows: { column_name: string; udt_name: string }[] = await dataSource.query(SCHEMA_QUERY, [TYPEORM_TABLE]);
      return rows.map((r) => [r.column_name, r.udt_name]);
    });
    const repo = dataSource.getRepository(ItemSchema);
    await step(result, 'insert', async () => {
      const first = await repo.save(repo.create({ ...ORM_ROW }));
      const second = await repo.save(repo.create({}));
      ids = [first.id!, second.id!];
      return { first: { id: first.id, t: first.t }, second: { id: second.id } };
    });
    await step(result, 'types', async () => normaliseRow((await repo.findOneByOrFail({ id: ids[0] })) as Item));
    await step(result, 'nulls', async () => normaliseRow((await repo.findOneByOrFail({ id: ids[1] })) as Item));
    await step(result, 'update', async () => {
      const r = await repo.update({ id: ids[0] }, { t: 'updated' });
      return { count: r.affected, t: (await repo.findOneByOrFail({ id: ids[0] })).t };
    });
    await step(result, 'delete', async () => {
      const r = await repo.delete({ id: ids[1] });
      return { deleted: r.affected, remaining: await repo.count() };
    });
    await step(result, 'commit', async () => {
      await dataSource.transaction(async (manager) => manager.save(ItemSchema, { vc: 'committed' }));
      return { count: await repo.countBy({ vc: 'committed' }) };
    });
    await step(result, 'rollback', async () => {
      let inside = -1;
      const marker = new Error('roll it back');
      await dataSource
        .transaction(async (manager) => {
          await manager.save(ItemSchema, { vc: 'rolled back' });
          inside = await manager.countBy(ItemSchema, { vc: 'rolled back' });
          throw marker;
        })
        .catch((err: unknown) => {
          if (err !== marker) throw err;
        });
      return { inside, after: await repo.countBy({ vc: 'rolled back' }) };
    });
    let violation: QueryFailedError<Error & { code?: string; schema?: string; table?: string; constraint?: string }> | undefined;
    await step(result, 'unique', async () => {
      violation = await repo.save(repo.create({ vc: ORM_ROW.vc })).then(
        () => undefined,
        (err: unknown) => err as typeof violation,
      );
      const [one] = await dataSource.query('select 1 as one');
      return { sqlstate: violation?.driverError.code ?? null, error: violation?.name, after: one.one };
    });
    await step(result, 'unique_fields', async () => ({
      schema: violation?.driverError.schema,
      table: violation?.driverError.table,
      constraint: violation?.driverError.constraint,
    }));
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
  return result;
}
