// The lean decoder against the AWS SDK's own deserializer: the same response bytes go through an
// SDK client as it comes and through one with the lean decoder installed; their outputs (or the
// errors they throw) must be the same. The corpus covers every value kind, nulls, arrays, big
// longs, unusual members and error responses. test/integration/dataapi-lean-decoder.test.ts does
// the same with responses recorded from the emulator.
import { describe, expect, it } from 'vitest';
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { installLeanDecoder, usesLeanDecoder } from '../../src/dataapi/client/lean-protocol.js';
import { ExecuteStatementCommand } from '@aws-sdk/client-rds-data';
import { exactLongBody } from '../../src/dataapi/client/exact-longs.js';
import { ARNS, bothOutcomes, cannedClient, type CannedResponse } from '../harness/canned-data-api.js';

const field = (json: string) => `{"records":[[${json}]]}`;

const EXECUTE_CORPUS: Record<string, CannedResponse> = {
  'select 1': { body: '{"columnMetadata":[{"arrayBaseColumnType":0,"isAutoIncrement":false,"isCaseSensitive":false,"isCurrency":false,"isSigned":true,"label":"?column?","name":"?column?","nullable":0,"precision":10,"scale":0,"schemaName":"","tableName":"","type":4,"typeName":"int4"}],"numberOfRecordsUpdated":0,"records":[[{"longValue":1}]]}' },
  'every scalar kind': {
    body: '{"records":[[{"isNull":true},{"booleanValue":true},{"booleanValue":false},{"longValue":-42},{"doubleValue":2.25},{"stringValue":"text ünïcode \\u0000 \\"q\\""},{"blobValue":"AP8Q"},{"stringValue":"9007199254740993"},{"longValue":0},{"doubleValue":-0},{"stringValue":""}]],"numberOfRecordsUpdated":0}',
  },
  'many rows': { body: `{"records":[${Array.from({ length: 300 }, (_, i) => `[{"longValue":${i}},{"stringValue":"row ${i}"},{"doubleValue":${i * 1.5}},{"isNull":true}]`).join(',')}],"numberOfRecordsUpdated":0}` },
  'non-finite doubles as strings': { body: field('{"doubleValue":"NaN"},{"doubleValue":"Infinity"},{"doubleValue":"-Infinity"},{"doubleValue":"1.5"}') },
  'a long given as a string': { body: field('{"longValue":"123"},{"longValue":"NaN"}') },
  'null members': { body: field('{"stringValue":null},{"isNull":true,"stringValue":null},{"longValue":null,"doubleValue":1}') },
  'an empty field': { body: field('{}') },
  'isNull beside a value': { body: field('{"isNull":false,"stringValue":"x"}') },
  'blobs': { body: field('{"blobValue":""},{"blobValue":"aGVsbG8="},{"blobValue":"/+8="}') },
  'an invalid blob': { body: field('{"blobValue":"abc"}') },
  'a blob that is not base64': { body: field('{"blobValue":"a$c="}') },
  'arrays of every kind': {
    body: field(
      '{"arrayValue":{"longValues":[1,null,3]}},{"arrayValue":{"stringValues":["a b",null,"c"]}},{"arrayValue":{"booleanValues":[true,false,null]}},{"arrayValue":{"doubleValues":[1.5,null,"NaN","Infinity"]}},{"arrayValue":{"arrayValues":[{"longValues":[1,2]},{"stringValues":["x"]},null,{"arrayValues":[{"doubleValues":["-Infinity"]}]}]}},{"arrayValue":{}}',
    ),
  },
  'big int8 array as strings (after exact-longs)': { body: field('{"arrayValue":{"stringValues":["9223372036854775807","-9223372036854775808",null]}}') },
  'big long numbers as the SDK reads them': { body: field('{"longValue":9223372036854775807},{"arrayValue":{"longValues":[9007199254740993]}}') },
  'an unknown union member alone': { body: field('{"futureValue":{"x":1}}') },
  'an unknown member beside a known one': { body: field('{"futureValue":1,"stringValue":"s"}') },
  'a __type member': { body: field('{"__type":"x","stringValue":"s"}') },
  'odd value types kept': { body: field('{"stringValue":12},{"longValue":{"a":1}},{"booleanValue":"yes"},{"arrayValue":[1,2]},{"arrayValue":{"longValues":{"a":1}}}') },
  'column metadata in full and odd': {
    body: '{"columnMetadata":[{"name":"a","type":12,"typeName":"text","label":"a","schemaName":"public","tableName":"t","isAutoIncrement":true,"isSigned":false,"isCurrency":false,"isCaseSensitive":true,"nullable":1,"precision":2147483647,"scale":0,"arrayBaseColumnType":0,"unknownMember":5},{"name":null,"type":"NaN","precision":"12"},{"__type":"ColumnMetadata","name":"b","extra":true}],"records":[]}',
  },
  'an update count': { body: '{"numberOfRecordsUpdated":3,"generatedFields":[]}' },
  'generated fields': { body: '{"numberOfRecordsUpdated":1,"generatedFields":[{"longValue":7},{"stringValue":"g"},{"blobValue":"AA=="}]}' },
  'formatted records': { body: '{"formattedRecords":"[{\\"a\\":1}]","numberOfRecordsUpdated":0}' },
  'unknown top-level members': { body: '{"records":[[{"longValue":1}]],"somethingNew":[1],"__type":"x"}' },
  'records null': { body: '{"records":null,"numberOfRecordsUpdated":0}' },
  'odd top-level types': { body: '{"records":{"a":1},"numberOfRecordsUpdated":"7","columnMetadata":[null,3]}' },
  'rows that are not lists': { body: '{"records":[null,{"a":1},[null,5,"s"]]}' },
  'an empty body': { body: '' },
  'an empty object': { body: '{}' },
  'headers carried to $metadata': { headers: { 'x-amz-id-2': 'ext', 'x-amz-cf-id': 'cf' }, body: '{}' },
  'a body that is not an object': { body: '[1,2]' },
  'a body that is null': { body: 'null' },
  'a body that is not JSON': { body: '{"records":[[' },
  'invalid UTF-8': { body: Buffer.concat([Buffer.from('{"records":[[{"stringValue":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]]}')]) },
};

