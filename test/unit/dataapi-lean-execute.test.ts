// The lean ExecuteStatement path (src/dataapi/client/lean-execute.ts) against the AWS SDK's own
// on one SDK client: the request each hands the HTTP handler (method, endpoint, path, headers
// including the SigV4 authorization, body bytes) must be the same, and so must what each makes
// of a response: the output, or the error (class, name, message, $fault, $metadata) and the
// ErrorResponse service-errors.ts maps it to.
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExecuteStatementCommand, RDSDataClient, type ExecuteStatementCommandInput } from '@aws-sdk/client-rds-data';
import { SignatureV4 } from '@smithy/signature-v4';
import { LeanExecute } from '../../src/dataapi/client/lean-execute.js';
import { serializeExecuteStatement } from '../../src/dataapi/client/lean-serialize.js';
import { installLeanDecoder } from '../../src/dataapi/client/lean-protocol.js';
import { exactLongBody } from '../../src/dataapi/client/exact-longs.js';
import { classifyDataApiError } from '../../src/dataapi/client/service-errors.js';
import { transportFailureOf } from '../../src/dataapi/client/transport.js';
import { ARNS } from '../harness/canned-data-api.js';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataApiClient } from '../../src/dataapi/client/data-api-client.js';
import { WireRowEncoder, WireRowsChunk } from '../../src/dataapi/session/wire-rows.js';
import { JsonRowEncoder, rowsParameter } from '../../src/dataapi/session/json-rows.js';

interface Captured {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, unknown>;
  headers: Record<string, string>;
  body: string;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** An SDK client set up as DataApiClient.ownSdk does, whose handler records requests and answers from `answer`. */
const GOOD_CREDENTIALS = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });

function client(answer: () => Answer | Error, endpoint: string | undefined = 'http://127.0.0.1:8080', credentials: () => Promise<unknown> = GOOD_CREDENTIALS) {
  const requests: Captured[] = [];
  const sdk = new RDSDataClient({
    region: 'eu-west-1',
    endpoint,
    credentials: credentials as never,
    maxAttempts: 1,
    cacheMiddleware: true,
    requestHandler: {
      handle: async (req: Captured & { body: unknown }) => {
        requests.push({ ...req, headers: { ...req.headers }, body: String(req.body) });
        const a = answer();
        if (a instanceof Error) throw a;
        return {
          response: {
            statusCode: a.status,
            headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1', ...a.headers },
            body: Readable.from([Buffer.from(a.body)]),
          },
        };
      },
    } as never,
  });
  sdk.middlewareStack.remove('loggerMiddleware');
  if (!installLeanDecoder(sdk, { executeBody: exactLongBody })) throw new Error('lean decoder not installed');
  const lean = LeanExecute.for(sdk);
  if (!lean) throw new Error('lean path not available');
  return { sdk, lean, requests };
}

type Outcome = { ok: unknown } | { error: Record<string, unknown> };

async function outcome(send: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await send() };
  } catch (e) {
    const err = e as Error & { $fault?: unknown; $metadata?: unknown; $response?: { statusCode: number }; code?: string };
    const mapped = classifyDataApiError(e);
    return {
      error: {
        class: err.constructor.name,
        name: err.name,
        message: err.message,
        fault: err.$fault,
        metadata: err.$metadata,
        responseStatus: err.$response?.statusCode,
        code: err.code,
        fields: Object.fromEntries(Object.entries(err).filter(([k]) => !k.startsWith('$'))),
        transport: transportFailureOf(e),
        sqlstate: mapped.error.sqlstate,
        mappedMessage: mapped.error.message,
        outcome: mapped.outcome,
        retry: mapped.retry,
      },
    };
  }
}

/** Both paths' outcomes for one input on one client, and the requests each sent. */
async function both(input: ExecuteStatementCommandInput, answer: () => Answer | Error, endpoint?: string, credentials?: () => Promise<unknown>) {
  const c = client(answer, endpoint, credentials);
  try {
    const viaSdk = await outcome(() => c.sdk.send(new ExecuteStatementCommand(input)));
    const sent = c.lean.send(input);
    expect(sent, 'the lean path takes this request').not.toBeNull();
    const viaLean = await outcome(() => sent!);
    expect(c.requests).toHaveLength(credentials ? 0 : 2);
    return { viaSdk, viaLean, sdkRequest: c.requests[0]!, leanRequest: c.requests[1]!, sdk: c.sdk };
  } finally {
    c.sdk.destroy();
  }
}

