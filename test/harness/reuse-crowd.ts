// A crowd of node-postgres clients with mixed habits through --reuse-connections, several at a
// time: each first checks that nothing another client set is visible (settings back to their
// login values), sets its own, and checks every answer it gets, so that a connection handed on
// dirty, or a stray message left by a reset or a withheld Terminate, shows as a problem.
import pg from 'pg';

export const REUSE_HABITS = ['plain', 'transaction-left-open', 'named-statement', 'socket-destroyed', 'multi-statement', 'end-while-running', 'tls', 'error-then-query'] as const;
export type ReuseHabit = (typeof REUSE_HABITS)[number];
/** Habits whose session ends cleanly: their connection is reset and handed on. */
export const CLEAN_HABITS: ReadonlySet<ReuseHabit> = new Set(['plain', 'named-statement', 'multi-statement', 'tls', 'error-then-query']);

export interface ReuseCrowdOutcome {
  problems: string[];
  byHabit: Record<ReuseHabit, number>;
}

async function oneClient(config: pg.ClientConfig, i: number, habit: ReuseHabit, problems: string[]): Promise<void> {
  const c = new pg.Client(habit === 'tls' ? { ...config, ssl: { rejectUnauthorized: false } } : config);
  c.on('error', () => undefined);
  await c.connect();
  const seen = (await c.query('select current_setting($1) as t, current_setting($2) as p', ['statement_timeout', 'search_path'])).rows[0];
  if (seen.t !== '0' || seen.p !== '"$user", public') problems.push(`${habit} #${i} saw another client's settings: ${JSON.stringify(seen)}`);
  await c.query(`set statement_timeout = '${1000 + i}ms'`);
  await c.query(`set search_path = crowd_${i}`);
  const echoed = (await c.query('select $1::int as v', [i])).rows[0].v;
  if (echoed !== i) problems.push(`${habit} #${i} got ${echoed} for its own value`);
  switch (habit) {
    case 'transaction-left-open':
      await c.query('begin');
      await c.query('select 1');
      break;
    case 'named-statement': {
      const r = await c.query({ name: 'crowd_q', text: 'select $1::int + 1 as v', values: [i] });
      if (r.rows[0].v !== i + 1) problems.push(`${habit} #${i} got ${r.rows[0].v}`);
      break;
    }
    case 'socket-destroyed':
      (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      return;
    case 'multi-statement': {
      const answers = (await c.query(`select ${i} as v; select ${i + 1} as v; select ${i + 2} as v`)) as unknown as pg.QueryResult[];
      answers.forEach((r, k) => r.rows[0].v !== i + k && problems.push(`${habit} #${i} answer ${k} was ${r.rows[0].v}`));
      break;
    }
    case 'end-while-running': {
      const running = c.query('select pg_sleep(0.02)').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 5));
      await c.end().catch(() => undefined);
      await running;
      return;
    }
    case 'error-then-query': {
      const code = await c.query('select 1/0').then(
        () => 'none',
        (err: { code?: string }) => err.code,
      );
      if (code !== '22012') problems.push(`${habit} #${i} division by zero gave ${code}`);
      const after = (await c.query('select 7 as v')).rows[0].v;
      if (after !== 7) problems.push(`${habit} #${i} got ${after} after its error`);
      break;
    }
  }
  await c.end();
}

/** `count` clients, habits in turn, `concurrency` at a time. */
export async function runReuseCrowd(config: pg.ClientConfig, count: number, concurrency: number): Promise<ReuseCrowdOutcome> {
  const problems: string[] = [];
  const byHabit = Object.fromEntries(REUSE_HABITS.map((h) => [h, 0])) as Record<ReuseHabit, number>;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const habit = REUSE_HABITS[i % REUSE_HABITS.length];
      byHabit[habit]++;
      await oneClient(config, i, habit, problems).catch((err: Error) => problems.push(`${habit} #${i} failed: ${err.message}`));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { problems, byHabit };
}