const ERROR_CORPUS: Record<string, CannedResponse> = {
  'a database error': {
    status: 400,
    headers: { 'x-amzn-errortype': 'DatabaseErrorException' },
    body: '{"message":"ERROR: relation \\"nope\\" does not exist\\n  Position: 15; SQLState: 42P01"}',
  },
  'a bad request': { status: 400, headers: { 'x-amzn-errortype': 'BadRequestException' }, body: '{"message":"Transaction abc is not found"}' },
  'an error named by __type': { status: 400, body: '{"__type":"com.amazonaws.rdsdata#StatementTimeoutException","message":"timed out","dbConnectionId":42}' },
  'a not-found transaction': { status: 404, headers: { 'x-amzn-errortype': 'TransactionNotFoundException:http://internal' }, body: '{"message":"gone"}' },
  'an unsupported result': { status: 400, headers: { 'x-amzn-errortype': 'UnsupportedResultException' }, body: '{"message":"The result contains the unsupported data type"}' },
  'access denied': { status: 403, headers: { 'x-amzn-errortype': 'AccessDeniedException' }, body: '{"Message":"not allowed"}' },
  'throttling': { status: 429, headers: { 'x-amzn-errortype': 'ThrottlingException' }, body: '{"message":"slow down"}' },
  'a server error with no body': { status: 500, body: '' },
  'an unavailable service': { status: 503, headers: { 'x-amzn-errortype': 'ServiceUnavailableError' }, body: '{}' },
  'an unknown error': { status: 400, headers: { 'x-amzn-errortype': 'SomethingNewException' }, body: '{"message":"new"}' },
};

const BATCH_CORPUS: Record<string, CannedResponse> = {
  'update results': { body: '{"updateResults":[{"generatedFields":[]},{"generatedFields":[{"longValue":5},{"blobValue":"AQ=="}]},{},null]}' },
  'no update results': { body: '{}' },
  'a batch error': { status: 400, headers: { 'x-amzn-errortype': 'DatabaseErrorException' }, body: '{"message":"ERROR: duplicate key"}' },
};

describe('the lean decoder gives what the SDK gives', () => {
  for (const [name, canned] of Object.entries({ ...EXECUTE_CORPUS, ...ERROR_CORPUS })) {
    it(`ExecuteStatement: ${name}`, async () => {
      const [sdk, lean] = await bothOutcomes(canned);
      expect(lean).toStrictEqual(sdk);
    });
  }
  for (const [name, canned] of Object.entries(BATCH_CORPUS)) {
    it(`BatchExecuteStatement: ${name}`, async () => {
      const [sdk, lean] = await bothOutcomes(canned, 'batch');
      expect(lean).toStrictEqual(sdk);
    });
  }

  it('decodes blobs into bytes, and errors into the service exception classes', async () => {
    const [, blob] = await bothOutcomes(EXECUTE_CORPUS.blobs!);
    expect('ok' in blob && (blob.ok as { records: { blobValue: Uint8Array }[][] }).records[0]![1]!.blobValue).toEqual(new Uint8Array(Buffer.from('hello')));
    const [, failure] = await bothOutcomes(ERROR_CORPUS['a database error']!);
    expect('error' in failure && failure.error.name).toBe('DatabaseErrorException');
  });
});

describe('installLeanDecoder', () => {
  it('is in use on the clients the proxy builds', async () => {
    const { DataApiClient } = await import('../../src/dataapi/client/data-api-client.js');
    const client = new DataApiClient({ ...ARNS, region: 'us-east-1', endpoint: 'http://127.0.0.1:1', credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) });
    try {
      expect(usesLeanDecoder((client as unknown as { sdk: RDSDataClient }).sdk)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('keeps int8 arrays beyond 2^53 exact with the proxy\'s body rewrite, and leaves safe ones alone', async () => {
    const sdk = cannedClient({ body: '{"records":[[{"arrayValue":{"longValues":[9223372036854775807,null,-9007199254740993]}},{"arrayValue":{"longValues":[1,2]}}]]}' }, false);
    expect(installLeanDecoder(sdk, { executeBody: exactLongBody })).toBe(true);
    try {
      const out = await sdk.send(new ExecuteStatementCommand({ ...ARNS, sql: 'select' }));
      expect(out.records![0]).toStrictEqual([{ arrayValue: { stringValues: ['9223372036854775807', null, '-9007199254740993'] } }, { arrayValue: { longValues: [1, 2] } }]);
    } finally {
      sdk.destroy();
    }
  });

  it('is installed once however often it is asked', () => {
    const sdk = cannedClient({ body: '{}' }, true);
    const hooked = (sdk.config.protocol as unknown as { deserializeResponse: unknown }).deserializeResponse;
    expect(installLeanDecoder(sdk)).toBe(true);
    expect((sdk.config.protocol as unknown as { deserializeResponse: unknown }).deserializeResponse).toBe(hooked);
    sdk.destroy();
  });
});
