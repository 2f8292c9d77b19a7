// The proxy's logs through a full session in each mode, at --log-level debug: no secret ever
// appears (the IAM tokens the DSQL stand-in received, the AWS secret access key, the client
// password, SigV4 signatures or Authorization headers of Data API calls), and every connection
// has exactly one 'connection opened' and one 'connection closed' JSON line saying who, from
// where, for how long, how many bytes and how it ended. Also: JSON by default when the output is
// not a terminal, readable lines with --log-format pretty.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { encodeCancelRequest } from '../../src/protocol/index.js';
import { CLI, TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, type ProxyProcess } from '../harness/proxy-process.js';
import { freePort } from '../harness/ports.js';
import { useDsqlStack } from './dsql-fixture.js';
import { RESOURCE_ARN, SECRET_ARN, useDataApiStack } from './dataapi-fixture.js';

const CLIENT_PASSWORD = 'client-pw-Zq8#opsLogsTest';
const WRONG_PASSWORD = 'wrong-pw-Kx3!opsLogsTest';

type LogRecord = Record<string, unknown>;

function localPort(client: pg.Client): number {
  return (client as unknown as { connection: { stream: { localPort: number } } }).connection.stream.localPort;
}

/** A session that does what applications do: queries, a failing one, a transaction. */
async function fullSession(client: pg.Client): Promise<void> {
  await client.query('create table if not exists ops_logs_t (id int primary key, note text)');
  await client.query('select $1::text as greeting', ['hello']);
  await expect(client.query('select * from no_such_table_ops_logs')).rejects.toMatchObject({ code: '42P01' });
  await client.query('begin');
  await client.query('insert into ops_logs_t values ($1, $2) on conflict (id) do nothing', [1, 'one']);
  await expect(client.query('insert into ops_logs_t values (1, $1)', ['dup'])).rejects.toMatchObject({ code: '23505' });
  await client.query('rollback');
  await client.query('begin');
  await client.query('insert into ops_logs_t values ($1, $2) on conflict (id) do nothing', [2, 'two']);
  await client.query('commit');
  const r = await client.query('select count(*)::int as n from ops_logs_t where id = 2');
  expect(r.rows).toEqual([{ n: 1 }]);
}

function expectNoSecrets(output: string, secrets: string[]): void {
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(output.includes(secret), `the log contains a secret (${secret.slice(0, 4)}...)`).toBe(false);
  }
  expect(output).not.toMatch(/X-Amz-Signature/i);
  expect(output).not.toMatch(/X-Amz-Credential/i);
  expect(output).not.toMatch(/AWS4-HMAC-SHA256/);
  expect(output).not.toMatch(/authorization"?\s*[:=]\s*"?(?!\[redacted\])\S/i);
  expect(output).not.toMatch(/Signature=[0-9a-f]{16}/i);
}

/** Exactly one opened and one closed line for each of these client ports, with the facts. */
function expectConnectionLines(records: LogRecord[], sessions: { port: number; user: string; outcome: string }[], listener: string): void {
  for (const s of sessions) {
    const client = `127.0.0.1:${s.port}`;
    const opened = records.filter((r) => r.msg === 'connection opened' && r.client === client);
    const closed = records.filter((r) => r.msg === 'connection closed' && r.client === client);
    expect(opened, `opened lines for ${client}`).toHaveLength(1);
    expect(closed, `closed lines for ${client}`).toHaveLength(1);
    expect(opened[0]).toMatchObject({ level: 30, listener, user: s.user, database: 'postgres' });
    expect(typeof opened[0].time).toBe('string');
    const c = closed[0];
    expect(c).toMatchObject({ level: 30, listener, user: s.user, outcome: s.outcome });
    expect(c.durationSeconds).toEqual(expect.any(Number));
    expect(c.durationSeconds as number).toBeGreaterThan(0);
    expect(c.bytesFromClient as number).toBeGreaterThan(100);
    expect(c.bytesToClient as number).toBeGreaterThan(100);
    expect(c.queries as number).toBeGreaterThan(5);
  }
}

