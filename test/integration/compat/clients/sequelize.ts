// Sequelize with its default options (only logging silenced): the model is created by sync(),
// written and read through the model API, transactions through sequelize.transaction().
import { DataTypes, QueryTypes, Sequelize, type ModelStatic, type Model } from 'sequelize';
import type { Target } from '../targets.js';
import { step, type WorkloadResult } from '../workload.js';
import { SCHEMA_QUERY } from './driver-schema.js';
import { normaliseRow } from './js-normalize.js';
import { ORM_ROW } from './orm-values.js';

export const SEQUELIZE_TABLE = 'compat_sequelize';

function defineItem(sequelize: Sequelize): ModelStatic<Model> {
  return sequelize.define(
    'CompatItem',
    {
      i2: DataTypes.SMALLINT,
      i4: DataTypes.INTEGER,
      i8: DataTypes.BIGINT,
      num: DataTypes.DECIMAL(12, 4),
      f4: DataTypes.REAL,
      f8: DataTypes.DOUBLE,
      b: DataTypes.BOOLEAN,
      t: DataTypes.TEXT,
      vc: { type: DataTypes.STRING(40), unique: true },
      by: DataTypes.BLOB,
      d: DataTypes.DATEONLY,
      tm: DataTypes.TIME,
      // Sequelize has no data type for these two; a type given as text goes into the DDL as is.
      ts: { type: 'TIMESTAMP WITHOUT TIME ZONE' },
      tstz: DataTypes.DATE,
      iv: { type: 'INTERVAL' },
      u: DataTypes.UUID,
      j: DataTypes.JSON,
      jb: DataTypes.JSONB,
      arr: DataTypes.ARRAY(DataTypes.INTEGER),
      tarr: DataTypes.ARRAY(DataTypes.TEXT),
      n: DataTypes.TEXT,
    },
    { tableName: SEQUELIZE_TABLE },
  );
}

export async function runSequelize(target: Target): Promise<WorkloadResult> {
  const result: WorkloadResult = {};
  const sequelize = new Sequelize(target.database, target.user, '', {
    host: target.host,
    port: target.port,
    dialect: 'postgres',
    logging: false,
  });
  const Item = defineItem(sequelize);
  let ids = [1, 2];
  try {
    await step(result, 'schema', async () => {
      await Item.sync();
      const rows = await sequelize.query<{ column_name: string; udt_name: string }>(SCHEMA_QUERY, {
        bind: [SEQUELIZE_TABLE],
        type: QueryTypes.SELECT,
      });
      return rows.map((r) => [r.column_name, r.udt_name]);
    });
    await step(result, 'insert', async () => {
      const first = await Item.create(ORM_ROW);
      const second = await Item.create({});
      ids = [first.get('id') as number, second.get('id') as number];
      return { first: { id: first.get('id'), t: first.get('t') }, second: { id: second.get('id') } };
    });
    await step(result, 'types', async () => normaliseRow((await Item.findByPk(ids[0]))!.get({ plain: true })));
    await step(result, 'nulls', async () => normaliseRow((await Item.findByPk(ids[1]))!.get({ plain: true })));
    await step(result, 'update', async () => {
      const [count] = await Item.update({ t: 'updated' }, { where: { id: ids[0] } });
      return { count, t: (await Item.findByPk(ids[0]))!.get('t') };
    });
    await step(result, 'delete', async () => ({ deleted: await Item.destroy({ where: { id: ids[1] } }), remaining: await Item.count() }));
    await step(result, 'commit', async () => {
      await sequelize.transaction(async (transaction) => Item.create({ vc: 'committed' }, { transaction }));
      return { count: await Item.count({ where: { vc: 'committed' } }) };
    });
    await step(result, 'rollback', async () => {
      let inside = -1;
      const marker = new Error('roll it back');
      await sequelize
        .transaction(async (transaction) => {
          await Item.create({ vc: 'rolled back' }, { transaction });
          inside = await Item.count({ where: { vc: 'rolled back' }, transaction });
          throw marker;
        })
        .catch((err: unknown) => {
          if (err !== marker) throw err;
        });
      return { inside, after: await Item.count({ where: { vc: 'rolled back' } }) };
    });
    let violation: (Error & { parent?: { code?: string; schema?: string; table?: string; constraint?: string } }) | undefined;
    await step(result, 'unique', async () => {
      violation = await Item.create({ vc: ORM_ROW.vc }).then(
        () => undefined,
        (err: unknown) => err as typeof violation,
      );
      const [one] = await sequelize.query<{ one: number }>('select 1 as one', { type: QueryTypes.SELECT });
      return { sqlstate: violation?.parent?.code ?? null, error: violation?.name, after: one.one };
    });
    await step(result, 'unique_fields', async () => ({
      schema: violation?.parent?.schema,
      table: violation?.parent?.table,
      constraint: violation?.parent?.constraint,
    }));
  } finally {
    await sequelize.close();
  }
  return result;
}
