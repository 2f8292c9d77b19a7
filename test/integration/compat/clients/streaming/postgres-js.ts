// Postgres.js with its default options: sql`...`.cursor(500) read to the end outside a transaction,
// and abandoned half-way (for-await left with break, which closes the portal) inside sql.begin(),
// which then commits.
import postgres from 'postgres';
import type { Target } from '../../targets.js';
import { step, type WorkloadResult } from '../../workload.js';
import { HALF, MARKS_DDL, ROWS, Summary } from './rows.js';

const BATCH = 500;

export async function runPostgresJsStreaming(target: Target): Promise<WorkloadResult> {
  const result: WorkloadResult = {};
  const sql = postgres({ host: target.host, port: target.port, username: target.user, database: target.database, onnotice: () => {} });
  // The query of rows.ts, with the row count as a parameter, as one writes it with Postgres.js.
  const big = (q: postgres.Sql | postgres.TransactionSql) => q<{ g: number; h: string }[]>`select g, md5(g::text) as h from generate_series(1, ${ROWS}) g order by g`;
  try {
    await step(result, 'setup', () => sql.unsafe(MARKS_DDL).then(() => null));
    await step(result, 'cursor', async () => {
      const s = new Summary();
      for await (const rows of big(sql).cursor(BATCH)) for (const r of rows) s.add(r.g, r.h);
      return { ...s.value(), after: (await sql`select 1 as one`)[0].one };
    });
    await step(result, 'cursor_abandoned', async () => {
      const s = new Summary();
      const after = await sql.begin(async (tx) => {
        await tx`insert into streaming_marks values (${'postgres.js'})`;
        read: for await (const rows of big(tx).cursor(BATCH)) {
          for (const r of rows) {
            s.add(r.g, r.h);
            if (s.count === HALF) break read;
          }
        }
        return (await tx`select 1 as one`)[0].one;
      });
      const [{ n }] = await sql`select count(*)::int as n from streaming_marks where habit = ${'postgres.js'}`;
      return { ...s.partial(), after, committed: n };
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
  return result;
}
