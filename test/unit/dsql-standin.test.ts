// The DSQL stand-in must refuse what Aurora DSQL refuses, or the proxy's DSQL tests prove
// nothing. Every client here is real node-postgres, and every token comes from the real
// @aws-sdk/dsql-signer; the stand-in relays accepted sessions to a real PostgreSQL.
import { connect as connectTcp } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { DsqlSigner } from '@aws-sdk/dsql-signer';
import { encodeCancelRequest, encodeGSSENCRequest } from '../../src/protocol/index.js';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { createTestPki, type TestPki } from '../harness/pki.js';
import { startDsqlStandIn, type DsqlStandIn, type DsqlStandInOptions } from '../harness/dsql-standin.js';
import { freePort } from '../harness/ports.js';

const HOSTNAME = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';
const OTHER_HOSTNAME = 'zyxwvutsrqponmlkjihgfedcba.dsql.us-east-1.on.aws';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const ACCESS_DENIED = 'unable to accept connection, access denied';
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method.';

interface TokenOptions {
  admin?: boolean;
  hostname?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  expiresIn?: number;
}

function makeToken(opts: TokenOptions = {}): Promise<string> {
  const signer = new DsqlSigner({
    hostname: opts.hostname ?? HOSTNAME,
    region: REGION,
    credentials: opts.credentials ?? CREDENTIALS,
    expiresIn: opts.expiresIn ?? 900,
  });
  return (opts.admin ?? true) ? signer.getDbConnectAdminAuthToken() : signer.getDbConnectAuthToken();
}

let db: ThrowawayPostgres;
let pki: TestPki;
let standIn: DsqlStandIn;
/** Added to the stand-in's clock, to make tokens expire without waiting. */
let clockSkewMs = 0;
const cleanups: (() => Promise<void> | void)[] = [];

function standInOptions(overrides: Partial<DsqlStandInOptions> = {}): DsqlStandInOptions {
  return {
    hostname: HOSTNAME,
    region: REGION,
    credentials: CREDENTIALS,
    tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
    upstream: { host: db.host, port: db.port },
    now: () => new Date(Date.now() + clockSkewMs),
    ...overrides,
  };
}

async function extraStandIn(overrides: Partial<DsqlStandInOptions> = {}): Promise<DsqlStandIn> {
  const extra = await startDsqlStandIn(standInOptions(overrides));
  cleanups.push(() => extra.stop());
  return extra;
}

interface ConnectOptions {
  user?: string;
  /** SNI and certificate name; undefined sends no SNI (node-postgres never sends an IP as SNI). */
  servername?: string | undefined;
  ssl?: boolean;
  target?: DsqlStandIn;
  ca?: string;
  checkServerIdentity?: () => undefined;
}

function clientFor(password: string, opts: ConnectOptions = {}): pg.Client {
  const target = opts.target ?? standIn;
  const servername = 'servername' in opts ? opts.servername : HOSTNAME;
  const ssl = (opts.ssl ?? true)
    ? {
        ca: opts.ca ?? pki.caCertPem,
        ...(servername === undefined ? {} : { servername }),
        ...(opts.checkServerIdentity ? { checkServerIdentity: opts.checkServerIdentity } : {}),
      }
    : false;
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: opts.user ?? 'admin',
    database: 'postgres',
    password,
    ssl,
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => {});
  return client;
}

async function connectAs(password: string, opts: ConnectOptions = {}): Promise<pg.Client> {
  const client = clientFor(password, opts);
  await client.connect();
  cleanups.push(() => client.end().catch(() => {}));
  return client;
}

/** The error a refused connection attempt rejects with (fails the test if it connects). */
async function refusal(password: string, opts: ConnectOptions = {}): Promise<pg.DatabaseError> {
  const client = clientFor(password, opts);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    return err as pg.DatabaseError;
  }
  await client.end();
  throw new Error('the stand-in accepted a connection it should have refused');
}

beforeAll(async () => {
  [db, pki] = await Promise.all([startPostgres(), createTestPki([HOSTNAME, '127.0.0.1'])]);
  const setup = new pg.Client({ connectionString: db.url });
  await setup.connect();
  await setup.query('create role app_user login');
  await setup.end();
  standIn = await startDsqlStandIn(standInOptions());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await standIn?.stop();
  await db?.stop();
  pki?.cleanup();
});

