// COPY in a Data API session, against a scripted Data API: FROM STDIN becomes one set-based
// ExecuteStatement (the rows as one JSON parameter), (query) TO STDOUT runs the query and prints
// its rows as COPY does.
import { describe, expect, it } from 'vitest';
import { intRows, type Script } from './fake-data-api.js';
import { serialize, summary, useSessionDrivers } from './session-driver.js';

const start = useSessionDrivers();

const script: Script = (sql) => {
  // COPY FROM reads the target's columns first.
  if (/FROM pg_catalog\.pg_attribute a .*WHERE a\.attrelid = CAST\('t' AS pg_catalog\.regclass\)/.test(sql)) {
    return {
      records: [
        [{ stringValue: 'a' }, { stringValue: 'integer' }, { booleanValue: false }],
        [{ stringValue: 'j' }, { stringValue: 'jsonb' }, { booleanValue: true }],
      ],
      $metadata: {},
    };
  }
  if (sql === 'SELECT 1 AS a UNION ALL SELECT 2') return intRows(['a'], [[1], [2]]);
  if (sql.startsWith('INSERT INTO t ')) return { numberOfRecordsUpdated: 3, $metadata: {} };
  return undefined;
};

describe('Data API session, COPY', () => {
  it('loads COPY FROM STDIN rows with one ExecuteStatement of JSON rows and reports the row count', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(
      serialize.query('COPY t FROM STDIN'),
      serialize.copyData(Buffer.from('1\t{"k": 1}\n2\tnull\n')),
      serialize.copyData(Buffer.from('\\N\t\\N\n')),
      serialize.copyDone(),
    );
    expect(summary(answer)).toEqual(['copyInResponse', 'commandComplete COPY 3', 'readyForQuery I']);
    // Outside a transaction one chunk is one statement: no BEGIN, no COMMIT, no batch.
    expect(d.api.calls.map((c) => c.op)).toEqual(['execute', 'execute']);
    const load = d.api.calls[1] as { sql: string; parameters: { name: string; value: { stringValue: string } }[] };
    // json columns are read as text and cast: json_to_recordset would keep a JSON string a string.
    expect(load.sql).toBe(
      'INSERT INTO t (a, j) OVERRIDING SYSTEM VALUE SELECT r."1", CAST(r."2" AS jsonb) ' +
        'FROM pg_catalog.json_to_recordset(CAST(:rows AS pg_catalog.json)) AS r("1" integer, "2" pg_catalog.text)',
    );
    expect(load.parameters.map((p) => p.name)).toEqual(['rows']);
    // The string "null" stays a string; \N is a JSON null.
    expect(JSON.parse(load.parameters[0].value.stringValue)).toEqual([
      { 1: '1', 2: '{"k": 1}' },
      { 1: '2', 2: 'null' },
      { 1: null, 2: null },
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
