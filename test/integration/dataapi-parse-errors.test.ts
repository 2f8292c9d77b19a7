// A statement PostgreSQL refuses at Parse (syntax error, unknown table or column) gets its
// ErrorResponse in place of ParseComplete through the Data API proxy too, and a named statement
// that failed is not kept: node-postgres, which records a name as prepared when ParseComplete
// arrives, can run the same name again once the table exists. The message sequences are
// compared with PostgreSQL's own.
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';
import { RawConnection } from '../harness/raw-protocol.js';

const stack = useDataApiStack();
const open: { end(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.end();
});

async function client(config: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(config);
  c.on('error', () => undefined);
  await c.connect();
  open.push(c);
  return c;
}

/** Message names, with the SQLSTATE of errors. */
function summary(messages: BackendMessage[]): string[] {
  return messages.map((m) => (m.name === 'error' ? `error ${(m as unknown as { code: string }).code}` : m.name));
}

/** The same exchange with PostgreSQL and with the proxy. */
async function both(...messages: Buffer[]): Promise<[string[], string[]]> {
  const answers: string[][] = [];
  for (const [host, port] of [
    [stack().db.host, stack().db.port],
    [stack().proxy.host, stack().proxy.port],
  ] as const) {
    const c = await RawConnection.open(host, port);
    open.push(c);
    c.send(...messages);
    const answer: string[] = [];
    // One ReadyForQuery per Sync ('S').
    for (const m of messages) if (m[0] === 0x53) answer.push(...summary(await c.untilReady()));
    answers.push(answer);
  }
  return answers as [string[], string[]];
}

describe('errors at Parse through the Data API proxy', () => {
  it('node-postgres runs a named query again once its missing table exists', async () => {
    const viaProxy = await client(stack().pgConfig());
    const admin = await client(stack().directConfig());
    const query = { name: 'later', text: 'select id from later_table where id = $1', values: [1] };
    const failure = await viaProxy.query(query).then(
      () => null,
      (e: pg.DatabaseError) => e,
    );
    expect(failure?.code).toBe('42P01');
    await admin.query('create table later_table (id int); insert into later_table values (1)');
    expect((await viaProxy.query(query)).rows).toEqual([{ id: 1 }]);
    // The name is now prepared in both node-postgres and the proxy: a second run skips Parse.
    expect((await viaProxy.query(query)).rows).toEqual([{ id: 1 }]);
  });

  it('answers a bad Parse with the error alone, keeps no statement, and runs good ones as before', async () => {
    const bad = serialize.parse({ name: 's1', text: 'select nope from pg_class' });
    const good = serialize.parse({ name: 's1', text: 'select relname from pg_class limit 1' });
    const run = [serialize.bind({ statement: 's1' }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()];
    // Parse alone, then the same name parsed again: nothing was kept.
    const [direct1, proxy1] = await both(bad, serialize.sync(), good, serialize.sync());
    expect(proxy1).toEqual(direct1);
    expect(proxy1).toEqual(['error 42703', 'readyForQuery', 'parseComplete', 'readyForQuery']);
    // In a pipeline, the error comes in place of ParseComplete and the rest is skipped.
    const [direct2, proxy2] = await both(bad, ...run, good, ...run);
    expect(proxy2).toEqual(direct2);
    const [direct3, proxy3] = await both(serialize.parse({ text: 'select 1 +' }), serialize.flush(), serialize.sync());
    expect(proxy3).toEqual(direct3);
    expect(proxy3).toEqual(['error 42601', 'readyForQuery']);
    // A statement that is fine: ParseComplete, whatever follows it.
    const [direct4, proxy4] = await both(good, serialize.describe({ type: 'S', name: 's1' }), serialize.sync(), ...run);
    expect(proxy4).toEqual(direct4);
  });
});