describe('test PKI', () => {
  it('issues a server certificate for the DSQL name and 127.0.0.1, signed by its CA, key file 0600', () => {
    const cert = new X509Certificate(pki.serverCertPem);
    const ca = new X509Certificate(pki.caCertPem);
    expect(cert.subjectAltName).toBe(`DNS:${HOSTNAME}, IP Address:127.0.0.1`);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkHost(HOSTNAME)).toBe(HOSTNAME);
    expect(cert.checkHost(OTHER_HOSTNAME)).toBeUndefined();
    expect(statSync(pki.keyPath).mode & 0o777).toBe(0o600);
  });

  it('selfSignedOnly gives a server certificate that clients trusting caPath refuse', async () => {
    const untrusted = await createTestPki([HOSTNAME], { selfSignedOnly: true });
    cleanups.push(() => untrusted.cleanup());
    const target = await extraStandIn({ tls: { certPem: untrusted.serverCertPem, keyPem: untrusted.serverKeyPem } });
    const err = await refusal(await makeToken(), { target, ca: untrusted.caCertPem });
    expect((err as unknown as { code: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(target.stats.accepted).toBe(0);
  });
});

describe('DSQL stand-in: accepted connections', () => {
  it('accepts a genuine admin token and relays to PostgreSQL as the mapped user', async () => {
    const token = await makeToken();
    const acceptedBefore = standIn.stats.accepted;
    const client = await connectAs(token);
    const result = await client.query('select 1 as one, current_user as who');
    expect(result.rows).toEqual([{ one: 1, who: 'postgres' }]);
    expect(standIn.stats.accepted).toBe(acceptedBefore + 1);
    expect(standIn.stats.tokens.at(-1)).toBe(token);
  });

  it('accepts a DbConnect token for a custom role, passing the user name through', async () => {
    const client = await connectAs(await makeToken({ admin: false }), { user: 'app_user' });
    const result = await client.query('select current_user as who');
    expect(result.rows).toEqual([{ who: 'app_user' }]);
  });

  it('forwards a CancelRequest to PostgreSQL, which cancels the running query', async () => {
    const client = await connectAs(await makeToken());
    const cancelsBefore = standIn.stats.cancelsForwarded;
    const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
    const sleeping = client.query('select pg_sleep(30)').then(
      () => null,
      (err: pg.DatabaseError) => err,
    );
    await waitUntilActive(processID);
    await sendCancel(standIn.port, processID, secretKey);
    const err = await sleeping;
    expect(err?.code).toBe('57014');
    expect(err?.message).toBe('canceling statement due to user request');
    expect(standIn.stats.cancelsForwarded).toBe(cancelsBefore + 1);
  });

  it('answers GSSENCRequest with N', async () => {
    // The answer is one byte, after which the server waits for the next startup packet.
    const reply = await rawExchange(standIn.port, encodeGSSENCRequest(), 1);
    expect(reply.toString('latin1')).toBe('N');
  });
});

describe('DSQL stand-in: refusals', () => {
  it('refuses a DbConnect token for admin with the wrong-user-to-action hint', async () => {
    const err = await refusal(await makeToken({ admin: false }));
    expect(err.severity).toBe('FATAL');
    expect(err.code).toBe('08006');
    expect(err.message).toBe(ACCESS_DENIED);
    expect(err.hint).toBe('Wrong user to action mapping. user: admin, action: DbConnect');
  });

  it('refuses a DbConnectAdmin token for a custom role', async () => {
    const err = await refusal(await makeToken({ admin: true }), { user: 'app_user' });
    expect(err.code).toBe('08006');
    expect(err.message).toBe(ACCESS_DENIED);
    expect(err.hint).toBe('Wrong user to action mapping. user: app_user, action: DbConnectAdmin');
  });

  it('refuses an expired token', async () => {
    const token = await makeToken({ expiresIn: 1 });
    const before = standIn.stats.rejected.expired ?? 0;
    clockSkewMs = 60_000;
    try {
      const err = await refusal(token);
      expect(err.code).toBe('08006');
      expect(err.message).toBe(ACCESS_DENIED);
      expect(err.hint).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z\.$/);
    } finally {
      clockSkewMs = 0;
    }
    expect(standIn.stats.rejected.expired).toBe(before + 1);
  });

  it('refuses a token signed with another access key', async () => {
    const credentials = { accessKeyId: 'AKIDOTHER', secretAccessKey: CREDENTIALS.secretAccessKey };
    const err = await refusal(await makeToken({ credentials }));
    expect(err.code).toBe('08006');
    expect(err.message).toBe(ACCESS_DENIED);
    expect(err.hint).toBe('The AWS Access Key Id you provided does not exist in our records.');
  });

  it('refuses a token signed with the right access key id but another secret', async () => {
    const credentials = { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' };
    const before = standIn.stats.rejected['bad-signature'] ?? 0;
    const err = await refusal(await makeToken({ credentials }));
    expect(err.code).toBe('08006');
    expect(err.message).toBe(ACCESS_DENIED);
    expect(err.hint).toBe(SIGNATURE_MISMATCH);
    expect(standIn.stats.rejected['bad-signature']).toBe(before + 1);
  });

  it('refuses a token carrying a session token the stand-in does not expect', async () => {
    const err = await refusal(await makeToken({ credentials: { ...CREDENTIALS, sessionToken: 'FwoGZXIvYXdzEXAMPLE' } }));
    expect(err.code).toBe('08006');
    expect(err.hint).toBe('The security token included in the request is invalid.');
  });

  it('refuses a token signed for another cluster endpoint', async () => {
    const err = await refusal(await makeToken({ hostname: OTHER_HOSTNAME }));
    expect(err.code).toBe('08006');
    expect(err.message).toBe(ACCESS_DENIED);
    expect(err.hint).toBe(`The token was signed for host "${OTHER_HOSTNAME}", not for this cluster endpoint.`);
  });

  it('refuses a token whose signature was altered', async () => {
    const token = await makeToken();
    const tampered = token.replace(/X-Amz-Signature=([0-9a-f]{63})([0-9a-f])/, (_m, head: string, last: string) =>
      `X-Amz-Signature=${head}${last === '0' ? '1' : '0'}`,
    );
    expect(tampered).not.toBe(token);
    const err = await refusal(tampered);
    expect(err.code).toBe('08006');
    expect(err.hint).toBe(SIGNATURE_MISMATCH);
  });

  it('refuses a DbConnect token whose Action was rewritten to DbConnectAdmin', async () => {
    const token = await makeToken({ admin: false });
    const forged = token.replace('Action=DbConnect&', 'Action=DbConnectAdmin&');
    expect(forged).not.toBe(token);
    const err = await refusal(forged);
    expect(err.code).toBe('08006');
    expect(err.hint).toBe(SIGNATURE_MISMATCH);
  });

  it('refuses a connection without TLS', async () => {
    const err = await refusal(await makeToken(), { ssl: false });
    expect(err.severity).toBe('FATAL');
    expect(err.code).toBe('28000');
    expect(err.message).toBe('no pg_hba.conf entry for host "127.0.0.1", user "admin", database "postgres", no encryption');
  });

  it('refuses a TLS connection without SNI', async () => {
    const before = standIn.stats.rejected['no-sni'] ?? 0;
    const err = await refusal(await makeToken(), { servername: undefined });
    expect(err.severity).toBe('FATAL');
    expect(err.code).toBe('08P01');
    expect(err.message).toBe('unable to accept connection, sni was not received');
    expect(standIn.stats.rejected['no-sni']).toBe(before + 1);
  });

  it('refuses a TLS connection whose SNI names another endpoint', async () => {
    const err = await refusal(await makeToken(), { servername: OTHER_HOSTNAME, checkServerIdentity: () => undefined });
    expect(err.code).toBe('08P01');
    expect(err.message).toBe('unable to accept connection, sni mismatch');
  });

  it('refuses connections beyond maxConnections with 53300', async () => {
    const target = await extraStandIn({ maxConnections: 1 });
    await connectAs(await makeToken(), { target });
    const err = await refusal(await makeToken(), { target });
    expect(err.code).toBe('53300');
    expect(err.message).toBe('Unable to accept connection, too many open connections.');
    expect(target.stats.rejected['too-many-connections']).toBe(1);
  });

  it('reports an unreachable PostgreSQL as a FATAL error rather than a dropped socket', async () => {
    const target = await extraStandIn({ upstream: { host: '127.0.0.1', port: await freePort() } });
    const err = await refusal(await makeToken(), { target });
    expect(err.code).toBe('08006');
    expect(err.message).toMatch(/^unable to accept connection, the stand-in could not reach PostgreSQL: .*ECONNREFUSED/);
  });
});

describe('DSQL stand-in: endpoint outage', () => {
  it('closeListener drops sessions and refuses connections; reopen serves again on the same port', async () => {
    const target = await extraStandIn();
    const port = target.port;
    const session = await connectAs(await makeToken(), { target });
    const ended = new Promise<void>((resolve) => session.once('end', () => resolve()));
    expect(target.stats.connections).toBe(1);
    await target.closeListener();
    await ended;
    expect(target.stats.connections).toBe(0);
    const down = await refusal(await makeToken(), { target });
    expect((down as unknown as { code: string }).code).toBe('ECONNREFUSED');

    await target.reopen();
    expect(target.port).toBe(port);
    const again = await connectAs(await makeToken(), { target });
    expect((await again.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
  });
});

/** Polls pg_stat_activity (bounded) until the backend is running its query. */
async function waitUntilActive(pid: number): Promise<void> {
  const observer = await connectAs(await makeToken());
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { rows } = await observer.query("select state from pg_stat_activity where pid = $1 and query like '%pg_sleep%'", [pid]);
    if (rows[0]?.state === 'active') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`backend ${pid} never became active`);
}

/** Sends a CancelRequest on a fresh plain connection, as libpq does, and waits for the close. */
function sendCancel(port: number, processId: number, secretKey: number): Promise<void> {
  return rawExchange(port, encodeCancelRequest(processId, secretKey)).then(() => undefined);
}

/**
 * Writes bytes to the stand-in and collects what it sends back until it closes, until
 * `replyLength` bytes arrived (then we close), or for at most 5 s.
 */
function rawExchange(port: number, bytes: Buffer, replyLength = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 5000);
    let received = 0;
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= replyLength) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.write(bytes);
  });
}
