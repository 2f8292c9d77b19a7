// `aurora-pg-proxy demo --mode dsql` and `--mode rds-iam`: no AWS account, nothing installed beyond
// `npm ci`; the printed psql line works as printed through the proxy, which signs an IAM token that
// the demo's stand-in of the service verifies. SIGTERM ends it with exit code 0.
import { afterAll, describe, expect, it } from 'vitest';
import { killLeftoverDemoProcesses, runPsql, spawnDemoCli, startDemo, stopDemo } from '../harness/demo-cli.js';
import { freePort } from '../harness/ports.js';

afterAll(killLeftoverDemoProcesses);

describe.each([
  ['dsql', 'admin', /Aurora DSQL endpoint \S+\.dsql\.us-east-1\.on\.aws/],
  ['rds-iam', 'postgres', /RDS endpoint \S+\.us-east-1\.rds\.amazonaws\.com/],
])('aurora-pg-proxy demo --mode %s', (mode, user, banner) => {
  it('prints a psql line that works as printed, relays through the IAM login, and exits 0 on SIGTERM', { timeout: 240_000 }, async () => {
    const port = await freePort();
    const demo = await startDemo(['--mode', mode, '--listen', `127.0.0.1:${port}`], { psqlLineWithinMs: 120_000 });
    try {
      expect(demo.psqlLine).toBe(`psql "postgresql://${user}@127.0.0.1:${port}/postgres"`);
      expect(demo.stdout()).toMatch(banner);
      expect(demo.output()).toContain(`(${mode})`);

      const r = await runPsql(demo.psqlLine, `-X -A -t -c 'select count(*) from customers' -c 'select current_user'`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // The stand-in logs every verified login in as the embedded database's postgres.
      expect(r.stdout.trim().split('\n')).toEqual(['5', 'postgres']);

      const bad = await runPsql(demo.psqlLine, `-X -c 'select * from no_such_table'`);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('relation "no_such_table" does not exist');
    } finally {
      expect(await stopDemo(demo)).toBe(0);
    }
    expect(demo.output()).not.toMatch(/Error:|ERR_|uncaught/i);
  });
});

describe('aurora-pg-proxy demo --mode', () => {
  it('refuses an unknown mode, naming the flag and the modes', async () => {
    const child = spawnDemoCli(['--mode', 'mysql']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('--mode: expected one of data-api, dsql, rds-iam');
  });
});
