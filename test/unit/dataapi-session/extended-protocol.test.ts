// The extended query protocol of a Data API session, against a scripted Data API: pipelines,
// named statements and portals, Describe, row limits and the skip-until-Sync rule.
import { describe, expect, it } from 'vitest';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { affected, batchRoute, intRows, isBatchRouteRead, type Script } from './fake-data-api.js';
import { serialize, summary, useSessionDrivers } from './session-driver.js';
import { ClientFacingError } from '../../../src/protocol/client-error.js';

const start = useSessionDrivers();

const INT4 = 23;

/** Five rows of `n`, read through the cursor the session declares for a row-limited Execute. */
const script: Script = (sql) => {
  const select = /^SELECT (\d+)$/.exec(sql);
  if (select) return intRows(['?column?'], [[Number(select[1])]]);
  if (/^SELECT CAST\(:p1 AS int4\)/.test(sql)) return intRows(['?column?'], [[7]]);
  if (/^INSERT INTO t/.test(sql)) return affected(1);
  if (isBatchRouteRead(sql)) return batchRoute(['integer']);
  if (/^DECLARE aurora_pg_proxy_cursor_\d+ NO SCROLL CURSOR FOR SELECT n FROM t$/.test(sql)) return affected(0);
  if (/^FETCH FORWARD \d+ FROM aurora_pg_proxy_cursor_\d+$/.test(sql)) return intRows(['n'], [[1], [2], [3], [4], [5]]);
  if (/^CLOSE aurora_pg_proxy_cursor_\d+$/.test(sql)) return affected(0);
  if (sql === 'SELECT n FROM t') return intRows(['n'], [[1], [2], [3], [4], [5]]);
  // The Describe probe of `SELECT $1 AS x` (describe.ts): PREPARE, the inferred types, the columns.
  if (/^PREPARE aurora_pg_proxy_describe \(unknown\) AS SELECT \$1 AS x$/.test(sql)) return affected(0);
  if (/pg_prepared_statements p WHERE p\.name = 'aurora_pg_proxy_describe'/.test(sql)) return { records: [[{ stringValue: '25' }, { isNull: true }]], $metadata: {} };
  // The check of a statement whose ParseComplete is held when Sync comes first (held-parse.ts).
  if (/^PREPARE aurora_pg_proxy_parse_check AS SELECT \* FROM nope$/.test(sql)) {
    return new ClientFacingError('42P01', 'relation "nope" does not exist', { position: 15 }, 'ERROR');
  }
  if (/^PREPARE aurora_pg_proxy_parse_check AS SELECT \d+$/.test(sql)) return affected(0);
  if (/^DEALLOCATE aurora_pg_proxy_parse_check$/.test(sql)) return affected(0);
  if (/^DEALLOCATE aurora_pg_proxy_describe$/.test(sql)) return affected(0);
  if (/^SELECT \* FROM \(SELECT CAST\(NULL AS text\) AS x\n\) AS aurora_pg_proxy_describe LIMIT 0$/.test(sql)) {
    return { columnMetadata: [{ name: 'x', label: 'x', typeName: 'text', type: 12 }], records: [], $metadata: {} };
  }
  return undefined;
};

function field<T>(messages: BackendMessage[], name: string, key: string): T {
  const m = messages.find((x) => x.name === name) as unknown as Record<string, T> | undefined;
  if (!m) throw new Error(`no ${name} among ${summary(messages).join(', ')}`);
  return m[key]!;
}