const SELECT_1 = '{"columnMetadata":[{"name":"?column?","type":4,"typeName":"int4"}],"numberOfRecordsUpdated":0,"records":[[{"longValue":1}]]}';
const ok = (): Answer => ({ status: 200, body: SELECT_1 });

const PROXY_DEFAULTS = { includeResultMetadata: true, resultSetOptions: { decimalReturnType: 'STRING', longReturnType: 'STRING' } } as const;

const REQUESTS: Record<string, ExecuteStatementCommandInput> = {
  'select 1': { ...ARNS, sql: 'select 1', ...PROXY_DEFAULTS },
  'with a database and a transaction': { ...ARNS, database: 'app', sql: 'update t set a = 1', transactionId: 'tx-ÄÖ/+==', continueAfterTimeout: true, ...PROXY_DEFAULTS },
  'every parameter kind': {
    ...ARNS,
    sql: 'insert into t values (:a, :b, :c, :d, :e, :f, :g, :h, :i, :j)',
    ...PROXY_DEFAULTS,
    parameters: [
      { name: 'a', value: { stringValue: 'text "quoted" \\ ünïcode \u0000 \u2028 😀' } },
      { name: 'b', value: { longValue: -9007199254740991 } },
      { name: 'c', value: { doubleValue: 1.5e-300 } },
      { name: 'd', value: { booleanValue: false } },
      { name: 'e', value: { isNull: true } },
      { name: 'f', value: { blobValue: new Uint8Array([0, 255, 16, 32]) } },
      { name: 'g', value: { blobValue: Buffer.from('hello') } },
      { name: 'h', value: { stringValue: '2024-01-02 03:04:05' }, typeHint: 'TIMESTAMP' },
      { name: 'i', value: { arrayValue: { arrayValues: [{ longValues: [1, 2] }, { stringValues: ['x', ''] }, { booleanValues: [true] }, { doubleValues: [0.25] }] } } },
      { name: 'j', value: { stringValue: '1.50' }, typeHint: 'DECIMAL' },
    ],
  },
  'undefined members left out': { ...ARNS, sql: 'select :x', database: undefined, transactionId: undefined, parameters: [{ name: 'x', value: { stringValue: 'y', isNull: undefined }, typeHint: undefined }], ...PROXY_DEFAULTS },
  'an empty parameter list': { ...ARNS, sql: 'select 1', parameters: [] },
};

