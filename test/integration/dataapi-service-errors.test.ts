// How the proxy's Data API client meets the service's failures: the real AWS SDK talks HTTP to a
// scripted server that answers with the service's error types (x-amzn-ErrorType), then forwards
// to the emulator. Calls that certainly had no effect are retried; others never are.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { DataApiClient } from '../../src/dataapi/client/data-api-client.js';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, type ProxyProcess } from '../harness/proxy-process.js';
import { RESOURCE_ARN, SECRET_ARN } from './dataapi-fixture.js';
import { freePort } from '../harness/ports.js';

interface ScriptedFailure {
  status: number;
  type: string;
  message?: string;
}

describe('Data API service errors', () => {
  let db: ThrowawayPostgres;
  let emulator: RunningEmulator;
  let server: Server;
  let url: string;
  const script: ScriptedFailure[] = [];
  let requests = 0;

  beforeAll(async () => {
    db = await startPostgres();
    emulator = await startEmulator({ postgresUrl: db.url, credentials: TEST_CREDENTIALS, region: 'us-east-1' });
    const target = new URL(emulator.url);
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      requests++;
      const failure = script.shift();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failure) {
          res.writeHead(failure.status, { 'content-type': 'application/json', 'x-amzn-errortype': failure.type, 'x-amzn-requestid': 'scripted' });
          res.end(JSON.stringify(failure.message === undefined ? {} : { message: failure.message }));
          return;
        }
        const fwd = request(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (up) => {
            res.writeHead(up.statusCode ?? 500, up.headers);
            up.pipe(res);
          },
        );
        fwd.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await emulator?.stop();
    await db?.stop();
  });

  beforeEach(() => {
    script.length = 0;
    requests = 0;
  });

  const client = () =>
    new DataApiClient(
      { resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, region: 'us-east-1', endpoint: url, credentials: async () => TEST_CREDENTIALS },
      {},
      { resumeWaitMs: 10_000, throttleAttempts: 4, baseDelayMs: 20 },
    );

  it('waits out a resuming cluster, telling the caller once', async () => {
    script.push({ status: 400, type: 'DatabaseResumingException', message: 'The database is resuming' }, { status: 400, type: 'DatabaseResumingException', message: 'The database is resuming' });
    let told = 0;
    const out = await client().execute({ sql: 'SELECT 41 + 1' }, () => told++);
    expect(out.records?.[0]?.[0]).toEqual({ stringValue: '42' }); // longReturnType STRING: exact int8
    expect(told).toBe(1);
    expect(requests).toBe(3);
  });

  it('retries throttling with backoff, up to its limit', async () => {
    script.push({ status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    await expect(client().execute({ sql: 'SELECT 1' })).resolves.toBeDefined();
    expect(requests).toBe(3);

    requests = 0;
    for (let i = 0; i < 4; i++) script.push({ status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    await expect(client().execute({ sql: 'SELECT 1' })).rejects.toMatchObject({ sqlstate: '53400' });
    expect(requests).toBe(4);
  });

  it('never repeats a call that may have run', async () => {
    script.push({ status: 500, type: 'InternalServerErrorException' });
    await expect(client().execute({ sql: 'INSERT INTO nowhere VALUES (1)' })).rejects.toMatchObject({
      sqlstate: '08006',
      extra: { hint: expect.stringMatching(/may or may not have run/) },
    });
    expect(requests).toBe(1);
    script.push({ status: 503, type: 'ServiceUnavailableError' });
    await expect(client().commit('tx')).rejects.toMatchObject({ sqlstate: '08006' });
    expect(requests).toBe(2);
  });

  it('maps each service error to a SQLSTATE and a message that says what to do', async () => {
    const cases: [ScriptedFailure, string, RegExp][] = [
      [{ status: 403, type: 'AccessDeniedException', message: 'User is not authorized' }, '28000', /rds-data:ExecuteStatement/],
      [{ status: 400, type: 'HttpEndpointNotEnabledException', message: 'HttpEndpoint is not enabled' }, '08001', /enable-http-endpoint/],
      [{ status: 404, type: 'DatabaseNotFoundException', message: 'Database x not found' }, '3D000', /--database/],
      [{ status: 400, type: 'StatementTimeoutException', message: 'Request timed out' }, '57014', /45 seconds/],
      [{ status: 404, type: 'TransactionNotFoundException', message: 'Transaction abc is not found' }, '25P03', /3 minutes/],
      [{ status: 400, type: 'InvalidSecretException', message: 'bad secret' }, '28000', /--secret-arn/],
      [
        {
          status: 400,
          type: 'ValidationException',
          message: "1 validation error detected: Value 'insert into t values (1), ...' at 'sql' failed to satisfy constraint: Member must have length less than or equal to 65536",
        },
        '54000',
        /COPY .*batch_size/,
      ],
    ];
    for (const [failure, sqlstate, hint] of cases) {
      script.push(failure);
      const err = await client().execute({ sql: 'SELECT 1' }).then(
        () => null,
        (e: unknown) => e as { sqlstate: string; message: string; extra: { hint?: string } },
      );
      expect(err, failure.type).not.toBeNull();
      expect(err!.sqlstate, failure.type).toBe(sqlstate);
      expect(err!.extra.hint ?? '', failure.type).toMatch(hint);
    }
  });

  describe('through the proxy', () => {
    let proxy: ProxyProcess;
    beforeAll(async () => {
      proxy = await startProxyProcess(['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', url], {
        env: isolatedAwsEnv(credentialEnv()),
      });
    });
    afterAll(async () => {
      await proxy?.stop();
    });

    it('sends a NOTICE while the cluster resumes, then the answer', async () => {
      const c = new pg.Client({ host: proxy.host, port: proxy.port, user: 'postgres', database: 'postgres' });
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(n.message ?? ''));
      await c.connect();
      try {
        script.push({ status: 400, type: 'DatabaseResumingException', message: 'The database is resuming' });
        const res = await c.query('select 7 as seven');
        expect(res.rows[0].seven).toBe(7);
        expect(notices.some((m) => /resuming from a pause/.test(m))).toBe(true);
      } finally {
        await c.end();
      }
    });

    it('gives the client the mapped error and keeps the session', async () => {
      const c = new pg.Client({ host: proxy.host, port: proxy.port, user: 'postgres', database: 'postgres' });
      await c.connect();
      try {
        script.push({ status: 403, type: 'AccessDeniedException', message: 'User is not authorized to perform rds-data:ExecuteStatement' });
        await expect(c.query('select 1')).rejects.toMatchObject({ code: '28000', message: expect.stringMatching(/the Data API refused the call/) });
        expect((await c.query('select 2 as two')).rows[0].two).toBe(2);
      } finally {
        await c.end();
      }
    });
  });

  describe('readiness', () => {
    const readiness = async (port: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/readiness`);
      return { status: res.status, body: await res.text() };
    };
    const startWith = async (check: string) => {
      const metrics = await freePort();
      const proxy = await startProxyProcess(
        [
          'data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', url,
          '--metrics-listen', `127.0.0.1:${metrics}`, '--readiness-cache', '0', '--readiness-check', check,
        ],
        { env: isolatedAwsEnv(credentialEnv()) },
      );
      return { proxy, metrics };
    };

    it('endpoint: reaches the service without running SQL', async () => {
      const { proxy, metrics } = await startWith('endpoint');
      try {
        emulator.resetStats();
        expect(await readiness(metrics)).toEqual({ status: 200, body: 'ok\n' });
        const calls = emulator.stats().calls;
        expect(calls.ExecuteStatement).toBe(0);
        expect(calls.RollbackTransaction).toBe(1);
        script.push({ status: 403, type: 'AccessDeniedException', message: 'not authorized' });
        const denied = await readiness(metrics);
        expect(denied.status).toBe(503);
        expect(denied.body).toMatch(/refused the call/);
      } finally {
        await proxy.stop();
      }
    });

    it('statement: a resuming cluster counts as ready, without waiting for it', async () => {
      const { proxy, metrics } = await startWith('statement');
      try {
        script.push({ status: 400, type: 'DatabaseResumingException', message: 'The database is resuming' });
        expect(await readiness(metrics)).toEqual({ status: 200, body: 'ok\n' });
        expect(script).toHaveLength(0);
        script.push({ status: 400, type: 'HttpEndpointNotEnabledException', message: 'not enabled' });
        expect((await readiness(metrics)).status).toBe(503);
      } finally {
        await proxy.stop();
      }
    });
  });
});