describe('Data API session, extended protocol', () => {
  it('runs a pipeline of Parse/Bind/Execute rounds up to Sync in one transaction', async () => {
    const d = await start(script);
    const rounds = [1, 2, 3].flatMap((n) => [serialize.parse({ text: `SELECT ${n}` }), serialize.bind(), serialize.execute()]);
    const answer = await d.roundTrip(...rounds, serialize.sync());
    const one = (n: number) => ['parseComplete', 'bindComplete', `dataRow ["${n}"]`, 'commandComplete SELECT 1'];
    expect(summary(answer)).toEqual([...one(1), ...one(2), ...one(3), 'readyForQuery I']);
    expect(d.api.operations).toEqual(['begin', 'execute', 'execute', 'execute', 'commit']);
    expect(d.api.executed).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3']);
  });

  it('runs a lone Execute without a transaction and sends a bound parameter cast to its declared type', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(
      serialize.parse({ text: 'SELECT $1', types: [INT4] }),
      serialize.bind({ values: ['7'] }),
      serialize.execute(),
      serialize.sync(),
    );
    expect(summary(answer)).toEqual(['parseComplete', 'bindComplete', 'dataRow ["7"]', 'commandComplete SELECT 1', 'readyForQuery I']);
    expect(d.api.calls).toEqual([
      { op: 'execute', sql: 'SELECT CAST(:p1 AS int4) AS "?column?"', parameters: [{ name: 'p1', value: { longValue: 7 } }], transactionId: undefined },
    ]);
  });

  it('skips every message after an error until Sync, then answers again', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(
      serialize.bind({ statement: 'missing' }),
      serialize.execute(),
      serialize.parse({ text: 'SELECT 1' }),
      serialize.sync(),
    );
    expect(summary(answer)).toEqual(['error 26000', 'readyForQuery I']);
    expect(d.api.calls).toEqual([]);
    const again = await d.roundTrip(serialize.parse({ text: 'SELECT 2' }), serialize.bind(), serialize.execute(), serialize.sync());
    expect(summary(again)).toEqual(['parseComplete', 'bindComplete', 'dataRow ["2"]', 'commandComplete SELECT 1', 'readyForQuery I']);
  });

  it('keeps named statements and portals across pipelines, and refuses a duplicate name', async () => {
    const d = await start(script);
    expect(summary(await d.roundTrip(serialize.parse({ name: 's1', text: 'SELECT 4' }), serialize.sync()))).toEqual(['parseComplete', 'readyForQuery I']);
    const run = await d.roundTrip(serialize.bind({ statement: 's1', portal: 'p1' }), serialize.execute({ portal: 'p1' }), serialize.sync());
    expect(summary(run)).toEqual(['bindComplete', 'dataRow ["4"]', 'commandComplete SELECT 1', 'readyForQuery I']);
    const duplicate = await d.roundTrip(serialize.parse({ name: 's1', text: 'SELECT 5' }), serialize.sync());
    expect(summary(duplicate)).toEqual(['error 42P05', 'readyForQuery I']);
    // Closed, the name is free again; its portal is gone with the pipeline that ended outside a transaction.
    const closed = await d.roundTrip(serialize.close({ type: 'S', name: 's1' }), serialize.parse({ name: 's1', text: 'SELECT 5' }), serialize.sync());
    expect(summary(closed)).toEqual(['closeComplete', 'parseComplete', 'readyForQuery I']);
    const portalGone = await d.roundTrip(serialize.execute({ portal: 'p1' }), serialize.sync());
    expect(summary(portalGone)).toEqual(['error 34000', 'readyForQuery I']);
  });

  it('answers a Parse PostgreSQL would refuse with its error in place of ParseComplete, and keeps no statement', async () => {
    const d = await start(script);
    const refused = await d.roundTrip(serialize.parse({ name: 'bad', text: 'SELECT * FROM nope' }), serialize.sync());
    expect(summary(refused)).toEqual(['error 42P01', 'readyForQuery I']);
    // The name was not kept: it can be prepared again, and the check ran without running anything.
    const again = await d.roundTrip(serialize.parse({ name: 'bad', text: 'SELECT 8' }), serialize.bind({ statement: 'bad' }), serialize.execute(), serialize.sync());
    expect(summary(again)).toEqual(['parseComplete', 'bindComplete', 'dataRow ["8"]', 'commandComplete SELECT 1', 'readyForQuery I']);
    expect(d.api.executed.filter((sql) => !/^(PREPARE|DEALLOCATE) aurora_pg_proxy_parse_check/.test(sql))).toEqual(['SELECT 8']);
  });

  it('refuses a Bind with the wrong number of parameters', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(serialize.parse({ text: 'SELECT $1', types: [INT4] }), serialize.bind({ values: [] }), serialize.sync());
    expect(summary(answer)).toEqual(['parseComplete', 'error 08P01', 'readyForQuery I']);
  });

  it('describes a statement before binding: parameter types and columns from the probe', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(serialize.parse({ name: 'q', text: 'SELECT $1 AS x' }), serialize.describe({ type: 'S', name: 'q' }), serialize.sync());
    expect(summary(answer)).toEqual(['parseComplete', 'parameterDescription', 'rowDescription', 'readyForQuery I']);
    expect(field<number[]>(answer, 'parameterDescription', 'dataTypeIDs')).toEqual([25]);
    const fields = field<{ name: string; dataTypeID: number }[]>(answer, 'rowDescription', 'fields');
    expect(fields.map((f) => [f.name, f.dataTypeID])).toEqual([['x', 25]]);
    // The probe ran in a throwaway transaction, rolled back.
    expect(d.api.operations[0]).toBe('begin');
    expect(d.api.operations.at(-1)).toBe('rollback');
  });

  it('describes a portal by running its statement, whose Execute then sends the rows', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(
      serialize.parse({ text: 'SELECT 6' }),
      serialize.bind(),
      serialize.describe({ type: 'P', name: '' }),
      serialize.execute(),
      serialize.sync(),
    );
    expect(summary(answer)).toEqual(['parseComplete', 'bindComplete', 'rowDescription', 'dataRow ["6"]', 'commandComplete SELECT 1', 'readyForQuery I']);
    expect(d.api.executed).toEqual(['SELECT 6']);
  });

  it('answers a statement with no rows with NoData on Describe of its portal', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(
      serialize.parse({ text: 'INSERT INTO t SELECT 1' }),
      serialize.bind(),
      serialize.describe({ type: 'P', name: '' }),
      serialize.execute(),
      serialize.sync(),
    );
    expect(summary(answer)).toEqual(['parseComplete', 'bindComplete', 'noData', 'commandComplete INSERT 0 1', 'readyForQuery I']);
  });

  it('sends a row-limited Execute in pieces with PortalSuspended, reading through a cursor', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(
      serialize.parse({ text: 'SELECT n FROM t' }),
      serialize.bind({ portal: 'c' }),
      serialize.execute({ portal: 'c', rows: 2 }),
      serialize.execute({ portal: 'c', rows: 2 }),
      serialize.execute({ portal: 'c', rows: 2 }),
      serialize.sync(),
    );
    expect(summary(answer)).toEqual([
      'parseComplete',
      'bindComplete',
      'dataRow ["1"]',
      'dataRow ["2"]',
      'portalSuspended',
      'dataRow ["3"]',
      'dataRow ["4"]',
      'portalSuspended',
      'dataRow ["5"]',
      'commandComplete SELECT 5',
      'readyForQuery I',
    ]);
    expect(d.api.operations).toEqual(['begin', 'execute', 'execute', 'execute', 'commit']);
    expect(d.api.executed[0]).toMatch(/^DECLARE aurora_pg_proxy_cursor_\d+ NO SCROLL CURSOR FOR SELECT n FROM t$/);
  });

  it('reads a row limit that arrives after the Describe of its portal (the pipeline split across network reads)', async () => {
    const d = await start(script);
    const from = d.received.length;
    // node-postgres and pg-cursor write each message on its own: the Execute may come later.
    d.send(serialize.parse({ text: 'SELECT n FROM t' }), serialize.bind({ portal: 'c' }), serialize.describe({ type: 'P', name: 'c' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(d.api.executed).toEqual([]);
    await d.roundTrip(serialize.execute({ portal: 'c', rows: 2 }), serialize.sync());
    expect(summary(d.received.slice(from))).toEqual(['parseComplete', 'bindComplete', 'rowDescription', 'dataRow ["1"]', 'dataRow ["2"]', 'portalSuspended', 'readyForQuery I']);
    // Paged through a cursor, as the row limit asks, not read whole.
    expect(d.api.executed[0]).toMatch(/^DECLARE aurora_pg_proxy_cursor_\d+ NO SCROLL CURSOR FOR SELECT n FROM t$/);
  });

  it('describes a portal at once when the client flushes before any Execute', async () => {
    const d = await start(script);
    const from = d.received.length;
    d.send(serialize.parse({ text: 'SELECT 6' }), serialize.bind(), serialize.describe({ type: 'P', name: '' }), serialize.flush());
    while (!d.received.slice(from).some((m) => m.name === 'rowDescription')) await new Promise((r) => setTimeout(r, 5));
    expect(d.api.executed).toEqual(['SELECT 6']);
    await d.roundTrip(serialize.execute(), serialize.sync());
    expect(summary(d.received.slice(from))).toEqual(['parseComplete', 'bindComplete', 'rowDescription', 'dataRow ["6"]', 'commandComplete SELECT 1', 'readyForQuery I']);
  });

  it('reads a portal described before its Execute through a cursor inside an explicit transaction (pg-cursor)', async () => {
    const d = await start(script);
    await d.roundTrip(serialize.query('BEGIN'));
    const from = d.received.length;
    // pg-cursor: Parse, Bind, Describe, Flush; its row-limited Executes come after the RowDescription.
    d.send(serialize.parse({ text: 'SELECT n FROM t' }), serialize.bind({ portal: 'c' }), serialize.describe({ type: 'P', name: 'c' }), serialize.flush());
    while (!d.received.slice(from).some((m) => m.name === 'rowDescription')) await new Promise((r) => setTimeout(r, 5));
    // A result over 1 MiB could not be read again in this transaction: never read whole.
    expect(d.api.executed.at(-1)).toMatch(/^FETCH FORWARD \d+ FROM aurora_pg_proxy_cursor_\d+$/);
    expect(d.api.executed).not.toContain('SELECT n FROM t');
    await d.roundTrip(serialize.execute({ portal: 'c', rows: 2 }), serialize.sync());
    expect(summary(d.received.slice(from))).toEqual(['parseComplete', 'bindComplete', 'rowDescription', 'dataRow ["1"]', 'dataRow ["2"]', 'portalSuspended', 'readyForQuery T']);
    await d.roundTrip(serialize.query('COMMIT'));
  });

  it('keeps a pipeline split across network reads in one transaction (node-postgres writes each message on its own)', async () => {
    const d = await start(script);
    const from = d.received.length;
    d.send(serialize.parse({ text: 'SELECT 1' }), serialize.bind(), serialize.execute());
    await new Promise((r) => setTimeout(r, 20));
    // Nothing is decided before it is known whether the pipeline goes on.
    expect(d.api.operations).toEqual([]);
    d.send(serialize.parse({ text: 'SELECT 2' }), serialize.bind());
    await new Promise((r) => setTimeout(r, 20));
    await d.roundTrip(serialize.execute(), serialize.sync());
    const one = (n: number) => ['parseComplete', 'bindComplete', `dataRow ["${n}"]`, 'commandComplete SELECT 1'];
    expect(summary(d.received.slice(from))).toEqual([...one(1), ...one(2), 'readyForQuery I']);
    expect(d.api.operations).toEqual(['begin', 'execute', 'execute', 'commit']);
  });

  it('rolls back the whole of a split pipeline when its last statement fails', async () => {
    const failing: Script = (sql, request) => (sql === 'SELECT 9' ? new ClientFacingError('22012', 'division by zero', {}, 'ERROR') : script(sql, request));
    const d = await start(failing);
    const from = d.received.length;
    d.send(serialize.parse({ text: 'INSERT INTO t SELECT 1' }), serialize.bind(), serialize.execute());
    await new Promise((r) => setTimeout(r, 20));
    await d.roundTrip(serialize.parse({ text: 'SELECT 9' }), serialize.bind(), serialize.execute(), serialize.sync());
    expect(summary(d.received.slice(from))).toEqual(['parseComplete', 'bindComplete', 'commandComplete INSERT 0 1', 'parseComplete', 'bindComplete', 'error 22012', 'readyForQuery I']);
    expect(d.api.operations).toEqual(['begin', 'execute', 'execute', 'rollback']);
  });

  it('runs a lone statement in autocommit when its Sync comes in a later read', async () => {
    const d = await start(script);
    const from = d.received.length;
    d.send(serialize.parse({ text: 'SELECT 4' }), serialize.bind(), serialize.execute());
    await new Promise((r) => setTimeout(r, 20));
    await d.roundTrip(serialize.sync());
    expect(summary(d.received.slice(from))).toEqual(['parseComplete', 'bindComplete', 'dataRow ["4"]', 'commandComplete SELECT 1', 'readyForQuery I']);
    expect(d.api.operations).toEqual(['execute']);
  });

  it('answers an empty statement with EmptyQueryResponse', async () => {
    const d = await start(script);
    const answer = await d.roundTrip(serialize.parse({ text: '' }), serialize.bind(), serialize.execute(), serialize.sync());
    expect(summary(answer)).toEqual(['parseComplete', 'bindComplete', 'emptyQuery', 'readyForQuery I']);
    expect(d.api.calls).toEqual([]);
  });

  it('sends a few pipelined rounds of a single-row INSERT as one BatchExecuteStatement, after a catalog read', async () => {
    const d = await start(script);
    const rounds = [1, 2, 3].flatMap((n) => [serialize.bind({ statement: 'ins', values: [String(n)] }), serialize.execute()]);
    const answer = await d.roundTrip(serialize.parse({ name: 'ins', text: 'INSERT INTO t VALUES ($1)', types: [INT4] }), ...rounds, serialize.sync());
    const round = ['bindComplete', 'commandComplete INSERT 0 1'];
    expect(summary(answer)).toEqual(['parseComplete', ...round, ...round, ...round, 'readyForQuery I']);
    expect(d.api.operations).toEqual(['execute', 'batchExecute']);
    expect(isBatchRouteRead(d.api.executed[0])).toBe(true);
    const batch = d.api.calls[1] as { sql: string; sets: unknown[] };
    expect(batch.sql).toBe('INSERT INTO t VALUES (CAST(:p1 AS int4))');
    expect(batch.sets).toHaveLength(3);
  });
});
