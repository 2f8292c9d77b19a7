// FETCH and MOVE naming a portal made by Bind (asyncpg's Cursor.forward sends `MOVE FORWARD n
// <portal>` as a simple query): answered the same way by PostgreSQL and by the proxy in Data
// API mode, where portals live in the proxy.
import { expect, it } from 'vitest';
import { WireClient, type QueryAnswer } from '../harness/wire-client.js';
import { useDataApiStack } from './dataapi-fixture.js';

const stack = useDataApiStack();

async function session(client: WireClient): Promise<unknown[]> {
  const steps: unknown[] = [];
  const q = async (sql: string): Promise<QueryAnswer> => {
    const answer = await client.query(sql);
    steps.push({ sql, answer });
    return answer;
  };
  await q('begin');
  steps.push(await client.openPortal('p1', 'select g, g * 2 as twice from generate_series(1, 10) g', 3));
  await q('move forward 2 p1');
  await q('fetch 2 from p1');
  await q('fetch next in p1');
  await q('move forward all in p1');
  await q('fetch forward 3 from p1');
  await q('move backward 1 from p1');
  await q('rollback');
  // FETCH ALL of a portal larger than a page, then FETCH past its end.
  await q('begin');
  steps.push(await client.openPortal('p2', 'select g from generate_series(1, 2500) g', 4));
  await q('fetch 5 from p2');
  await q('fetch all from p2');
  await q('fetch 1 from p2');
  await q('rollback');
  // The unnamed portal cannot be named; a name that is neither portal nor cursor is refused.
  await q('begin');
  await q('move forward 1 no_such_portal');
  await q('rollback');
  return steps;
}

it('moves and fetches through a protocol portal as PostgreSQL does', async () => {
  const s = stack();
  const direct = await WireClient.open(s.db.host, s.db.port, s.db.user, s.db.database);
  const proxy = await WireClient.open(s.proxy.host, s.proxy.port, 'postgres', 'postgres');
  try {
    const expected = await session(direct);
    // The test means something only if PostgreSQL moved and refused as described.
    expect(JSON.stringify(expected)).toContain('"tag":"MOVE 2"');
    expect(JSON.stringify(expected)).toContain('"error":"55000"');
    expect(await session(proxy)).toEqual(expected);
  } finally {
    direct.end();
    proxy.end();
  }
});
