// A pipeline that reaches the proxy in several network reads is run as the client wrote it:
// everything up to Sync in one implicit transaction, as PostgreSQL does. node-postgres writes
// each protocol message on its own, so on a busy machine the proxy can read a pipeline's first
// Execute before the rest has arrived; it used to commit that Execute at once. Each exchange runs
// against PostgreSQL itself and through the proxy, with pauses between the writes, and the rows
// each leaves behind are compared.
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';
import { RawConnection } from '../harness/raw-protocol.js';

const stack = useDataApiStack();
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client(stack().directConfig());
  await admin.connect();
  await admin.query('create table split_pipeline (id int primary key)');
});
afterAll(async () => {
  await admin?.end();
});

function summary(messages: BackendMessage[]): string[] {
  return messages.map((m) => (m.name === 'error' ? `error ${(m as unknown as { code: string }).code}` : m.name));
}

const pause = () => new Promise((r) => setTimeout(r, 50));
const insert = (id: number) => [serialize.parse({ text: `insert into split_pipeline values (${id})` }), serialize.bind(), serialize.execute()];

/** Sends the writes with pauses between them, then returns the answer and the rows left behind. */
async function exchange(target: 'postgres' | 'proxy', writes: Buffer[][]): Promise<{ answer: string[]; rows: number[] }> {
  await admin.query('truncate split_pipeline');
  const [host, port] = target === 'postgres' ? [stack().db.host, stack().db.port] : [stack().proxy.host, stack().proxy.port];
  const c = await RawConnection.open(host, port);
  try {
    for (const [i, w] of writes.entries()) {
      if (i > 0) await pause();
      c.send(...w);
    }
    const answer = summary(await c.untilReady());
    const rows = (await admin.query('select id from split_pipeline order by id')).rows.map((r: { id: number }) => r.id);
    return { answer, rows };
  } finally {
    c.end();
  }
}

async function both(writes: Buffer[][]) {
  return { postgres: await exchange('postgres', writes), proxy: await exchange('proxy', writes) };
}

describe('a pipeline split across network reads, through the Data API proxy', () => {
  it('fails whole when its last statement fails after its first was read alone', async () => {
    const { postgres, proxy } = await both([insert(1), [serialize.parse({ text: 'select 1 / (select count(*)::int from split_pipeline where id < 0)' }), serialize.bind(), serialize.execute(), serialize.sync()]]);
    expect(postgres.rows).toEqual([]);
    expect(proxy).toEqual(postgres);
    expect(proxy.answer).toContain('error 22012');
  });

  it('commits every statement of it at its Sync', async () => {
    const { postgres, proxy } = await both([insert(1), insert(2), [serialize.sync()]]);
    expect(postgres.rows).toEqual([1, 2]);
    expect(proxy).toEqual(postgres);
  });

  it('keeps the failed statement from running the next one, up to the Sync', async () => {
    const { postgres, proxy } = await both([insert(1), insert(1), [...insert(3), serialize.sync()]]);
    expect(postgres.rows).toEqual([]);
    expect(proxy).toEqual(postgres);
  });
});
