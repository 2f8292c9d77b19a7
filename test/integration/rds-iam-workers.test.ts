// `rds-iam --workers 2`: the same cluster machinery as dsql (see dsql-workers.test.ts, which
// covers cancel, metrics and worker replacement); here, that sessions of the rds-iam relay are
// served by both workers, each signing tokens the RDS stand-in accepts, and that SIGTERM ends
// the primary and the workers with exit code 0.
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useRdsIamStack } from './rds-iam-fixture.js';

const stack = useRdsIamStack();
const open: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => {})));
});

describe('rds-iam --workers 2', () => {
  it('serves clients on both workers, and stops cleanly on SIGTERM', async () => {
    const proxy = await stack().startProxy({ extraArgs: ['--workers', '2'] });
    await proxy.waitForLog(/all 2 workers listening/);
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new pg.Client(stack().pgConfig(proxy));
        c.on('error', () => {});
        open.push(c);
        await c.connect();
        return c;
      }),
    );
    const rows = await Promise.all(clients.map((c, i) => c.query('select current_user as who, $1::int as i', [i])));
    expect(rows.map((r) => r.rows[0])).toEqual([0, 1, 2, 3].map((i) => ({ who: 'postgres', i })));
    let opened = proxy.logRecords().filter((r) => r.msg === 'connection opened');
    for (let i = 0; i < 100 && opened.length < 4; i++) {
      await new Promise((r) => setTimeout(r, 50));
      opened = proxy.logRecords().filter((r) => r.msg === 'connection opened');
    }
    expect(new Set(opened.map((r) => r.worker))).toEqual(new Set([0, 1]));
    // The BackendKeyData each client got names its worker.
    const keys = clients.map((c) => (c as unknown as { processID: number }).processID & 63);
    expect(new Set(keys)).toEqual(new Set([0, 1]));

    await Promise.all(open.splice(0).map((c) => c.end()));
    expect(await proxy.stop('SIGTERM')).toBe(0);
    expect(proxy.output()).toMatch(/shutdown complete/);
  });
});
