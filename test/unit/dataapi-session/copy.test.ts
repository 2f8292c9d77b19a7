// COPY in a Data API session, against a scripted Data API: FROM STDIN becomes one
// BatchExecuteStatement, (query) TO STDOUT runs the query and prints its rows as COPY does.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDataApi, intRows, type Script } from './fake-data-api.js';
import { SessionDriver, serialize, summary } from './session-driver.js';

const drivers: SessionDriver[] = [];

async function start(script: Script): Promise<SessionDriver> {
  const driver = new SessionDriver(new FakeDataApi(script));
  drivers.push(driver);
  await driver.readyCount(1);
  return driver;
}

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.terminate();
});

const script: Script = (sql) => {
  // COPY FROM reads the target's columns first.
  if (/FROM pg_catalog\.pg_attribute a WHERE a\.attrelid = CAST\('t' AS pg_catalog\.regclass\)/.test(sql)) {
    return { records: [[{ stringValue: 'a' }, { stringValue: 'integer' }]], $metadata: {} };
  }
  if (sql === 'SELECT 1 AS a UNION ALL SELECT 2') return intRows(['a'], [[1], [2]]);
  return undefined;
};

describe('Data API session, COPY', () => {
  it('loads COPY FROM STDIN rows with one BatchExecuteStatement and reports the row count', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(
      serialize.query('COPY t FROM STDIN'),
      serialize.copyData(Buffer.from('1\n2\n')),
      serialize.copyData(Buffer.from('\\N\n')),
      serialize.copyDone(),
    );
    expect(summary(answer)).toEqual(['copyInResponse', 'commandComplete COPY 3', 'readyForQuery I']);
    const batch = d.api.calls.find((c) => c.op === 'batchExecute') as { sql: string; sets: unknown[] };
    expect(batch.sql).toBe('INSERT INTO t (a) OVERRIDING SYSTEM VALUE VALUES (CAST(:c1 AS integer))');
    expect(batch.sets).toEqual([
      [{ name: 'c1', value: { stringValue: '1' } }],
      [{ name: 'c1', value: { stringValue: '2' } }],
      [{ name: 'c1', value: { isNull: true } }],
    ]);
  });

  it('runs the query of COPY (query) TO STDOUT and sends its rows as COPY text', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(serialize.query('COPY (SELECT 1 AS a UNION ALL SELECT 2) TO STDOUT'));
    expect(summary(answer)).toEqual(['copyOutResponse', 'copyData', 'copyData', 'copyDone', 'commandComplete COPY 2', 'readyForQuery I']);
    const data = answer.filter((m) => m.name === 'copyData').map((m) => (m as unknown as { chunk: Buffer }).chunk.toString());
    expect(data).toEqual(['1\n', '2\n']);
    expect(d.api.executed).toEqual(['SELECT 1 AS a UNION ALL SELECT 2']);
  });
});
