// Knex with its `pg` client and default options: knex.raw(query).stream() (pg-query-stream
// underneath) read to the end, and abandoned half-way (for-await left with break, which destroys
// the stream and Knex the query stream under it) inside knex.transaction(), which then commits.
import knexFactory from 'knex';
import type { Target } from '../../targets.js';
import { step, type WorkloadResult } from '../../workload.js';
import { HALF, MARKS_DDL, QUERY, Summary } from './rows.js';

export async function runKnexStreaming(target: Target): Promise<WorkloadResult> {
  const result: WorkloadResult = {};
  const knex = knexFactory({ client: 'pg', connection: { host: target.host, port: target.port, user: target.user, database: target.database } });
  const one = async (q: typeof knex) => (await q.raw('select 1 as one')).rows[0].one as unknown;
  try {
    await step(result, 'setup', () => knex.raw(MARKS_DDL).then(() => null));
    await step(result, 'stream', async () => {
      const s = new Summary();
      for await (const r of knex.raw(QUERY).stream()) s.add(r.g, r.h);
      return { ...s.value(), after: await one(knex) };
    });
    await step(result, 'stream_abandoned', async () => {
      const s = new Summary();
      const after = await knex.transaction(async (trx) => {
        await trx('streaming_marks').insert({ habit: 'knex' });
        for await (const r of trx.raw(QUERY).stream()) {
          s.add(r.g, r.h);
          if (s.count === HALF) break;
        }
        return one(trx);
      });
      const [{ n }] = await knex('streaming_marks').where({ habit: 'knex' }).count<{ n: string }[]>({ n: '*' });
      return { ...s.partial(), after, committed: Number(n) };
    });
  } finally {
    await knex.destroy();
  }
  return result;
}
