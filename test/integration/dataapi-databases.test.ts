// Which database a Data API session runs in: the one the client names, or the one the listener
// is fixed to with --database (another is then refused, never silently replaced).
import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';

const stack = useDataApiStack();

async function currentDatabase(port: number, database: string): Promise<string> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database });
  await c.connect();
  try {
    return (await c.query('select current_database() as db')).rows[0].db;
  } finally {
    await c.end();
  }
}

describe('databases in Data API mode', () => {
  beforeAll(async () => {
    const admin = new pg.Client(stack().directConfig());
    await admin.connect();
    await admin.query('create database second_db');
    await admin.end();
  });

  it('runs each session in the database its client names', async () => {
    expect(await currentDatabase(stack().proxy.port, 'postgres')).toBe('postgres');
    expect(await currentDatabase(stack().proxy.port, 'second_db')).toBe('second_db');
  });

  it('refuses a database that does not exist at connect, as PostgreSQL does', async () => {
    await expect(currentDatabase(stack().proxy.port, 'no_such_db')).rejects.toMatchObject({ code: '3D000', severity: 'FATAL' });
  });

  it('with --database, serves that one and refuses another with a hint', async () => {
    const fixed = await stack().startProxy(['--database', 'second_db']);
    expect(await currentDatabase(fixed.port, 'second_db')).toBe('second_db');
    await expect(currentDatabase(fixed.port, 'postgres')).rejects.toMatchObject({
      code: '3D000',
      message: 'database "postgres" is not served by this listener',
      hint: expect.stringMatching(/dbname=second_db/),
    });
  });
});
