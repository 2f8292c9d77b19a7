// A crowd of clients that vanish in every way a real one can (test/harness/vanishing-clients.ts),
// through each relay the DSQL mode has: the native one with warm connections, the JavaScript one
// (--relay-engine node), the JavaScript one that keeps cluster connections for reuse, and worker
// processes (--workers 2), which saw a client gone mid-TLS-handshake as a protocol error. When
// the crowd is gone, no session, no client slot and no cluster connection beyond the warm set may
// be left, nothing may be logged as a failure, and the proxy must serve the next client.
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { freePort } from '../harness/ports.js';
import { runVanishingCrowd } from '../harness/vanishing-clients.js';
import { useDsqlStack } from './dsql-fixture.js';
import { metricValue, waitFor } from './warm-connections-helpers.js';

const stack = useDsqlStack();
const LONG_RESULT = "select g, repeat('x', 200) as filler from generate_series(1, 100000) g";

const RELAYS: Array<{ name: string; args: string[]; warm: number }> = [
  { name: 'native relay, --warm-connections 2', args: ['--warm-connections', '2'], warm: 2 },
  { name: '--relay-engine node', args: ['--relay-engine', 'node'], warm: 0 },
  { name: '--warm-connections 2 --reuse-connections', args: ['--warm-connections', '2', '--reuse-connections'], warm: 2 },
  { name: '--workers 2 --warm-connections 1', args: ['--workers', '2', '--warm-connections', '1'], warm: 2 },
];

describe('DSQL mode: clients that vanish in every way', () => {
  for (const relay of RELAYS) {
    it(`leave nothing behind (${relay.name})`, async () => {
      const before = stack().standIn.stats.connections; // other proxies of this file may hold some
      const metrics = await freePort();
      const proxy = await stack().startProxy({ extraArgs: ['--metrics-listen', `127.0.0.1:${metrics}`, ...relay.args] });
      try {
        if (relay.args.includes('--workers')) await proxy.waitForLog(/all 2 workers listening/);
        const crowd = await runVanishingCrowd(proxy, { parameters: { user: 'admin', database: 'postgres' }, longResult: LONG_RESULT, count: 48 });
        expect(crowd.failures).toEqual([]);
        expect(Object.keys(crowd.ran)).toHaveLength(12);

        await waitFor('every session over', async () => (await metricValue(metrics, 'client_connections_open')) === 0);
        await waitFor('no cluster connection beyond the warm set', () => stack().standIn.stats.connections <= before + relay.warm);
        expect(proxy.logRecords().filter((r) => Number(r.level) >= 50)).toEqual([]);
        // Leaving, however abruptly, is not a protocol error: mid-TLS-handshake is closed_before_startup.
        expect(proxy.logRecords().filter((r) => r.msg === 'connection closed' && r.outcome === 'protocol_error')).toEqual([]);
        expect(proxy.child.exitCode).toBeNull();
        const c = new pg.Client(stack().pgConfig(proxy));
        await c.connect();
        try {
          expect((await c.query('select 42 as n')).rows).toEqual([{ n: 42 }]);
        } finally {
          await c.end();
        }
      } finally {
        await proxy.stop();
      }
    });
  }
});
