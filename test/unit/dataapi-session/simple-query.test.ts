// The simple query protocol of a Data API session, against a scripted Data API.
import { describe, expect, it } from 'vitest';
import { ClientFacingError } from '../../../src/protocol/client-error.js';
import { affected, intRows, type Script } from './fake-data-api.js';
import { serialize, summary, useSessionDrivers } from './session-driver.js';

const start = useSessionDrivers();

const tableScript: Script = (sql) => {
  if (/^INSERT INTO t/.test(sql)) return affected(1);
  if (sql === 'SELECT 1') return intRows(['?column?'], [[1]]);
  if (sql === 'SELECT 2') return intRows(['?column?'], [[2]]);
  if (/FROM nope/.test(sql)) return new ClientFacingError('42P01', 'relation "nope" does not exist', { position: 15 }, 'ERROR');
  return undefined;
};

describe('Data API session, simple query', () => {
  it('answers a single statement with one ExecuteStatement outside any transaction', async () => {
    const d = await start(tableScript);
    const answer = await d.roundTrip(serialize.query('SELECT 1'));
    expect(summary(answer)).toEqual(['rowDescription', 'dataRow ["1"]', 'commandComplete SELECT 1', 'readyForQuery I']);
    expect(d.api.calls).toEqual([{ op: 'execute', sql: 'SELECT 1', parameters: [], transactionId: undefined }]);
  });

  it('runs several statements of one query in one implicit transaction', async () => {
    const d = await start(tableScript);
    const answer = await d.roundTrip(serialize.query('INSERT INTO t VALUES (1); SELECT 1;SELECT 2'));
    expect(summary(answer)).toEqual([
      'commandComplete INSERT 0 1',
      'rowDescription',
      'dataRow ["1"]',
      'commandComplete SELECT 1',
      'rowDescription',
      'dataRow ["2"]',
      'commandComplete SELECT 1',
      'readyForQuery I',
    ]);
    expect(d.api.operations).toEqual(['begin', 'execute', 'execute', 'execute', 'commit']);
    expect(d.api.calls.filter((c) => c.op === 'execute').every((c) => c.transactionId === 'tx-1')).toBe(true);
  });

  it('stops at the failing statement, rolls the implicit transaction back and points into the query', async () => {
    const d = await start(tableScript);
    const answer = await d.roundTrip(serialize.query('INSERT INTO t VALUES (1); SELECT * FROM nope; SELECT 2'));
    expect(summary(answer)).toEqual(['commandComplete INSERT 0 1', 'error 42P01', 'readyForQuery I']);
    expect(d.api.operations).toEqual(['begin', 'execute', 'execute', 'rollback']);
    expect(d.api.executed).not.toContain('SELECT 2');
    // Position 15 of the failing statement, counted from the start of the whole query string.
    const error = answer.find((m) => m.name === 'error') as unknown as { position: string };
    expect(error.position).toBe(String('INSERT INTO t VALUES (1); '.length + 15));
  });

  it('answers an empty query with EmptyQueryResponse and calls nothing', async () => {
    const d = await start(tableScript);
    const answer = await d.roundTrip(serialize.query(' ; -- nothing'));
    expect(summary(answer)).toEqual(['emptyQuery', 'readyForQuery I']);
    expect(d.api.calls).toEqual([]);
  });
});

describe('Data API session, transaction status', () => {
  it('reports I, T and E in ReadyForQuery as a transaction block opens, fails and ends', async () => {
    const d = await start(tableScript);
    expect(summary(await d.roundTrip(serialize.query('BEGIN')))).toEqual(['commandComplete BEGIN', 'readyForQuery T']);
    expect(summary(await d.roundTrip(serialize.query('INSERT INTO t VALUES (1)')))).toEqual(['commandComplete INSERT 0 1', 'readyForQuery T']);
    expect(summary(await d.roundTrip(serialize.query('SELECT * FROM nope')))).toEqual(['error 42P01', 'readyForQuery E']);
    // PostgreSQL refuses everything but the end of the block now, without reaching the database.
    const callsBefore = d.api.calls.length;
    expect(summary(await d.roundTrip(serialize.query('SELECT 1')))).toEqual(['error 25P02', 'readyForQuery E']);
    expect(d.api.calls.length).toBe(callsBefore);
    expect(summary(await d.roundTrip(serialize.query('ROLLBACK')))).toEqual(['commandComplete ROLLBACK', 'readyForQuery I']);
    expect(d.api.operations).toEqual(['begin', 'execute', 'execute', 'rollback']);
  });

  it('commits a block on COMMIT, and answers COMMIT of a failed block with ROLLBACK', async () => {
    const d = await start(tableScript);
    await d.roundTrip(serialize.query('BEGIN'));
    await d.roundTrip(serialize.query('INSERT INTO t VALUES (1)'));
    expect(summary(await d.roundTrip(serialize.query('COMMIT')))).toEqual(['commandComplete COMMIT', 'readyForQuery I']);
    expect(d.api.operations).toEqual(['begin', 'execute', 'commit']);

    await d.roundTrip(serialize.query('BEGIN'));
    await d.roundTrip(serialize.query('SELECT * FROM nope'));
    expect(summary(await d.roundTrip(serialize.query('COMMIT')))).toEqual(['commandComplete ROLLBACK', 'readyForQuery I']);
    expect(d.api.operations.slice(3)).toEqual(['begin', 'execute', 'rollback']);
  });

  it('warns about COMMIT outside a block and stays idle', async () => {
    const d = await start(tableScript);
    const answer = await d.roundTrip(serialize.query('COMMIT'));
    expect(summary(answer)).toEqual(['notice', 'commandComplete COMMIT', 'readyForQuery I']);
    expect(d.api.calls).toEqual([]);
  });
});
