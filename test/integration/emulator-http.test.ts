// The wire level: SigV4 checks, error headers and bodies, unknown paths, request size, and the
// exact number text in responses. Uses the real SDK where it can and plain fetch where the SDK
// would hide what is on the wire.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchExecuteStatementCommand, ExecuteStatementCommand } from '@aws-sdk/client-rds-data';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { ARNS, CREDENTIALS, failureOf, sdkClient } from './emulator-setup.js';

let db: ThrowawayPostgres;
let signed: RunningEmulator;
let open: RunningEmulator;

beforeAll(async () => {
  db = await startPostgres();
  signed = await startEmulator({ postgresUrl: db.url, credentials: CREDENTIALS, region: 'us-east-1' });
  open = await startEmulator({ postgresUrl: db.url, maxBatchRequestBytes: 64 * 1024 });
});

afterAll(async () => {
  await signed?.stop();
  await open?.stop();
  await db?.stop();
});

const post = (base: string, path: string, body: string) =>
  fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('SigV4', () => {
  it('accepts the SDK signing with the configured key', async () => {
    const client = sdkClient(signed.url);
    expect((await client.send(new ExecuteStatementCommand({ ...ARNS, sql: 'SELECT 1' }))).records).toEqual([[{ longValue: 1 }]]);
    client.destroy();
  });

  it('rejects a wrong secret and an unknown key id with 403', async () => {
    const wrongSecret = sdkClient(signed.url, { ...CREDENTIALS, secretAccessKey: 'not-the-secret' });
    const bad = await failureOf(wrongSecret.send(new ExecuteStatementCommand({ ...ARNS, sql: 'SELECT 1' })));
    expect([bad.name, bad.$metadata?.httpStatusCode]).toEqual(['InvalidSignatureException', 403]);
    expect(bad.message).toMatch(/^The request signature we calculated does not match the signature you provided/);
    wrongSecret.destroy();

    const unknownKey = sdkClient(signed.url, { accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: CREDENTIALS.secretAccessKey });
    const unknown = await failureOf(unknownKey.send(new ExecuteStatementCommand({ ...ARNS, sql: 'SELECT 1' })));
    expect([unknown.name, unknown.message, unknown.$metadata?.httpStatusCode]).toEqual([
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
      403,
    ]);
    unknownKey.destroy();
  });

  it('rejects an unsigned request with MissingAuthenticationTokenException', async () => {
    const res = await post(signed.url, '/Execute', JSON.stringify({ ...ARNS, sql: 'SELECT 1' }));
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(signed.stats().calls.ExecuteStatement).toBe(1);
  });
});

describe('wire format', () => {
  it('sends every digit of an int8', async () => {
    const res = await post(open.url, '/Execute', JSON.stringify({ ...ARNS, sql: 'SELECT 9223372036854775807::int8, 0.1::float8' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{"records":[[{"longValue":9223372036854775807},{"doubleValue":0.1}]],"numberOfRecordsUpdated":0}');
  });

  it('names errors in x-amzn-ErrorType with a message body', async () => {
    const res = await post(open.url, '/Execute', JSON.stringify({ ...ARNS, sql: 'SELECT 1/0' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('DatabaseErrorException');
    expect(await res.json()).toEqual({ message: 'ERROR: division by zero; SQLState: 22012' });
  });

  it('answers an unknown path with 404 UnknownOperationException', async () => {
    const res = await post(open.url, '/ExecuteSomething', '{}');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });

  it('answers malformed JSON with SerializationException', async () => {
    const res = await post(open.url, '/Execute', '{"sql": ');
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('SerializationException');
  });

  it('refuses a request over the size limit without running it', async () => {
    const client = sdkClient(open.url);
    const parameterSets = Array.from({ length: 2000 }, (_, i) => [{ name: 'v', value: { stringValue: `value number ${i} `.repeat(4) } }]);
    const err = await failureOf(client.send(new BatchExecuteStatementCommand({ ...ARNS, sql: 'SELECT :v', parameterSets })));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['RequestEntityTooLargeException', 413]);
    expect(open.stats().calls.BatchExecuteStatement).toBe(0);
    client.destroy();
  });
});
