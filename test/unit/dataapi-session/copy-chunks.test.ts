// COPY FROM STDIN in several chunks against a scripted Data API: a chunk is sent while the next is
// being filled, never more than one at a time, all in one transaction with a savepoint around
// every chunk after the first; a bad row of a later chunk is named with its line; a CopyFail or
// a disconnect while a chunk is in flight rolls the COPY back once that chunk has ended.
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { FakeDataApi, type Script } from './fake-data-api.js';
import { SessionDriver, serialize, summary } from './session-driver.js';
import { DataApiError } from '../../../src/dataapi/client/service-errors.js';
import type { ExecuteRequest } from '../../../src/dataapi/client/data-api-client.js';
import { CHUNK_PARAMETER_BYTES } from '../../../src/dataapi/session/copy-chunk-sql.js';
import { FIRST_CHUNK_BYTES, SetBasedCopyLoader } from '../../../src/dataapi/session/copy-set-loader.js';
import type { RunnerContext } from '../../../src/dataapi/session/outcome.js';

const drivers: SessionDriver[] = [];

afterEach(async () => {
  for (const d of drivers.splice(0)) {
    d.api.hold = null;
    d.disconnect();
    await d.finished;
  }
});

async function start(script: Script): Promise<SessionDriver> {
  const driver = new SessionDriver(new FakeDataApi(script));
  drivers.push(driver);
  await driver.readyCount(1);
  return driver;
}

/** Rows of `t (a integer, b text)`: value i and a name, `bad` in column a at the given rows. */
function rows(count: number, bad: ReadonlySet<number> = new Set()): string[] {
  return Array.from({ length: count }, (_, i) => `${bad.has(i) ? 'bad' : i}\tname-${i}\n`);
}

/** The rows as CopyData messages of about 8 KiB, as psql sends them. */
function copyData(lines: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < lines.length; i += 200) out.push(serialize.copyData(Buffer.from(lines.slice(i, i + 200).join(''))));
  return out;
}

/** The wire size of a chunk of these rows (json-rows.ts): a JSON array of objects, escaped again. */
function wireBytes(lines: readonly string[]): number {
  const objects = lines.map((l) => {
    const [a, b] = l.slice(0, -1).split('\t');
    return { 1: a, 2: b };
  });
  return JSON.stringify(JSON.stringify(objects)).length - 2;
}

function dbError(code: string, message: string): DataApiError {
  const e = new DataApiError(code, message, {}, 'ERROR');
  e.outcome = 'database_error';
  return e;
}

const TABLE_COLUMNS: ExecuteStatementCommandOutput = {
  records: [
    [{ stringValue: 'a' }, { stringValue: 'integer' }, { booleanValue: false }],
    [{ stringValue: 'b' }, { stringValue: 'text' }, { booleanValue: false }],
  ],
  $metadata: {},
};

function parameterRows(req: ExecuteRequest): Record<string, string | null>[] {
  return JSON.parse(req.parameters![0].value!.stringValue!) as Record<string, string | null>[];
}

/** A table `t`: rows whose column a is `bad` fail to convert, everything else inserts. */
const script: Script = (sql, req) => {
  if (/FROM pg_catalog\.pg_attribute a .*WHERE a\.attrelid = CAST\('t' AS pg_catalog\.regclass\)/.test(sql)) return TABLE_COLUMNS;
  if (/^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) /.test(sql)) return { $metadata: {} };
  if (sql.startsWith('INSERT INTO t ') || sql.startsWith('SELECT pg_catalog.count(')) {
    const values = parameterRows(req);
    if (values.some((r) => r['1'] === 'bad')) return dbError('22P02', 'invalid input syntax for type integer: "bad"');
    return sql.startsWith('SELECT') ? { records: [[{ longValue: values.length }]], $metadata: {} } : { numberOfRecordsUpdated: values.length, $metadata: {} };
  }
  return undefined;
};