describe('lean ExecuteStatement requests', () => {
  beforeEach(() => {
    // The same signing time and invocation id for both paths, so their signatures must match.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-04T05:06:07Z'));
    vi.spyOn(globalThis.crypto, 'randomUUID').mockReturnValue('00000000-1111-4222-8333-444444444444');
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  for (const [title, input] of Object.entries(REQUESTS)) {
    it(`sends what the SDK sends: ${title}`, async () => {
      const { sdkRequest, leanRequest, viaSdk, viaLean } = await both(input, ok);
      expect(leanRequest.body).toBe(sdkRequest.body);
      expect(serializeExecuteStatement(input)).toBe(sdkRequest.body);
      // The SDK's user agent ends with an `m/` list of the features a call used; the lean one has none.
      const { 'user-agent': sdkAgent, ...sdkHeaders } = sdkRequest.headers;
      const { 'user-agent': leanAgent, ...leanHeaders } = leanRequest.headers;
      expect(leanHeaders).toEqual(sdkHeaders);
      expect(Object.keys(leanRequest.headers)).toEqual(Object.keys(sdkRequest.headers));
      expect(leanAgent).toBe(sdkAgent!.replace(/ m\/[^ ]*/, ''));
      expect(sdkHeaders.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260304\/eu-west-1\/rds-data\/aws4_request/);
      expect(sdkHeaders['x-amz-security-token']).toBe('token');
      const { headers: _a, body: _b, ...sdkRest } = sdkRequest;
      const { headers: _c, body: _d, ...leanRest } = leanRequest;
      expect(leanRest).toEqual(sdkRest);
      expect(viaLean).toEqual(viaSdk);
      expect(viaSdk).toMatchObject({ ok: { records: [[{ longValue: 1 }]], $metadata: { httpStatusCode: 200, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 } } });
    });
  }

  it('sends what the SDK sends for a COPY chunk written as the body\'s bytes (a large pre-encoded parameter)', async () => {
    // Values JSON escapes in every way, twice over: quotes, backslashes, control characters,
    // non-ASCII, a surrogate pair, U+2028, nulls; over a MiB, so the chunk's buffer grows.
    const odd = ['plain', 'a "quoted" \\ word', 'tab\there\nnewline\r\u0001\u001f', 'ünïcode ✓ 😀 \u2028\u2029 \u007f', '', '\\N', '{"k": [1, "x"]}'];
    const values = Array.from({ length: 20_000 }, (_, i) => [String(i), i % 5 === 0 ? null : odd[i % odd.length]!, `row ${i}`]);
    const chunk = new WireRowsChunk(1024);
    const encoder = new WireRowEncoder(3);
    for (const [i, row] of values.entries()) expect(chunk.tryAdd(encoder.encode(row), i + 1, Buffer.from(row.join('\t')), 3 * 1024 * 1024)).toBe(true);
    const [rows] = chunk.parameter();
    expect(chunk.wireBytes).toBeGreaterThan(1024 * 1024);
    // The same parameter as json-rows.ts writes it for the SDK's path.
    const plain = new JsonRowEncoder(3);
    expect(rows!.value!.stringValue).toBe(rowsParameter(values.map((v) => plain.encode(v)))[0]!.value!.stringValue);
    // Between other parameters, so that its bytes are spliced in the right place.
    const input: ExecuteStatementCommandInput = {
      ...ARNS,
      sql: 'insert into t select * from json_to_recordset(:rows) where :before < :after',
      ...PROXY_DEFAULTS,
      parameters: [{ name: 'before', value: { stringValue: 'ä "b"' } }, rows!, { name: 'after', value: { stringValue: '\u0000z' } }],
      transactionId: 'tx-1',
    };
    const body = serializeExecuteStatement(input);
    expect(Buffer.isBuffer(body)).toBe(true);
    const { sdkRequest, leanRequest, viaSdk, viaLean } = await both(input, ok);
    expect(Buffer.compare(body as Buffer, Buffer.from(sdkRequest.body))).toBe(0);
    expect(leanRequest.body).toBe(sdkRequest.body);
    // The same signature: the payload hash is the same bytes'.
    expect(leanRequest.headers.authorization).toBe(sdkRequest.headers.authorization);
    expect(leanRequest.headers['content-length']).toBe(sdkRequest.headers['content-length']);
    expect(viaLean).toEqual(viaSdk);
    // Each row comes back whole for finding a failing one.
    const pending = chunk.pendingRows(3);
    expect(pending.map((r) => r.values)).toEqual(values);
    expect(pending[7]).toEqual({ json: plain.encode(values[7]!).json, values: values[7], line: 8, text: values[7]!.join('\t') });
  });

  it('reaches the endpoint the SDK reaches: a path prefix, a default port, the regional endpoint', async () => {
    for (const endpoint of ['http://127.0.0.1:8080/prefix/', 'https://data.example.test', undefined]) {
      const { sdkRequest, leanRequest } = await both(REQUESTS['select 1']!, ok, endpoint);
      const pick = (r: Captured) => [r.protocol, r.hostname, r.port, r.path, r.headers.host, r.headers.authorization];
      expect(pick(leanRequest), String(endpoint)).toEqual(pick(sdkRequest));
    }
  });

  it('leaves to the SDK what only it serializes', () => {
    const odd: ExecuteStatementCommandInput[] = [
      { ...ARNS, sql: 'x', parameters: [{ name: 'a', value: { doubleValue: NaN } }] },
      { ...ARNS, sql: 'x', parameters: [{ name: 'a', value: { stringValue: null as never } }] },
      { ...ARNS, sql: 'x', parameters: [{ name: 'a', value: { stringValue: 'a', longValue: 1 } as never }] },
      { ...ARNS, sql: 'x', parameters: [{ name: 'a', value: {} as never }] },
      { ...ARNS, sql: 'x', parameters: [{ name: 'a', value: { arrayValue: { longValues: [1, null as never] } } }] },
      { ...ARNS, sql: 'x', parameters: [{ name: 'a', value: { blobValue: 'text' as never } }] },
      { ...ARNS, sql: 'x', formatRecordsAs: 'JSON', futureMember: 1 } as never,
    ];
    for (const input of odd) expect(serializeExecuteStatement(input), JSON.stringify(input)).toBeNull();
  });

  it('is not used inside AWS Lambda, where the SDK adds trace headers', () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'fn');
    try {
      const sdk = new RDSDataClient({ region: 'us-east-1', credentials: GOOD_CREDENTIALS });
      expect(LeanExecute.for(sdk)).toBeNull();
      sdk.destroy();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("signs with the lean signer, not the SDK's, and with the SDK's signer what the lean signer leaves to it", async () => {
    const signerCalls = async (credentials: () => Promise<unknown>) => {
      const c = client(ok, 'http://127.0.0.1:8080', credentials);
      try {
        // The first call resolves the fixed parts, the lean signer's check against the SDK's included.
        await c.lean.send(REQUESTS['select 1']!);
        const spy = vi.spyOn(SignatureV4.prototype, 'sign');
        try {
          await c.lean.send(REQUESTS['select 1']!);
          return spy.mock.calls.length;
        } finally {
          spy.mockRestore();
        }
      } finally {
        c.sdk.destroy();
      }
    };
    expect(await signerCalls(GOOD_CREDENTIALS)).toBe(0);
    // An empty access key id is nothing the lean signer signs; the SDK's signer does, as it would.
    const emptyKeyId = async () => ({ accessKeyId: '', secretAccessKey: 'secret' });
    expect(await signerCalls(emptyKeyId)).toBe(1);
    const c = client(ok, 'http://127.0.0.1:8080', emptyKeyId);
    try {
      await c.sdk.send(new ExecuteStatementCommand(REQUESTS['select 1']!));
      await c.lean.send(REQUESTS['select 1']!);
      expect(c.requests[1]!.headers.authorization).toBe(c.requests[0]!.headers.authorization);
    } finally {
      c.sdk.destroy();
    }
  });

  it('throws what the SDK throws for credentials without an access key id', async () => {
    const { viaSdk, viaLean } = await both(REQUESTS['select 1']!, ok, undefined, async () => ({ secretAccessKey: 'secret' }));
    expect(viaSdk).toMatchObject({ error: { message: 'Resolved credential object is not valid' } });
    expect(viaLean).toEqual(viaSdk);
  });

  it('corrects the clock from the response as the SDK does', async () => {
    const skewed = (): Answer => ({ status: 200, headers: { date: 'Wed, 04 Mar 2026 05:16:07 GMT' }, body: SELECT_1 });
    const viaSdk = client(skewed);
    const viaLean = client(skewed);
    await viaSdk.sdk.send(new ExecuteStatementCommand(REQUESTS['select 1']!));
    await viaLean.lean.send(REQUESTS['select 1']!);
    expect(viaLean.sdk.config.systemClockOffset).toBe(viaSdk.sdk.config.systemClockOffset);
    expect(viaSdk.sdk.config.systemClockOffset).toBe(600_000);
  });
});

describe('lean ExecuteStatement responses', () => {
  const failure = (status: number, type: string | undefined, body: Record<string, unknown>, headers: Record<string, string> = {}) => (): Answer => ({
    status,
    headers: { ...(type === undefined ? {} : { 'x-amzn-errortype': type }), ...headers },
    body: JSON.stringify(body),
  });

  // The error types test/integration/dataapi-service-errors.test.ts scripts, and the other ways a
  // restJson1 service names an error.
  const ERRORS: Record<string, () => Answer> = {
    DatabaseResumingException: failure(400, 'DatabaseResumingException', { message: 'The database is resuming' }),
    ThrottlingException: failure(400, 'ThrottlingException', { message: 'Rate exceeded' }),
    InternalServerErrorException: failure(500, 'InternalServerErrorException', {}),
    ServiceUnavailableError: failure(503, 'ServiceUnavailableError', {}),
    AccessDeniedException: failure(403, 'AccessDeniedException', { message: 'User is not authorized' }),
    HttpEndpointNotEnabledException: failure(400, 'HttpEndpointNotEnabledException', { message: 'HttpEndpoint is not enabled' }),
    DatabaseNotFoundException: failure(404, 'DatabaseNotFoundException', { message: 'Database x not found' }),
    StatementTimeoutException: failure(400, 'StatementTimeoutException', { message: 'Request timed out', dbConnectionId: 7 }),
    TransactionNotFoundException: failure(404, 'TransactionNotFoundException', { message: 'Transaction abc is not found' }),
    InvalidSecretException: failure(400, 'InvalidSecretException', { message: 'bad secret' }),
    ValidationException: failure(400, 'ValidationException', { message: "Value at 'sql' failed to satisfy constraint: Member must have length less than or equal to 65536" }),
    DatabaseErrorException: failure(400, 'DatabaseErrorException', { message: 'ERROR: relation "nowhere" does not exist\n  Position: 15; SQLState: 42P01' }),
    BadRequestException: failure(400, 'BadRequestException', { message: 'Bad request' }),
    'a type header with a suffix': failure(400, 'BadRequestException:http://internal.amazon.com/coral/com.amazon.rdsdata/', { message: 'suffixed' }),
    'a namespaced __type in the body': failure(400, undefined, { __type: 'com.amazon.rdsdataservice#ForbiddenException', Message: 'capital M' }),
    'a code in the body': failure(400, undefined, { code: 'UnsupportedResultException', message: 'The result set size exceeded the limit' }),
    'an error type not in the model': failure(400, 'ExpiredTokenException', { message: 'The security token included in the request is expired' }),
    'no error type at all': failure(502, undefined, {}),
    'a body that is not JSON': () => ({ status: 502, body: '<html>Bad Gateway</html>' }),
    'a request id header spelled otherwise': failure(400, 'ThrottlingException', { message: 'slow' }, { 'x-amzn-requestid': '', 'x-amz-request-id': 'other' }),
  };

  for (const [title, answer] of Object.entries(ERRORS)) {
    it(`throws what the SDK throws: ${title}`, async () => {
      const { viaSdk, viaLean } = await both(REQUESTS['select 1']!, answer);
      expect(viaSdk).toHaveProperty('error');
      expect(viaLean).toEqual(viaSdk);
    });
  }

  it('throws what the SDK throws when the handler fails (the transport)', async () => {
    const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const timeout = () => Object.assign(new Error('@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 10000 ms.'), { name: 'TimeoutError' });
    for (const make of [reset, timeout]) {
      const { viaSdk, viaLean } = await both(REQUESTS['select 1']!, make);
      expect(viaSdk).toHaveProperty('error.transport');
      expect(viaLean).toEqual(viaSdk);
    }
  });

  it('throws what the SDK throws when there are no credentials', async () => {
    const none = async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    };
    const { viaSdk, viaLean } = await both(REQUESTS['select 1']!, ok, undefined, none);
    expect(viaSdk).toMatchObject({ error: { name: 'CredentialsProviderError', outcome: 'no_credentials' } });
    expect(viaLean).toEqual(viaSdk);
  });

  it('decodes a 2xx body with the lean decoder, int8 arrays exact', async () => {
    const big = (): Answer => ({ status: 200, body: '{"records":[[{"arrayValue":{"longValues":[9223372036854775807,1]}},{"stringValue":"x"}]]}' });
    const { viaSdk, viaLean } = await both(REQUESTS['select 1']!, big);
    expect(viaLean).toEqual(viaSdk);
    expect(viaLean).toMatchObject({ ok: { records: [[{ arrayValue: { stringValues: ['9223372036854775807', '1'] } }, { stringValue: 'x' }]] } });
  });
});

describe('DataApiClient', () => {
  it('sends ExecuteStatement the lean way when it owns its SDK, other calls and the switched-off client through the SDK', async () => {
    const seen: { path: string; agent: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({ path: req.url ?? '', agent: String(req.headers['user-agent']) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.url === '/BeginTransaction' ? '{"transactionId":"tx"}' : SELECT_1);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const target = { ...ARNS, region: 'us-east-1', endpoint, credentials: GOOD_CREDENTIALS };
    const lean = new DataApiClient(target);
    const plain = new DataApiClient({ ...target, leanRequests: false });
    try {
      const viaLean = await lean.withDatabase('other').execute({ sql: 'select 1' });
      const viaSdk = await plain.execute({ sql: 'select 1' });
      expect(await lean.begin()).toBe('tx');
      expect(viaLean).toEqual(viaSdk);
      // Only the SDK's middleware writes the `m/` feature list into the user agent.
      expect(seen.map((s) => [s.path, / m\//.test(s.agent)])).toEqual([
        ['/Execute', false],
        ['/Execute', true],
        ['/BeginTransaction', true],
      ]);
    } finally {
      lean.destroy();
      plain.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
