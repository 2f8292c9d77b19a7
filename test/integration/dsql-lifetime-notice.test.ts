// DSQL ends every connection after 60 minutes. A few minutes before, the proxy sends the client a
// NOTICE between two messages of the cluster. The lifetime is shortened here (in-process backend)
// so the test takes a second, not an hour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { createTestPki, type TestPki } from '../harness/pki.js';
import { startDsqlStandIn, type DsqlStandIn } from '../harness/dsql-standin.js';
import { TEST_CREDENTIALS, testRelayIo } from '../harness/proxy-process.js';
import { DsqlBackend } from '../../src/dsql/dsql-backend.js';
import { Listener } from '../../src/server/listener.js';
import { createLogger } from '../../src/util/logger.js';
import { DSQL_HOSTNAME, DSQL_REGION } from './dsql-fixture.js';
import { loopbackListenerSettings } from '../harness/listener-settings.js';

describe('DSQL connection lifetime notice', () => {
  let db: ThrowawayPostgres;
  let pki: TestPki;
  let standIn: DsqlStandIn;
  let listener: Listener;

  beforeAll(async () => {
    db = await startPostgres();
    pki = await createTestPki([DSQL_HOSTNAME]);
    standIn = await startDsqlStandIn({
      hostname: DSQL_HOSTNAME,
      region: DSQL_REGION,
      credentials: TEST_CREDENTIALS,
      tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
      upstream: { host: db.host, port: db.port },
    });
    const backend = new DsqlBackend({
      target: {
        hostname: DSQL_HOSTNAME,
        connectHost: '127.0.0.1',
        connectPort: standIn.port,
        extraCa: pki.caCertPem,
        connectTimeoutMs: 5000,
        maxMessageBytes: 1 << 20,
      },
      region: DSQL_REGION,
      tokenTtlSeconds: 900,
      relayIo: testRelayIo(),
      credentials: async () => TEST_CREDENTIALS,
      // A 1.5 s "hour", and the notice 0.01 minutes (0.6 s) before its end.
      connectionLifetimeMs: 1500,
      lifetimeNoticeMinutes: 0.01,
    });
    listener = new Listener(
      loopbackListenerSettings('lifetime'),
      backend,
      createLogger({ level: 'silent' }),
    );
    await listener.listen();
  });

  afterAll(async () => {
    await listener?.close(0);
    await standIn?.stop();
    pki?.cleanup();
    await db?.stop();
  });

  it('tells the client before the cluster would close the connection, without disturbing a running query', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: listener.address!.port, user: 'admin', database: 'postgres' });
    const notices: { severity?: string; message: string; hint?: string }[] = [];
    client.on('notice', (n) => notices.push({ severity: n.severity, message: n.message ?? '', hint: n.hint }));
    await client.connect();
    try {
      // The notice falls due while this query runs: it must arrive between whole messages.
      const res = await client.query('select pg_sleep(1.2), 42 as answer');
      expect(res.rows[0].answer).toBe(42);
      const deadline = Date.now() + 3000;
      while (notices.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(notices).toHaveLength(1);
      expect(notices[0].severity).toBe('NOTICE');
      expect(notices[0].message).toMatch(/Aurora DSQL will close this connection/);
      expect(notices[0].hint).toMatch(/fresh token/);
      expect((await client.query('select 1 as still')).rows[0].still).toBe(1);
    } finally {
      await client.end();
    }
  });
});