/** The calls after the table's columns were read, INSERTs with their row counts. */
function callsAfterColumns(api: FakeDataApi): string[] {
  const from = api.calls.findIndex((c) => c.op === 'execute' && c.sql.includes('pg_attribute')) + 1;
  return api.calls.slice(from).map((c) => {
    if (c.op !== 'execute') return c.op;
    if (c.sql.startsWith('INSERT')) return `INSERT ${parameterRows(c as ExecuteRequest).length}`;
    return c.sql.split(' ').slice(0, 2).join(' ');
  });
}

/** Lets every pending callback and I/O callback run, a bounded number of times. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Holds each INSERT until released: `release()` lets the oldest held one go. */
function holdInserts(api: FakeDataApi): { held: () => number; release: () => void } {
  const waiting: (() => void)[] = [];
  api.hold = (req) => (req.sql.startsWith('INSERT') ? new Promise<void>((resolve) => waiting.push(resolve)) : undefined);
  return { held: () => waiting.length, release: () => waiting.shift()!() };
}

function errorOf(messages: BackendMessage[]): { code: string; where?: string; message: string } {
  const e = messages.find((m) => m.name === 'error') as unknown as { code: string; where?: string; message: string };
  return { code: e.code, where: e.where, message: e.message };
}

// 25,000 rows: a first chunk of FIRST_CHUNK_BYTES, a second of twice that, the rest.
const MANY = 25_000;

describe('COPY FROM STDIN in several chunks', () => {
  it('sends each chunk while the next fills, one at a time, in one transaction with savepoints after the first', async () => {
    const lines = rows(MANY);
    expect(wireBytes(lines)).toBeGreaterThan(3 * FIRST_CHUNK_BYTES);
    const d = await start(script);
    const inserts = holdInserts(d.api);
    const done = d.roundTrip(serialize.query('COPY t FROM STDIN'), ...copyData(lines), serialize.copyDone());
    // The first chunk is held in flight: the second fills up, and then the COPY waits.
    await settle();
    expect(callsAfterColumns(d.api)).toEqual(['begin', expect.stringMatching(/^INSERT \d+$/)]);
    expect(inserts.held()).toBe(1);
    for (let chunk = 0; chunk < 3; chunk++) {
      while (inserts.held() === 0) await settle();
      inserts.release();
    }
    const answer = await done;
    expect(summary(answer)).toEqual(['copyInResponse', `commandComplete COPY ${MANY}`, 'readyForQuery I']);
    const calls = callsAfterColumns(d.api);
    expect(calls.map((c) => c.replace(/^INSERT \d+$/, 'INSERT'))).toEqual([
      'begin',
      'INSERT',
      'SAVEPOINT apgp_copy_chunk',
      'INSERT',
      'RELEASE SAVEPOINT',
      'SAVEPOINT apgp_copy_chunk',
      'INSERT',
      'RELEASE SAVEPOINT',
      'commit',
    ]);
    expect(d.api.maxExecuting).toBe(1);
    // Each chunk at most its size (doubling from the first), the rows all there, in order.
    const sizes = calls.filter((c) => c.startsWith('INSERT')).map((c) => Number(c.split(' ')[1]));
    expect(sizes.reduce((a, b) => a + b)).toBe(MANY);
    expect(wireBytes(lines.slice(0, sizes[0]))).toBeLessThanOrEqual(FIRST_CHUNK_BYTES + 100);
    expect(wireBytes(lines.slice(0, sizes[0] + 1))).toBeGreaterThan(FIRST_CHUNK_BYTES - 100);
    expect(wireBytes(lines.slice(sizes[0], sizes[0] + sizes[1]))).toBeLessThanOrEqual(2 * FIRST_CHUNK_BYTES + 100);
    const sent = d.api.calls.flatMap((c) => (c.op === 'execute' && c.sql.startsWith('INSERT') ? parameterRows(c as ExecuteRequest) : []));
    expect(sent.map((r) => r['1'])).toEqual(lines.map((_, i) => String(i)));
  });

  it('names the line of a bad row of the third chunk, with the earlier chunks kept until the rollback', async () => {
    const badRow = MANY - 1000;
    const d = await start(script);
    const answer = await d.roundTrip(serialize.query('COPY t FROM STDIN'), ...copyData(rows(MANY, new Set([badRow]))), serialize.copyDone());
    expect(summary(answer)).toEqual(['copyInResponse', 'error 22P02', 'readyForQuery I']);
    expect(errorOf(answer)).toEqual({
      code: '22P02',
      message: 'invalid input syntax for type integer: "bad"',
      where: `COPY t, line ${badRow + 1}, column a: "bad"`,
    });
    const calls = callsAfterColumns(d.api);
    // The third chunk ran after its savepoint, was rolled back to it, and the search began there.
    const third = calls.indexOf('SAVEPOINT apgp_copy_chunk', calls.indexOf('SAVEPOINT apgp_copy_chunk') + 1);
    expect(calls.slice(third, third + 3)).toEqual(['SAVEPOINT apgp_copy_chunk', expect.stringMatching(/^INSERT \d+$/), 'ROLLBACK TO']);
    expect(calls.at(-1)).toBe('rollback');
    expect(calls).not.toContain('commit');
  });

  it('rolls back after a CopyFail that arrives while a chunk is in flight', async () => {
    const d = await start(script);
    const inserts = holdInserts(d.api);
    const lines = rows(MANY).slice(0, 10_000);
    const done = d.roundTrip(serialize.query('COPY t FROM STDIN'), ...copyData(lines), serialize.copyFail('stopped by the user'));
    await settle();
    expect(inserts.held()).toBe(1);
    inserts.release();
    const answer = await done;
    expect(summary(answer)).toEqual(['copyInResponse', 'error 57014', 'readyForQuery I']);
    expect(errorOf(answer).message).toBe('COPY from stdin failed: stopped by the user');
    expect(callsAfterColumns(d.api)).toEqual(['begin', expect.stringMatching(/^INSERT \d+$/), 'rollback']);
  });

  it('rolls back after the client disconnects while a chunk is in flight, writing nothing more', async () => {
    const d = await start(script);
    const inserts = holdInserts(d.api);
    const before = d.received.length;
    d.send(serialize.query('COPY t FROM STDIN'), ...copyData(rows(10_000)));
    await settle();
    expect(inserts.held()).toBe(1);
    d.disconnect();
    await settle();
    inserts.release();
    await d.finished;
    expect(callsAfterColumns(d.api)).toEqual(['begin', expect.stringMatching(/^INSERT \d+$/), 'rollback']);
    expect(summary(d.received.slice(before))).toEqual(['copyInResponse']);
  });
});

