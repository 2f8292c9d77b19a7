// One parse per statement: the text of a Query or Parse is lexed once, and every later step
// (classification, placeholders, rendering, the statement runner, batching detection) reads
// those tokens. The lexer module is wrapped to count its calls.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeDataApi, affected, batchRoute, intRows, isBatchRouteRead, type Script } from './fake-data-api.js';
import { SessionDriver, serialize, summary } from './session-driver.js';

const lexed = vi.hoisted(() => [] as string[]);

vi.mock('../../../src/dataapi/sql/lexer.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/dataapi/sql/lexer.js')>();
  return {
    ...original,
    tokenize: (sql: string) => {
      lexed.push(sql);
      return original.tokenize(sql);
    },
  };
});

const script: Script = (sql) => {
  if (sql === 'SELECT 1') return intRows(['?column?'], [[1]]);
  if (sql === 'SELECT CAST(:p1 AS int4) + 1') return intRows(['?column?'], [[8]]);
  if (sql === 'SELECT 1;\nSELECT 2' || sql === 'SELECT 2') return intRows(['?column?'], [[2]]);
  if (sql === 'INSERT INTO t VALUES (CAST(:p1 AS int4))') return affected(1);
  if (isBatchRouteRead(sql)) return batchRoute(['integer']);
  return undefined;
};

let driver: SessionDriver;

beforeEach(async () => {
  driver = new SessionDriver(new FakeDataApi(script));
  await driver.readyCount(1);
  lexed.length = 0;
});

afterEach(async () => {
  await driver.terminate();
});

describe('one parse per statement', () => {
  it('lexes a simple SELECT 1 once, from Query to ExecuteStatement', async () => {
    const answer = await driver.roundTrip(serialize.query('SELECT 1'));
    expect(summary(answer)).toEqual(['rowDescription', 'dataRow ["1"]', 'commandComplete SELECT 1', 'readyForQuery I']);
    expect(lexed).toEqual(['SELECT 1']);
  });

  it('lexes a multi-statement query string once for all its statements', async () => {
    await driver.roundTrip(serialize.query('SELECT 1;\nSELECT 2'));
    expect(lexed).toEqual(['SELECT 1;\nSELECT 2']);
  });

  it('lexes COPY (query) TO STDOUT once: its query is read from the COPY statement\'s tokens', async () => {
    const answer = await driver.roundTrip(serialize.query('COPY (SELECT 1) TO STDOUT'));
    expect(summary(answer)).toContain('commandComplete COPY 1');
    expect(lexed).toEqual(['COPY (SELECT 1) TO STDOUT']);
  });

  it('lexes a statement once at Parse, and not again at Bind and Execute', async () => {
    const answer = await driver.roundTrip(
      serialize.parse({ name: 'p', text: 'SELECT $1 + 1', types: [23] }),
      serialize.bind({ statement: 'p', values: ['7'] }),
      serialize.execute(),
      serialize.bind({ statement: 'p', values: ['7'] }),
      serialize.execute(),
      serialize.sync(),
    );
    expect(summary(answer)).toContain('dataRow ["8"]');
    expect(lexed).toEqual(['SELECT $1 + 1']);
  });

  it('lexes a batched INSERT once for the check that it is batchable and for every round', async () => {
    const rounds = [1, 2, 3].flatMap((n) => [serialize.bind({ statement: 'ins', values: [String(n)] }), serialize.execute()]);
    await driver.roundTrip(serialize.parse({ name: 'ins', text: 'INSERT INTO t VALUES ($1)', types: [23] }), ...rounds, serialize.sync());
    expect(driver.api.operations).toEqual(['execute', 'batchExecute']);
    expect(lexed).toEqual(['INSERT INTO t VALUES ($1)']);
  });
});
