// Kysely with its PostgresDialect over a default pg.Pool: the table made by its schema builder,
// rows written and read through its typed query builder, transactions through
// db.transaction().execute().
import pg from 'pg';
import { Kysely, PostgresDialect, sql, type ColumnType, type Generated, type Insertable } from 'kysely';
import type { Target } from '../targets.js';
import { step, type WorkloadResult } from '../workload.js';
import { TYPED_COLUMNS } from './driver-schema.js';
import { normaliseRow } from './js-normalize.js';
import { ORM_ROW } from './orm-values.js';

export const KYSELY_TABLE = 'compat_kysely';

/** Written as text, read back as what pg parses it into. */
type ReadAs<T> = ColumnType<T | null, string | null, string | null>;

interface ItemTable {
  id: Generated<number>;
  i2: number | null;
  i4: number | null;
  i8: string | null;
  num: string | null;
  f4: number | null;
  f8: number | null;
  b: boolean | null;
  t: string | null;
  vc: string | null;
  by: Buffer | null;
  d: ReadAs<Date>;
  tm: string | null;
  ts: ReadAs<Date>;
  tstz: ReadAs<Date>;
  iv: ReadAs<object>;
  u: string | null;
  j: unknown;
  jb: unknown;
  arr: (number | null)[] | null;
  tarr: string[] | null;
  n: string | null;
}

interface Database {
  [KYSELY_TABLE]: ItemTable;
  'information_schema.columns': { table_name: string; column_name: string; udt_name: string; ordinal_position: number };
}

type Db = Kysely<Database>;

/** The shared table (driver-schema.ts) through the schema builder; what it has no name for is sql. */
function createTable(db: Db) {
  return db.schema
    .createTable(KYSELY_TABLE)
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('i2', 'int2')
    .addColumn('i4', 'int4')
    .addColumn('i8', 'int8')
    .addColumn('num', 'numeric(12, 4)')
    .addColumn('f4', 'float4')
    .addColumn('f8', 'float8')
    .addColumn('b', 'boolean')
    .addColumn('t', 'text')
    .addColumn('vc', 'varchar(40)', (c) => c.unique())
    .addColumn('by', 'bytea')
    .addColumn('d', 'date')
    .addColumn('tm', 'time')
    .addColumn('ts', 'timestamp')
    .addColumn('tstz', 'timestamptz')
    .addColumn('iv', sql`interval`)
    .addColumn('u', 'uuid')
    .addColumn('j', 'json')
    .addColumn('jb', 'jsonb')
    .addColumn('arr', sql`int4[]`)
    .addColumn('tarr', sql`text[]`)
    .addColumn('n', 'text')
    .execute();
}

class Rollback extends Error {}

export async function runKysely(target: Target): Promise<WorkloadResult> {
  const result: WorkloadResult = {};
  const db: Db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ host: target.host, port: target.port, user: target.user, database: target.database }),
    }),
  });
  const count = async (q: Db, vc?: string) =>
    Number(
      (
        await q
          .selectFrom(KYSELY_TABLE)
          .select((eb) => eb.fn.countAll().as('n'))
          .$if(vc !== undefined, (qb) => qb.where('vc', '=', vc!))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const byId = (id: number) => db.selectFrom(KYSELY_TABLE).selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  // Later steps use the ids the inserts returned, so a wrong id fails the insert step only.
  let ids = [1, 2];
  try {
    await step(result, 'schema', async () => {
      await createTable(db);
      const rows = await db
        .selectFrom('information_schema.columns')
        .select(['column_name', 'udt_name'])
        .where('table_name', '=', KYSELY_TABLE)
        .orderBy('ordinal_position')
        .execute();
      return rows.map((r) => [r.column_name, r.udt_name]);
    });
    await step(result, 'insert', async () => {
      const first = await db
        .insertInto(KYSELY_TABLE)
        .values(ORM_ROW)
        .returning((eb) => ['id', eb('i2', '*', 2).as('doubled'), 't'])
        .executeTakeFirstOrThrow();
      const nulls = Object.fromEntries(TYPED_COLUMNS.map((c) => [c, null])) as Insertable<ItemTable>;
      const second = await db.insertInto(KYSELY_TABLE).values(nulls).returning('id').executeTakeFirstOrThrow();
      ids = [first.id, second.id];
      return { first, second };
    });
    await step(result, 'types', async () => normaliseRow(await byId(ids[0])));
    await step(result, 'nulls', async () => normaliseRow(await byId(ids[1])));
    await step(result, 'update', async () => {
      const r = await db.updateTable(KYSELY_TABLE).set({ t: 'updated' }).where('id', '=', ids[0]).executeTakeFirstOrThrow();
      return { count: Number(r.numUpdatedRows), t: (await byId(ids[0])).t };
    });
    await step(result, 'delete', async () => {
      const r = await db.deleteFrom(KYSELY_TABLE).where('id', '=', ids[1]).executeTakeFirstOrThrow();
      return { deleted: Number(r.numDeletedRows), remaining: await count(db) };
    });
    await step(result, 'commit', async () => {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto(KYSELY_TABLE).values({ vc: 'committed' }).execute();
      });
      return { count: await count(db, 'committed') };
    });
    await step(result, 'rollback', async () => {
      let inside = -1;
      await db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto(KYSELY_TABLE).values({ vc: 'rolled back' }).execute();
          inside = await count(trx, 'rolled back');
          throw new Rollback('roll it back');
        })
        .catch((err: unknown) => {
          if (!(err instanceof Rollback)) throw err;
        });
      return { inside, after: await count(db, 'rolled back') };
    });
    // Kysely rethrows pg's DatabaseError as it is.
    let violation: pg.DatabaseError | undefined;
    await step(result, 'unique', async () => {
      violation = await db
        .insertInto(KYSELY_TABLE)
        .values({ vc: ORM_ROW.vc })
        .execute()
        .then(
          () => undefined,
          (err: unknown) => err as pg.DatabaseError,
        );
      const one = await db.selectNoFrom((eb) => eb.lit(1).as('one')).executeTakeFirstOrThrow();
      return { sqlstate: violation?.code ?? null, after: one.one };
    });
    await step(result, 'unique_fields', async () => ({ schema: violation?.schema, table: violation?.table, constraint: violation?.constraint }));
  } finally {
    await db.destroy();
  }
  return result;
}