describe('SetBasedCopyLoader', () => {
  /** A transaction whose INSERTs wait until released; every call recorded. */
  function fakeContext(holdInserts = true) {
    const calls: string[] = [];
    /** Each INSERT's rows and parameter size as it travels. */
    const sizes: { rows: number; bytes: number }[] = [];
    const waiting: (() => void)[] = [];
    let open = false;
    const tx = {
      get open() {
        return open;
      },
      begin: async () => {
        calls.push('begin');
        open = true;
      },
      markSetupDone: () => undefined,
      execute: async (req: { sql: string; parameters?: { value?: { stringValue?: string } }[] }) => {
        const name = req.sql.startsWith('INSERT') ? 'INSERT' : req.sql.split(' ')[0];
        calls.push(name);
        if (name !== 'INSERT') return { $metadata: {} };
        if (holdInserts) await new Promise<void>((resolve) => waiting.push(resolve));
        const json = req.parameters![0].value!.stringValue!;
        const rows = (JSON.parse(json) as unknown[]).length;
        sizes.push({ rows, bytes: JSON.stringify(json).length - 2 });
        return { numberOfRecordsUpdated: rows, $metadata: {} };
      },
      commit: async () => {
        calls.push('commit');
        open = false;
      },
      rollback: async () => {
        calls.push('rollback');
        open = false;
      },
    };
    const settings = { transactionDefaults: () => null, applyStatement: () => null };
    const ctx = { tx, settings, onResuming: () => undefined } as unknown as RunnerContext;
    return { ctx, calls, waiting, sizes };
  }

  const target = {
    table: 't',
    relationName: 't',
    columns: [
      { name: 'a', type: 'integer', jsonLike: false },
      { name: 'b', type: 'text', jsonLike: false },
    ],
  };

  it('takes rows while a chunk is in flight and makes the client wait only when the next chunk is full', async () => {
    const { ctx, calls, waiting } = fakeContext();
    const loader = new SetBasedCopyLoader(ctx, target, false, null, null);
    const line = Buffer.from('x');
    let row = 0;
    /** Adds rows until add() asks to wait; returns that promise. */
    const fill = (): Promise<void> => {
      for (;;) {
        const wait = loader.add([String(row), 'name'], ++row, line);
        if (wait) return wait;
      }
    };
    await fill(); // the first chunk is full and sent
    await settle();
    expect(calls).toEqual(['begin', 'INSERT']);
    const rowsOfFirst = row;
    let secondFull = false;
    const second = fill().then(() => (secondFull = true));
    // The second chunk took more rows than the first while the first was in flight ...
    expect(row).toBeGreaterThan(rowsOfFirst * 1.5);
    await settle();
    // ... and the client waits until the first chunk has ended.
    expect(secondFull).toBe(false);
    expect(calls).toEqual(['begin', 'INSERT']);
    waiting.shift()!();
    await second;
    expect(calls).toEqual(['begin', 'INSERT', 'SAVEPOINT', 'INSERT']);
    for (let i = 0; i < 10; i++) expect(loader.add([String(row), 'name'], ++row, line)).toBeUndefined();
    const finished = loader.finish();
    await settle();
    waiting.shift()!();
    await settle();
    waiting.shift()!();
    expect(await finished).toBe(row);
    expect(calls).toEqual(['begin', 'INSERT', 'SAVEPOINT', 'INSERT', 'RELEASE', 'SAVEPOINT', 'INSERT', 'RELEASE', 'commit']);
  });

  it('begins its transaction half way through the first chunk, while the chunk fills', async () => {
    const { ctx, calls, waiting } = fakeContext();
    const loader = new SetBasedCopyLoader(ctx, target, false, null, null);
    const line = Buffer.from('x');
    let row = 0;
    // Rows of about 40 bytes on the wire: a quarter of the first chunk begins nothing yet.
    while (row < FIRST_CHUNK_BYTES / 4 / 40) expect(loader.add([String(row), 'name'], ++row, line)).toBeUndefined();
    await settle();
    expect(calls).toEqual([]);
    while (row < (FIRST_CHUNK_BYTES * 3) / 4 / 40) expect(loader.add([String(row), 'name'], ++row, line)).toBeUndefined();
    await settle();
    expect(calls).toEqual(['begin']);
    const finished = loader.finish();
    await settle();
    // The rows went as one chunk, in the transaction begun for them (no savepoint).
    expect(calls).toEqual(['begin', 'INSERT']);
    waiting.shift()!();
    expect(await finished).toBe(row);
    expect(calls).toEqual(['begin', 'INSERT', 'commit']);
  });

  it('never sends a chunk over the request limit', async () => {
    const { ctx, calls, sizes } = fakeContext(false);
    const loader = new SetBasedCopyLoader(ctx, target, false, null, null);
    // Rows of 1.2 MiB: chunks of one row while the target is under it, then two (2.4 MiB) as a
    // third would take the parameter past the 3 MiB limit.
    const big = 'x'.repeat(1.2 * 1024 * 1024);
    for (let i = 0; i < 8; i++) await loader.add([String(i), big], i + 1, null);
    expect(await loader.finish()).toBe(8);
    expect(calls.filter((c) => c === 'INSERT')).toHaveLength(6);
    expect(sizes.map((s) => s.rows)).toEqual([1, 1, 1, 2, 2, 1]);
    for (const { bytes } of sizes) expect(bytes).toBeLessThanOrEqual(CHUNK_PARAMETER_BYTES);
  });
});
