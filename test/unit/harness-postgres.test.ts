import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres } from '../harness/postgres.js';

describe('throwaway PostgreSQL harness', () => {
  it('starts a cluster that answers queries and removes it afterwards', async () => {
    const db = await startPostgres();
    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const res = await client.query('select current_setting($1) as v', ['server_version_num']);
      expect(Number(res.rows[0].v)).toBeGreaterThanOrEqual(150000);
      await client.end();
    } finally {
      await db.stop();
    }
  });
});