async function endAndWaitForClose(proxy: ProxyProcess, client: pg.Client): Promise<number> {
  const port = localPort(client);
  await client.end();
  await proxy.waitForLog(new RegExp(`"client":"127\\.0\\.0\\.1:${port}"[^\\n]*"msg":"connection closed"`), 5000);
  return port;
}

describe('logs in dsql mode, debug level, SCRAM client authentication', () => {
  const stack = useDsqlStack();
  let proxy: ProxyProcess;

  beforeAll(async () => {
    proxy = await stack().startProxy({
      extraArgs: ['--log-level', 'debug', '--client-auth', 'scram-sha-256', '--name', 'logs-dsql'],
      env: { AURORA_PG_PROXY_CLIENT_PASSWORD: CLIENT_PASSWORD },
    });
  });

  it('never logs a token, a key or a password, and logs each connection once opened and once closed', async () => {
    const tokensBefore = stack().standIn.stats.accepted;
    const first = new pg.Client(stack().pgConfig(proxy, { password: CLIENT_PASSWORD }));
    await first.connect();
    await fullSession(first);
    // A cancel request travels on a connection of its own; it must not break the pairing.
    const sleeping = first.query('select pg_sleep(10)').then(
      () => null,
      (e: pg.DatabaseError) => e,
    );
    await new Promise((r) => setTimeout(r, 300));
    const key = first as unknown as { processID: number; secretKey: number };
    expect(key.processID).toEqual(expect.any(Number));
    await new Promise<void>((resolve, reject) => {
      const socket = connect(proxy.port, proxy.host, () => socket.end(encodeCancelRequest(key.processID, key.secretKey)));
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    expect(await sleeping).toMatchObject({ code: '57014' });
    const firstPort = await endAndWaitForClose(proxy, first);

    const second = new pg.Client(stack().pgConfig(proxy, { user: 'admin', password: CLIENT_PASSWORD, application_name: 'ops-logs' }));
    await second.connect();
    await fullSession(second);
    const secondPort = await endAndWaitForClose(proxy, second);

    const wrong = new pg.Client(stack().pgConfig(proxy, { password: WRONG_PASSWORD }));
    await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
    await proxy.waitForLog(/"outcome":"auth_failed"/, 5000);

    const tokens = [...stack().standIn.stats.tokens];
    expect(stack().standIn.stats.accepted - tokensBefore).toBeGreaterThanOrEqual(2);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    const signatures = tokens.map((t) => /X-Amz-Signature=([0-9a-f]+)/.exec(t)?.[1] ?? '');
    expect(signatures.every((s) => s.length === 64)).toBe(true);

    expect(await proxy.stop()).toBe(0);
    const output = proxy.output();
    expectNoSecrets(output, [...tokens, ...signatures, TEST_CREDENTIALS.secretAccessKey, CLIENT_PASSWORD, WRONG_PASSWORD]);

    const records = proxy.logRecords();
    // Every line is JSON: nothing printed around the logger.
    expect(output.trim().split('\n').length).toBe(records.length);
    expectConnectionLines(
      records,
      [
        { port: firstPort, user: 'admin', outcome: 'ok' },
        { port: secondPort, user: 'admin', outcome: 'ok' },
      ],
      'logs-dsql',
    );
    const refused = records.filter((r) => r.msg === 'connection closed' && r.outcome === 'auth_failed');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ user: 'admin', listener: 'logs-dsql' });
    expect(records.filter((r) => r.msg === 'connection opened')).toHaveLength(2);
    // Debug level is on: the cancel request was logged at debug level (20).
    expect(records.some((r) => r.level === 20 && r.msg === 'cancel request')).toBe(true);
  });
});

