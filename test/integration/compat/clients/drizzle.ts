// Drizzle ORM over node-postgres (drizzle-orm/node-postgres, a default pg.Pool): the table
// declared with pgTable and created with the shared DDL (Drizzle's own migrations are drizzle-kit,
// a separate CLI), rows written and read through its query builder, transactions through
// db.transaction() and tx.rollback().
import pg from 'pg';
import { TransactionRollbackError, count, eq, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import {
  bigint,
  boolean,
  customType,
  date,
  doublePrecision,
  integer,
  interval,
  json,
  jsonb,
  numeric,
  pgTable,
  real,
  serial,
  smallint,
  text,
  time,
  timestamp,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import type { Target } from '../targets.js';
import { step, type WorkloadResult } from '../workload.js';
import { SCHEMA_QUERY, TYPED_COLUMNS, driverTableDdl } from './driver-schema.js';
import { normaliseRow } from './js-normalize.js';
import { ORM_ROW } from './orm-values.js';

export const DRIZZLE_TABLE = 'compat_drizzle';

// This version of pg-core has no bytea column; pg already reads and writes it as a Buffer.
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

const items = pgTable(DRIZZLE_TABLE, {
  id: serial('id').primaryKey(),
  i2: smallint('i2'),
  i4: integer('i4'),
  // Its default 'number' mode would round 2^53 + 1; 'bigint' keeps every digit.
  i8: bigint('i8', { mode: 'bigint' }),
  num: numeric('num', { precision: 12, scale: 4 }),
  f4: real('f4'),
  f8: doublePrecision('f8'),
  b: boolean('b'),
  t: text('t'),
  vc: varchar('vc', { length: 40 }).unique(),
  by: bytea('by'),
  d: date('d'),
  tm: time('tm'),
  // A timestamp without time zone is no instant: Drizzle's default Date mode would read it as UTC.
  ts: timestamp('ts', { mode: 'string' }),
  tstz: timestamp('tstz', { withTimezone: true }),
  iv: interval('iv'),
  u: uuid('u'),
  j: json('j'),
  jb: jsonb('jb'),
  // Its element type is non-null by default; a PostgreSQL array may hold NULLs, as row 1's does.
  arr: integer('arr').array().$type<(number | null)[]>(),
  tarr: text('tarr').array(),
  n: text('n'),
});

type Db = NodePgDatabase<Record<string, never>> & { $client: pg.Pool };

/** Row 1 in the column types above: int8 as a bigint, timestamptz as a Date. */
const ROW = {
  ...ORM_ROW,
  i8: BigInt(ORM_ROW.i8),
  tstz: new Date(ORM_ROW.tstz),
};

export async function runDrizzle(target: Target): Promise<WorkloadResult> {
  const result: WorkloadResult = {};
  const db: Db = drizzle({ client: new pg.Pool({ host: target.host, port: target.port, user: target.user, database: target.database }) });
  const countVc = async (q: Pick<Db, 'select'>, vc: string) => (await q.select({ n: count() }).from(items).where(eq(items.vc, vc)))[0].n;
  const byId = async (id: number) => (await db.select().from(items).where(eq(items.id, id)))[0];
  // Later steps use the ids the inserts returned, so a wrong id fails the insert step only.
  let ids = [1, 2];
  try {
    await step(result, 'schema', async () => {
      await db.execute(sql.raw(driverTableDdl(DRIZZLE_TABLE)));
      // Reading the catalog is no part of Drizzle's API: the pool it runs on answers that.
      return (await db.$client.query(SCHEMA_QUERY, [DRIZZLE_TABLE])).rows.map((r) => [r.column_name, r.udt_name]);
    });
    await step(result, 'insert', async () => {
      const [first] = await db
        .insert(items)
        .values(ROW)
        .returning({ id: items.id, doubled: sql<number>`${items.i2} * 2`, t: items.t });
      const nulls = Object.fromEntries(TYPED_COLUMNS.map((c) => [c, null]));
      const [second] = await db.insert(items).values(nulls).returning({ id: items.id });
      ids = [first.id, second.id];
      return { first, second };
    });
    await step(result, 'types', async () => normaliseRow(await byId(ids[0])));
    await step(result, 'nulls', async () => normaliseRow(await byId(ids[1])));
    await step(result, 'update', async () => {
      const r = await db.update(items).set({ t: 'updated' }).where(eq(items.id, ids[0]));
      return { count: r.rowCount, t: (await byId(ids[0])).t };
    });
    await step(result, 'delete', async () => {
      const r = await db.delete(items).where(eq(items.id, ids[1]));
      return { deleted: r.rowCount, remaining: await db.$count(items) };
    });
    await step(result, 'commit', async () => {
      await db.transaction(async (tx) => {
        await tx.insert(items).values({ vc: 'committed' });
      });
      return { count: await countVc(db, 'committed') };
    });
    await step(result, 'rollback', async () => {
      let inside = -1;
      await db
        .transaction(async (tx) => {
          await tx.insert(items).values({ vc: 'rolled back' });
          inside = await countVc(tx, 'rolled back');
          tx.rollback();
        })
        .catch((err: unknown) => {
          if (!(err instanceof TransactionRollbackError)) throw err;
        });
      return { inside, after: await countVc(db, 'rolled back') };
    });
    // Drizzle wraps the driver's error (DrizzleQueryError); pg's DatabaseError is its cause.
    let violation: pg.DatabaseError | undefined;
    await step(result, 'unique', async () => {
      violation = await db
        .insert(items)
        .values({ vc: ORM_ROW.vc })
        .then(
          () => undefined,
          (err: unknown) => (err as { cause?: pg.DatabaseError }).cause,
        );
      const one = await db.execute<{ one: number }>(sql`select 1 as one`);
      return { sqlstate: violation?.code ?? null, after: one.rows[0].one };
    });
    await step(result, 'unique_fields', async () => ({ schema: violation?.schema, table: violation?.table, constraint: violation?.constraint }));
  } finally {
    await db.$client.end();
  }
  return result;
}
