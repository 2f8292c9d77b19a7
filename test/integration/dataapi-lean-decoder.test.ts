// The lean decoder against the SDK's deserializer on responses recorded from the emulator: every
// value kind PostgreSQL can return through the Data API, NULLs, arrays (with NULLs, int8
// beyond 2^53), update counts, generated fields, formatted records, BatchExecute results and
// error responses. Each recorded response is decoded both ways and the outputs (or errors) must
// be the same. test/unit/dataapi-lean-decoder.test.ts covers hand-made oddities.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { BatchExecuteStatementCommand, ExecuteStatementCommand, RDSDataClient, type SqlParameter } from '@aws-sdk/client-rds-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { ARNS, CREDENTIALS } from './emulator-setup.js';
import { bothOutcomes, type CannedResponse } from '../harness/canned-data-api.js';

type HandleArgs = Parameters<NodeHttpHandler['handle']>;

/** A handler that keeps a copy of every response it passes on. */
class RecordingHandler extends NodeHttpHandler {
  readonly recorded: CannedResponse[] = [];
  override async handle(...args: HandleArgs) {
    const out = await super.handle(...args);
    const chunks: Buffer[] = [];
    for await (const chunk of out.response.body as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    this.recorded.push({ status: out.response.statusCode, headers: { ...out.response.headers }, body });
    const { Readable } = await import('node:stream');
    out.response.body = Readable.from([body]);
    return out;
  }
}

let db: ThrowawayPostgres;
let emulator: RunningEmulator;

const STATEMENTS: { sql: string; parameters?: SqlParameter[]; options?: Record<string, unknown> }[] = [
  { sql: 'select 1' },
  { sql: "select g as id, 'row ' || g as label, g * 1.5 as amount, now() as at from generate_series(1, 300) g" },
  { sql: 'SELECT * FROM typed ORDER BY id' },
  { sql: 'SELECT * FROM typed ORDER BY id', options: { resultSetOptions: { decimalReturnType: 'STRING', longReturnType: 'STRING' } } },
  { sql: 'SELECT * FROM typed ORDER BY id', options: { formatRecordsAs: 'JSON' } },
  { sql: "SELECT ARRAY[9223372036854775807, -9223372036854775808, NULL]::int8[] AS big, ARRAY[[1,2],[3,4]] AS nested, ARRAY['NaN'::float8, 'Infinity', '-Infinity'] AS odd" },
  { sql: "SELECT 'NaN'::float8 AS nan, 'Infinity'::float4 AS inf, 9007199254740993::int8 AS big, NULL::text AS nothing, ''::bytea AS empty, '\\x00'::bytea AS zero" },
  { sql: 'SELECT :a::int8 AS a, :b AS b, :c AS c', parameters: [{ name: 'a', value: { longValue: 5 } }, { name: 'b', value: { stringValue: 'x' } }, { name: 'c', value: { isNull: true } }] },
  { sql: 'INSERT INTO people (name, age) VALUES (:n, 1)', parameters: [{ name: 'n', value: { stringValue: 'cid' } }] },
  { sql: 'INSERT INTO people (name, age) VALUES (:n, 2) RETURNING id, name', parameters: [{ name: 'n', value: { stringValue: 'dee' } }] },
  { sql: 'UPDATE people SET age = age + 1' },
  { sql: 'CREATE TEMP TABLE nothing_here (a int)' },
  { sql: 'SELECT FROM people' },
  { sql: 'SELECT * FROM people WHERE false' },
  { sql: 'SELECT * FROM no_such_table' },
  { sql: "SELECT 1/0" },
  { sql: 'SELECT ARRAY[[[1]]] AS deep' },
  { sql: 'SELECT interval \'1 day\' AS unsupported' },
  { sql: 'select ' },
];

beforeAll(async () => {
  db = await startPostgres();
  const setup = new pg.Client({ connectionString: db.url });
  setup.on('error', () => undefined);
  await setup.connect();
  await setup.query(`
    CREATE TABLE typed (
      id serial PRIMARY KEY, small int2, i int4, b int8, r real, d float8, n numeric(10,4), t text, c char(3),
      bo bool, u uuid, j json, jb jsonb, dt date, tm time, ts timestamp, tstz timestamptz, by bytea,
      ia int4[], ta text[], ba bool[], fa float8[], na numeric[], ba8 int8[]
    );
    INSERT INTO typed (small, i, b, r, d, n, t, c, bo, u, j, jb, dt, tm, ts, tstz, by, ia, ta, ba, fa, na, ba8)
    VALUES (7, -42, 9007199254740993, 1.5, 2.25, 19.99, 'ünï "q" \\ x', 'ab', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
            '{"a": 1}', '{"b": [1, 2]}', '2024-02-29', '12:34:56.789', '2022-04-06 22:58:48.990', '2024-01-15 12:34:56.5+09',
            '\\x00ff10', '{1,NULL,3}', '{"a b",NULL,"c"}', '{t,f,NULL}', '{1.5,NULL,NaN}', '{1.10,2}', '{9223372036854775807,NULL,1}');
    INSERT INTO typed (small) VALUES (8);
    CREATE TABLE people (id serial PRIMARY KEY, name text NOT NULL, age int4);
  `);
  await setup.end();
  emulator = await startEmulator({ postgresUrl: db.url, credentials: CREDENTIALS });
});

afterAll(async () => {
  await emulator?.stop();
  await db?.stop();
});

describe('the lean decoder on emulator responses', () => {
  it('decodes every recorded response as the SDK does', async () => {
    const recorder = new RecordingHandler();
    const sdk = new RDSDataClient({ endpoint: emulator.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1, requestHandler: recorder });
    try {
      for (const { sql, parameters, options } of STATEMENTS) {
        await sdk.send(new ExecuteStatementCommand({ ...ARNS, sql, parameters, includeResultMetadata: true, ...options })).catch(() => undefined);
      }
      const before = recorder.recorded.length;
      await sdk.send(
        new BatchExecuteStatementCommand({ ...ARNS, sql: 'INSERT INTO people (name) VALUES (:n)', parameterSets: [[{ name: 'n', value: { stringValue: 'e' } }], [{ name: 'n', value: { stringValue: 'f' } }]] }),
      );
      await sdk.send(new BatchExecuteStatementCommand({ ...ARNS, sql: 'INSERT INTO people (name) VALUES (:n)', parameterSets: [[{ name: 'n', value: { isNull: true } }]] })).catch(() => undefined);
      const batchFrom = before;

      const recorded = recorder.recorded;
      expect(recorded.length).toBe(STATEMENTS.length + 2);
      // The corpus holds successes with rows, update counts and errors alike.
      expect(recorded.filter((r) => r.status === 200).length).toBeGreaterThan(10);
      expect(recorded.filter((r) => (r.status ?? 200) >= 400).length).toBeGreaterThanOrEqual(4);
      expect(recorded.some((r) => String(r.body).includes('"longValues"'))).toBe(true);
      expect(recorded.some((r) => String(r.body).includes('"blobValue"'))).toBe(true);
      expect(recorded.some((r) => String(r.body).includes('"isNull"'))).toBe(true);

      for (const [i, response] of recorded.entries()) {
        const [viaSdk, viaLean] = await bothOutcomes(response, i >= batchFrom ? 'batch' : 'execute');
        expect(viaLean, `${i}: ${String(response.body).slice(0, 200)}`).toStrictEqual(viaSdk);
      }
    } finally {
      sdk.destroy();
    }
  });
});