describe('logs in data-api mode, debug level, cleartext password over TLS', () => {
  const stack = useDataApiStack();
  let proxy: ProxyProcess;

  beforeAll(async () => {
    proxy = await stack().startProxy(['--log-level', 'debug', '--client-auth', 'password', '--require-tls', '--name', 'logs-data-api'], {
      AURORA_PG_PROXY_CLIENT_PASSWORD: CLIENT_PASSWORD,
    });
  });

  const config = (extra: pg.ClientConfig = {}): pg.ClientConfig => ({
    host: proxy.host,
    port: proxy.port,
    user: 'postgres',
    database: 'postgres',
    password: CLIENT_PASSWORD,
    ssl: { rejectUnauthorized: false },
    ...extra,
  });

  it('never logs a key, a signature or a password, and logs each connection once opened and once closed', async () => {
    const callsBefore = stack().emulator.stats().calls;
    const first = new pg.Client(config());
    await first.connect();
    await fullSession(first);
    const firstPort = await endAndWaitForClose(proxy, first);

    const second = new pg.Client(config({ user: 'app_user' }));
    await second.connect();
    await fullSession(second);
    const secondPort = await endAndWaitForClose(proxy, second);

    const wrong = new pg.Client(config({ password: WRONG_PASSWORD }));
    await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
    await proxy.waitForLog(/"outcome":"auth_failed"/, 5000);

    // The session really went through signed Data API calls.
    const calls = stack().emulator.stats().calls;
    expect(calls.BeginTransaction - callsBefore.BeginTransaction).toBeGreaterThanOrEqual(4);
    expect(calls.RollbackTransaction - callsBefore.RollbackTransaction).toBeGreaterThanOrEqual(2);

    expect(await proxy.stop()).toBe(0);
    const output = proxy.output();
    expectNoSecrets(output, [TEST_CREDENTIALS.secretAccessKey, CLIENT_PASSWORD, WRONG_PASSWORD]);
    const records = proxy.logRecords();
    expect(output.trim().split('\n').length).toBe(records.length);
    expectConnectionLines(
      records,
      [
        { port: firstPort, user: 'postgres', outcome: 'ok' },
        { port: secondPort, user: 'app_user', outcome: 'ok' },
      ],
      'logs-data-api',
    );
    expect(records.filter((r) => r.msg === 'connection opened').every((r) => r.tls === true)).toBe(true);
    const refused = records.filter((r) => r.msg === 'connection closed' && r.outcome === 'auth_failed');
    expect(refused).toHaveLength(1);
  });
});

describe('log format', () => {
  const stack = useDataApiStack();
  const running: ReturnType<typeof spawn>[] = [];
  afterAll(() => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  /** Starts the proxy with stderr and stdout as pipes (not a terminal), until it listens. */
  async function startRaw(extra: string[]): Promise<{ output: string; code: number | null }> {
    const port = await freePort();
    const env = isolatedAwsEnv(credentialEnv());
    const child = spawn(
      process.execPath,
      [CLI, 'data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', stack().emulator.url, '--listen', `127.0.0.1:${port}`, ...extra],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.push(child);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    while (!output.includes('listening on') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(output).toContain('listening on');
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await c.connect();
    await c.query('select 1');
    await c.end();
    const closeDeadline = Date.now() + 5000;
    while (!output.includes('connection closed') && Date.now() < closeDeadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    return { code: await exited, output };
  }

  it('is JSON by default when the output is not a terminal', async () => {
    expect(isolatedAwsEnv().AURORA_PG_PROXY_LOG_FORMAT).toBeUndefined();
    const { code, output } = await startRaw([]);
    expect(code).toBe(0);
    const lines = output.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(expect.arrayContaining(['connection opened', 'connection closed', 'shutdown complete']));
  });

  it('is one readable line per event with --log-format pretty', async () => {
    const { code, output } = await startRaw(['--log-format', 'pretty']);
    expect(code).toBe(0);
    expect(output).not.toContain('{"level"');
    expect(output).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO connection opened .*user=postgres/m);
    expect(output).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO connection closed .*outcome=ok/m);
  });
});
