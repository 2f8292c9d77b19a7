// What clients see when something goes wrong between the proxy and DSQL, or when a client
// misbehaves: every failure is an ErrorResponse with a real SQLSTATE and a message that says
// what happened, and one bad session never disturbs the others or the process.
import { connect as connectTcp, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { encodeStartupMessage } from '../../src/protocol/index.js';
import { createTestPki } from '../harness/pki.js';
import { ABANDONED_LOGINS, abandonLogin } from '../harness/abandoned-logins.js';
import { credentialEnv, TEST_CREDENTIALS, type ProxyProcess } from '../harness/proxy-process.js';
import { DSQL_HOSTNAME, useDsqlStack } from './dsql-fixture.js';

const ACCESS_DENIED = 'unable to accept connection, access denied';
const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided';
const OTHER_CREDENTIALS = { accessKeyId: 'AKIDSOMEONEELSE00000', secretAccessKey: 'another/secret/key/for/another/account' };

const stack = useDsqlStack();
const openClients: pg.Client[] = [];

afterEach(async () => {
  await Promise.all(openClients.splice(0).map((c) => c.end().catch(() => {})));
});

function client(proxy: ProxyProcess = stack().proxy, extra: pg.ClientConfig = {}): pg.Client {
  const c = new pg.Client(stack().pgConfig(proxy, extra));
  c.on('error', () => {});
  openClients.push(c);
  return c;
}

async function connected(proxy?: ProxyProcess, extra?: pg.ClientConfig): Promise<pg.Client> {
  const c = client(proxy, extra);
  await c.connect();
  return c;
}

/** The error a login through the proxy fails with; fails the test if the login works. */
async function loginError(proxy: ProxyProcess, extra: pg.ClientConfig = {}): Promise<pg.DatabaseError> {
  const c = client(proxy, extra);
  const err = await c.connect().then(
    () => null,
    (e: pg.DatabaseError) => e,
  );
  if (!err) throw new Error('the login succeeded but was expected to fail');
  return err;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface ErrorMessage {
  severity?: string;
  code?: string;
  message?: string;
}

/** Backend messages as [type, body] pairs; a trailing incomplete message is ignored. */
function splitMessages(bytes: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  let i = 0;
  while (i + 5 <= bytes.length) {
    const length = bytes.readUInt32BE(i + 1);
    if (i + 1 + length > bytes.length) break;
    out.push([String.fromCharCode(bytes[i]), bytes.subarray(i + 5, i + 1 + length)]);
    i += 1 + length;
  }
  return out;
}

/** Fields of an ErrorResponse body: a field-type byte, a C string, ..., a final zero byte. */
function parseErrorFields(body: Buffer): ErrorMessage {
  const fields: ErrorMessage = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const kind = String.fromCharCode(body[i]);
    const end = body.indexOf(0, i + 1);
    const value = body.toString('utf8', i + 1, end);
    if (kind === 'V') fields.severity = value;
    if (kind === 'C') fields.code = value;
    if (kind === 'M') fields.message = value;
    i = end + 1;
  }
  return fields;
}

/** A raw TCP connection to the proxy that records everything it receives and when it closes. */
class RawConnection {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  closed: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = connectTcp({ host: '127.0.0.1', port });
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  async until(done: (messages: Array<[string, Buffer]>) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(splitMessages(this.received))) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; received ${this.received.length} bytes`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the proxy did not close the connection within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
      this.socket.destroy();
    }
  }
}

/** The token's query parameters (a token is a presigned URL without its scheme). */
function tokenParams(token: string): URLSearchParams {
  return new URL(`https://${token}`).searchParams;
}

describe('DSQL proxy failures', () => {
  it('without AWS credentials: 28000 saying no credentials were found', async () => {
    const proxy = await stack().startProxy({ env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined } });
    const acceptedBefore = stack().standIn.stats.accepted;
    const err = await loginError(proxy);
    expect(err.code).toBe('28000');
    expect(err.severity).toBe('FATAL');
    expect(err.message).toMatch(/^aurora-pg-proxy found no AWS credentials to sign the DSQL token: /);
    expect(err.hint).toContain('AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY');
    expect(stack().standIn.stats.accepted).toBe(acceptedBefore);
    expect(proxy.child.exitCode).toBeNull();
  });

  it('with the wrong secret key: the cluster refusal passes through with advice naming dsql:DbConnectAdmin', async () => {
    const proxy = await stack().startProxy({
      env: credentialEnv({ accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-right-secret-key' }),
    });
    const rejectedBefore = stack().standIn.stats.rejected['bad-signature'] ?? 0;
    const err = await loginError(proxy);
    expect(err.code).toBe('08006');
    expect(err.message).toBe(ACCESS_DENIED);
    expect(err.hint).toContain(SIGNATURE_MISMATCH);
    expect(err.hint).toContain(`${DSQL_HOSTNAME} refused the IAM token aurora-pg-proxy signed for user "admin"`);
    expect(err.hint).toContain('needs dsql:DbConnectAdmin on this cluster');
    expect(stack().standIn.stats.rejected['bad-signature']).toBe(rejectedBefore + 1);
  });

  it('when the endpoint is down: 08001 connection refused, and logins work again once it is back', async () => {
    const standIn = await stack().startStandIn();
    const proxy = await stack().startProxy({ standIn });
    const before = await connected(proxy);
    expect((await before.query('select 1 as one')).rows).toEqual([{ one: 1 }]);

    await standIn.closeListener();
    const err = await loginError(proxy);
    expect(err.code).toBe('08001');
    expect(err.message).toBe(
      `could not connect to DSQL endpoint 127.0.0.1:${standIn.port} (dialled for ${DSQL_HOSTNAME}): connection refused`,
    );
    expect(err.hint).toContain('Check the cluster endpoint');

    await standIn.reopen();
    const after = await connected(proxy);
    expect((await after.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
  });

  it('when the endpoint drops an open session: the client gets FATAL 08006 instead of a bare close', async () => {
    const standIn = await stack().startStandIn();
    const proxy = await stack().startProxy({ standIn });
    const c = client(proxy);
    const errors: pg.DatabaseError[] = [];
    c.on('error', (e) => void errors.push(e as pg.DatabaseError));
    await c.connect();
    expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);

    await standIn.closeListener(); // drops every connection without a word, like a network failure
    for (let i = 0; i < 50 && errors.length === 0; i++) await sleep(100);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].code).toBe('08006');
    expect(errors[0].severity).toBe('FATAL');
    expect(errors[0].message).toBe('aurora-pg-proxy lost its connection to the DSQL cluster');
    expect(proxy.child.exitCode).toBeNull();
  });

  it('when the proxy trusts another CA: 08001 certificate could not be verified', async () => {
    const otherPki = await createTestPki([DSQL_HOSTNAME]);
    stack().onStop(() => otherPki.cleanup());
    const proxy = await stack().startProxy({ upstreamCa: otherPki.caPath });
    const err = await loginError(proxy);
    expect(err.code).toBe('08001');
    expect(err.message).toMatch(new RegExp(`^the certificate of ${DSQL_HOSTNAME.replace(/\./g, '\\.')} could not be verified: `));
    expect(err.hint).toContain('--upstream-ca');
  });

  it('when the endpoint shows a self-signed certificate: 08001 certificate could not be verified', async () => {
    const selfSigned = await createTestPki([DSQL_HOSTNAME], { selfSignedOnly: true });
    stack().onStop(() => selfSigned.cleanup());
    const standIn = await stack().startStandIn({ tls: { certPem: selfSigned.serverCertPem, keyPem: selfSigned.serverKeyPem } });
    const proxy = await stack().startProxy({ standIn });
    const err = await loginError(proxy);
    expect(err.code).toBe('08001');
    expect(err.message).toContain(`the certificate of ${DSQL_HOSTNAME} could not be verified: self-signed certificate`);
    expect(standIn.stats.accepted).toBe(0);
  });

  it('renews the token before it expires (--token-ttl 2)', async () => {
    const standIn = await stack().startStandIn();
    const proxy = await stack().startProxy({ standIn, extraArgs: ['--token-ttl', '2'] });
    const first = await connected(proxy);
    expect((await first.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(standIn.stats.tokens).toHaveLength(1);
    expect(tokenParams(standIn.stats.tokens[0]).get('X-Amz-Expires')).toBe('2');

    // Past the first token's expiry: reusing it would be refused as expired.
    await sleep(3000);
    const second = await connected(proxy);
    expect((await second.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    expect(standIn.stats.tokens).toHaveLength(2);
    expect(standIn.stats.tokens[1]).not.toBe(standIn.stats.tokens[0]);
    expect(standIn.stats.accepted).toBe(2);
    expect(standIn.stats.rejected).toEqual({});
  });

  it('reuses a fresh token for later logins', async () => {
    const standIn = await stack().startStandIn();
    const proxy = await stack().startProxy({ standIn });
    for (let i = 0; i < 3; i++) await connected(proxy);
    expect(standIn.stats.tokens).toHaveLength(3);
    expect(new Set(standIn.stats.tokens).size).toBe(1);
  });

  it('really logs in with the signed token: one accepted login per client, refused by a cluster trusting other keys', async () => {
    const acceptedBefore = stack().standIn.stats.accepted;
    const clients = await Promise.all([connected(), connected(), connected()]);
    for (const c of clients) expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(stack().standIn.stats.accepted - acceptedBefore).toBe(3);
    const token = stack().standIn.stats.tokens.at(-1)!;
    expect(token.startsWith(`${DSQL_HOSTNAME}/?Action=DbConnectAdmin&`)).toBe(true);
    expect(tokenParams(token).get('X-Amz-Credential')).toMatch(new RegExp(`^${TEST_CREDENTIALS.accessKeyId}/\\d{8}/us-east-1/dsql/aws4_request$`));

    const strictStandIn = await stack().startStandIn({ credentials: OTHER_CREDENTIALS });
    const proxy = await stack().startProxy({ standIn: strictStandIn });
    const err = await loginError(proxy);
    expect(err.code).toBe('08006');
    expect(err.message).toBe(ACCESS_DENIED);
    expect(err.hint).toContain('dsql:DbConnectAdmin');
    expect(strictStandIn.stats.accepted).toBe(0);
    expect(strictStandIn.stats.rejected['unknown-access-key']).toBe(1);
  });

  it('signs a DbConnect token for a custom role, and names dsql:DbConnect when it is refused', async () => {
    const admin = new pg.Client({ host: stack().db.host, port: stack().db.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      await admin.query('drop role if exists app_reader; create role app_reader login');
    } finally {
      await admin.end();
    }
    const c = await connected(undefined, { user: 'app_reader' });
    expect((await c.query('select current_user as who')).rows).toEqual([{ who: 'app_reader' }]);
    expect(stack().standIn.stats.tokens.at(-1)!.startsWith(`${DSQL_HOSTNAME}/?Action=DbConnect&`)).toBe(true);

    const strictStandIn = await stack().startStandIn({ credentials: OTHER_CREDENTIALS });
    const proxy = await stack().startProxy({ standIn: strictStandIn });
    const err = await loginError(proxy, { user: 'app_reader' });
    expect(err.code).toBe('08006');
    expect(err.hint).toContain('needs dsql:DbConnect on this cluster');
    expect(err.hint).toContain('the database role "app_reader" must exist and be linked to that identity');
  });

  it('closes a connection with an oversized startup packet without a reply, as PostgreSQL does, and only that one', async () => {
    const bystander = await connected();
    const raw = new RawConnection(stack().proxy.port);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(20000, 0);
    header.writeUInt32BE(196608, 4); // protocol 3.0
    raw.socket.write(Buffer.concat([header, Buffer.alloc(200, 0x61)]));
    // The bystander keeps working while the bad connection is refused.
    const bystanderRuns = (async () => {
      for (let i = 0; i < 10; i++) expect((await bystander.query('select $1::int as i', [i])).rows).toEqual([{ i }]);
    })();
    await raw.waitClosed();
    await bystanderRuns;

    // PostgreSQL reports an impossible startup length only in its own log (COMMERROR).
    expect(raw.received.length).toBe(0);
    expect(proxy().child.exitCode).toBeNull();
    expect((await (await connected()).query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('answers a garbage message after login with FATAL 08P01 and closes only that connection', async () => {
    const bystander = await connected();
    const raw = new RawConnection(stack().proxy.port);
    raw.socket.write(encodeStartupMessage({ user: 'admin', database: 'postgres' }));
    await raw.until((m) => m.some(([type]) => type === 'Z'), 'ReadyForQuery');
    const loginBytes = raw.received.length;
    expect(splitMessages(raw.received).find(([type]) => type === 'R')?.[1].readUInt32BE(0)).toBe(0); // AuthenticationOk

    raw.socket.write(Buffer.from([0x01, 0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef]));
    const bystanderRuns = (async () => {
      for (let i = 0; i < 10; i++) expect((await bystander.query('select $1::int as i', [i])).rows).toEqual([{ i }]);
    })();
    await raw.waitClosed();
    await bystanderRuns;

    const after = splitMessages(raw.received.subarray(loginBytes));
    expect(after.map(([type]) => type)).toEqual(['E']);
    const fields = parseErrorFields(after[0][1]);
    expect(fields.severity).toBe('FATAL');
    expect(fields.code).toBe('08P01');
    expect(fields.message).toBe('invalid frontend message type 1');
    expect(proxy().child.exitCode).toBeNull();
    expect((await bystander.query('select 42 as n')).rows).toEqual([{ n: 42 }]);
  });

  it('--max-connections 2: the third client gets 53300, and a slot freed is usable again', async () => {
    const proxy = await stack().startProxy({ extraArgs: ['--max-connections', '2'] });
    const a = await connected(proxy);
    const b = await connected(proxy);
    const err = await loginError(proxy);
    expect(err.code).toBe('53300');
    expect(err.message).toBe('sorry, too many clients already');
    expect(err.hint).toContain('--max-connections');
    expect((await a.query('select 1 as one')).rows).toEqual([{ one: 1 }]);

    await b.end();
    // The proxy notices the closed session asynchronously; retry the login a bounded number of times.
    let c: pg.Client | null = null;
    for (let i = 0; i < 20 && !c; i++) {
      c = await connected(proxy).catch(async () => {
        await sleep(100);
        return null;
      });
    }
    expect(c).not.toBeNull();
    expect((await c!.query('select 3 as three')).rows).toEqual([{ three: 3 }]);
  });

  it('never writes a token or the secret key to its log', async () => {
    const c = await connected();
    await c.query('select 1');
    const log = stack().proxy.output();
    expect(log).toContain('connection closed'); // the log is really there
    expect(stack().standIn.stats.tokens.length).toBeGreaterThan(0);
    for (const token of stack().standIn.stats.tokens) {
      expect(log).not.toContain(tokenParams(token).get('X-Amz-Signature'));
    }
    expect(log).not.toContain('X-Amz-Signature');
    expect(log).not.toContain(TEST_CREDENTIALS.secretAccessKey);
  });

  it('clients that leave right after their startup message leave no session and no cluster connection behind', async () => {
    // A login abandoned at once: a killed psql, a connect timeout, a load balancer's probe. Each
    // such session used to wait forever on its JavaScript relay, holding a client slot and a
    // cluster connection. Cold logins and warm hits, plain and TLS.
    for (const extraArgs of [['--max-connections', '2'], ['--max-connections', '2', '--warm-connections', '1']]) {
      const proxy = await stack().startProxy({ extraArgs });
      const warm = extraArgs.includes('--warm-connections');
      const before = stack().standIn.stats.connections; // other proxies of this file may hold some
      const startup = encodeStartupMessage({ user: 'admin', database: 'postgres' });
      if (warm) {
        // One whole session with the same startup message makes its key known: the rest are warm hits.
        const raw = new RawConnection(proxy.port);
        raw.socket.write(startup);
        await raw.until((m) => m.some(([type]) => type === 'Z'), 'ReadyForQuery');
        raw.socket.end(Buffer.from([0x58, 0, 0, 0, 4]));
        await raw.waitClosed();
      }
      const baseline = async () => {
        const deadline = Date.now() + 5000;
        // Only the warm set may stay (one connection, refilled after each hit).
        while (stack().standIn.stats.connections > before + (warm ? 1 : 0)) {
          if (Date.now() > deadline) throw new Error(`${stack().standIn.stats.connections - before} cluster connections left open (${extraArgs.join(' ')})`);
          await sleep(50);
        }
      };
      await baseline();
      for (let i = 0; i < 9; i++) await abandonLogin('127.0.0.1', proxy.port, ABANDONED_LOGINS[i % 3], { user: 'admin', database: 'postgres' });
      await sleep(300);
      await baseline();
      // Both slots of --max-connections 2 are free again.
      const a = await connected(proxy);
      const b = await connected(proxy);
      expect((await a.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect((await b.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
      expect(proxy.child.exitCode).toBeNull();
    }
  });

  it('--max-connections 2 holds while six password clients log in at once', async () => {
    const proxy = await stack().startProxy({
      extraArgs: ['--max-connections', '2', '--client-auth', 'scram-sha-256'],
      env: { AURORA_PG_PROXY_CLIENT_PASSWORD: 'six at once' },
    });
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => {
        const c = client(proxy, { password: 'six at once' });
        return c.connect().then(
          () => 'connected',
          (e: pg.DatabaseError) => e.code ?? e.message,
        );
      }),
    );
    expect(outcomes.filter((o) => o === 'connected')).toHaveLength(2);
    expect(outcomes.filter((o) => o === '53300')).toHaveLength(4);
  });
});

function proxy(): ProxyProcess {
  return stack().proxy;
}
