// Login pacing (--max-connect-rate, --connect-burst) through the real proxy process in rds-iam
// mode (the same IAM relay backend as dsql): a burst of clients beyond the bucket waits, and a
// client whose turn cannot come within --connect-timeout gets 53400 from the proxy without the
// proxy ever trying to log in for it.
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useRdsIamStack } from './rds-iam-fixture.js';

const stack = useRdsIamStack();
const open: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => {})));
});

describe('rds-iam login pacing', () => {
  it('with one login per second and a 1 s connect timeout, a burst of six gets some in and refuses the rest with 53400', async () => {
    // At 1 login per second with a bucket of 1, of six clients that arrive together only those
    // whose turn comes within 1 s (the bucket's token, then one per second) get in; the later
    // ones are refused unless their arrival were spread over several seconds.
    const proxy = await stack().startProxy({ extraArgs: ['--max-connect-rate', '1', '--connect-burst', '1', '--connect-timeout', '1'] });
    try {
      const acceptedBefore = stack().standIn.stats.accepted;
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const c = new pg.Client(stack().pgConfig(proxy));
          c.on('error', () => {});
          open.push(c);
          return c.connect().then(
            () => 'admitted' as const,
            (e: unknown) => e,
          );
        }),
      );
      const admitted = outcomes.filter((o) => o === 'admitted').length;
      const refused = outcomes.filter((o): o is pg.DatabaseError => o instanceof pg.DatabaseError);
      expect(admitted).toBeGreaterThanOrEqual(1);
      expect(admitted + refused.length).toBe(6);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      for (const err of refused) {
        expect(err.code).toBe('53400');
        expect(err.message).toMatch(/could not open a connection to the RDS database within 1 s: logins are paced at 1 per second \(burst 1\)/);
        expect(err.hint).toContain('--max-connect-rate');
      }
      // Refused clients never cost a login at the database.
      expect(stack().standIn.stats.accepted - acceptedBefore).toBe(admitted);
    } finally {
      await Promise.all(open.splice(0).map((c) => c.end().catch(() => {})));
      await proxy.stop();
    }
  });
});
