// Transactions, BatchExecuteStatement, the response cap and the statement timeout, through the
// real SDK. Timeouts are configured short so that expiry can be observed in well under a second.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
  type ExecuteStatementCommandInput,
  type RDSDataClient,
} from '@aws-sdk/client-rds-data';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { ARNS, CREDENTIALS, failureOf, sdkClient } from './emulator-setup.js';

const IDLE_TIMEOUT_MS = 500;
const STATEMENT_TIMEOUT_MS = 500;

let db: ThrowawayPostgres;
let emulator: RunningEmulator;
let client: RDSDataClient;
let observer: pg.Client;

const exec = (input: Omit<ExecuteStatementCommandInput, 'resourceArn' | 'secretArn'>) =>
  client.send(new ExecuteStatementCommand({ ...ARNS, ...input }));
const begin = async () => (await client.send(new BeginTransactionCommand({ ...ARNS }))).transactionId!;
const commit = (transactionId: string) => client.send(new CommitTransactionCommand({ ...ARNS, transactionId }));
const rollback = (transactionId: string) => client.send(new RollbackTransactionCommand({ ...ARNS, transactionId }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ids(): Promise<number[]> {
  const r = await observer.query('SELECT id FROM items ORDER BY id');
  return r.rows.map((row) => Number(row.id));
}

/** Waits (bounded) until `check` holds; returns whether it did. */
async function eventually(check: () => Promise<boolean>, attempts = 100): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await sleep(50);
  }
  return false;
}

beforeAll(async () => {
  db = await startPostgres();
  observer = new pg.Client({ connectionString: db.url });
  observer.on('error', () => undefined);
  await observer.connect();
  await observer.query('CREATE TABLE items (id int PRIMARY KEY, name text)');
  emulator = await startEmulator({
    postgresUrl: db.url,
    credentials: CREDENTIALS,
    transactionIdleTimeoutMs: IDLE_TIMEOUT_MS,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    maxResponseBytes: 64 * 1024,
  });
  client = sdkClient(emulator.url);
});

afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
  await observer?.end().catch(() => undefined);
  await db?.stop();
});

beforeEach(async () => {
  await observer.query('TRUNCATE items');
});

describe('transactions', () => {
  it('commits: the change is invisible outside until CommitTransaction', async () => {
    const id = await begin();
    expect(id.length).toBeGreaterThan(100);
    expect(emulator.stats().openTransactions).toBe(1);
    const insert = await exec({ sql: "INSERT INTO items VALUES (1, 'a')", transactionId: id });
    expect(insert.numberOfRecordsUpdated).toBe(1);
    expect((await exec({ sql: 'SELECT count(*) FROM items', transactionId: id })).records).toEqual([[{ longValue: 1 }]]);
    expect(await ids()).toEqual([]);
    expect((await commit(id)).transactionStatus).toBe('Transaction Committed');
    expect(await ids()).toEqual([1]);
    expect(emulator.stats().openTransactions).toBe(0);

    const again = await failureOf(commit(id));
    expect(again.name).toBe('TransactionNotFoundException');
    expect(again.$metadata?.httpStatusCode).toBe(404);
    expect(again.message).toBe(`Transaction ${id} isn't found. One previous call resulted in a termination of your transaction`);
  });

  it('rolls back', async () => {
    const id = await begin();
    await exec({ sql: "INSERT INTO items VALUES (2, 'b')", transactionId: id });
    expect((await rollback(id)).transactionStatus).toBe('Rollback Complete');
    expect(await ids()).toEqual([]);
  });

  it('answers an unknown id with TransactionNotFoundException', async () => {
    const err = await failureOf(exec({ sql: 'SELECT 1', transactionId: 'bm90LWEtdHJhbnNhY3Rpb24=' }));
    expect([err.name, err.message]).toEqual(['TransactionNotFoundException', "Transaction bm90LWEtdHJhbnNhY3Rpb24= isn't found. Transaction may be expired"]);
  });

  it('rolls back and forgets a transaction left idle', async () => {
    const id = await begin();
    await exec({ sql: "INSERT INTO items VALUES (3, 'c')", transactionId: id });
    await sleep(IDLE_TIMEOUT_MS + 300);
    expect(emulator.stats().openTransactions).toBe(0);
    const err = await failureOf(exec({ sql: 'SELECT 1', transactionId: id }));
    expect([err.name, err.message]).toEqual(['TransactionNotFoundException', `Transaction ${id} isn't found. Transaction may be expired`]);
    expect(await ids()).toEqual([]);
  });

  it('refuses a second call while one runs on the same transaction', async () => {
    const id = await begin();
    const slow = exec({ sql: 'SELECT pg_sleep(0.3)', transactionId: id });
    const started = await eventually(async () => {
      const r = await observer.query("SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(0.3)' AND state = 'active'");
      return r.rowCount === 1;
    });
    expect(started).toBe(true);
    const err = await failureOf(exec({ sql: 'SELECT 1', transactionId: id }));
    expect([err.name, err.message, err.$metadata?.httpStatusCode]).toEqual(['DatabaseErrorException', 'Transaction is still running a query', 400]);
    expect((await slow).records).toEqual([[{ stringValue: '' }]]);
    expect((await commit(id)).transactionStatus).toBe('Transaction Committed');
  });

  it('keeps PostgreSQL aborted-transaction state after an error', async () => {
    const id = await begin();
    await failureOf(exec({ sql: 'SELECT * FROM missing_table', transactionId: id }));
    const err = await failureOf(exec({ sql: 'SELECT 1', transactionId: id }));
    expect(err.message).toBe('ERROR: current transaction is aborted, commands ignored until end of transaction block; SQLState: 25P02');
    expect((await rollback(id)).transactionStatus).toBe('Rollback Complete');
  });

  it('keeps session state for the life of the transaction only', async () => {
    const id = await begin();
    await exec({ sql: 'CREATE TEMP TABLE scratch (x int)', transactionId: id });
    await exec({ sql: "SET TIME ZONE 'Asia/Tokyo'", transactionId: id });
    const r = await exec({ sql: "SELECT count(*), '2024-01-15 12:00:00'::timestamptz FROM scratch", transactionId: id });
    // timestamptz still comes back in UTC whatever the session zone says.
    expect(r.records).toEqual([[{ longValue: 0 }, { stringValue: '2024-01-15 03:00:00' }]]);
    await commit(id);
    const after = await exec({ sql: "SELECT to_regclass('pg_temp.scratch')::text, current_setting('TimeZone')" });
    expect(after.records).toEqual([[{ isNull: true }, { stringValue: 'UTC' }]]);
  });
});

describe('BatchExecuteStatement', () => {
  const insertSets = (rows: [number, string][]) =>
    rows.map(([id, name]) => [
      { name: 'id', value: { longValue: id } },
      { name: 'name', value: { stringValue: name } },
    ]);

  it('runs the statement once per parameter set', async () => {
    const r = await client.send(
      new BatchExecuteStatementCommand({ ...ARNS, sql: 'INSERT INTO items VALUES (:id, :name)', parameterSets: insertSets([[10, 'x'], [11, 'y'], [12, 'z']]) }),
    );
    expect(r.updateResults).toEqual([{ generatedFields: [] }, { generatedFields: [] }, { generatedFields: [] }]);
    expect(await ids()).toEqual([10, 11, 12]);
  });

  it('applies all or nothing', async () => {
    const err = await failureOf(
      client.send(new BatchExecuteStatementCommand({ ...ARNS, sql: 'INSERT INTO items VALUES (:id, :name)', parameterSets: insertSets([[20, 'x'], [21, 'y'], [20, 'dup']]) })),
    );
    expect(err.name).toBe('DatabaseErrorException');
    expect(err.message).toMatch(/^Batch entry 2 INSERT INTO items VALUES \('20'::int8, 'dup'\) was aborted: ERROR: duplicate key value violates unique constraint "items_pkey" {2}Call getNextException to see other errors in the batch\.; SQLState: 23505$/);
    expect(await ids()).toEqual([]);
  });

  it('joins a transaction when given one', async () => {
    const id = await begin();
    await client.send(new BatchExecuteStatementCommand({ ...ARNS, sql: 'INSERT INTO items VALUES (:id, :name)', parameterSets: insertSets([[30, 'a'], [31, 'b']]), transactionId: id }));
    expect(await ids()).toEqual([]);
    await rollback(id);
    expect(await ids()).toEqual([]);
  });
});

describe('response size cap', () => {
  it('refuses a result over the cap', async () => {
    const err = await failureOf(exec({ sql: "SELECT repeat('x', 1000) FROM generate_series(1, 100)" }));
    expect([err.name, err.message, err.$metadata?.httpStatusCode]).toEqual(['UnsupportedResultException', 'The result exceeds the size limit 64 KB', 400]);
    const huge = await failureOf(exec({ sql: 'SELECT generate_series(1, 20000000)' }));
    expect(huge.message).toBe('The result exceeds the size limit 64 KB');
    expect((await exec({ sql: "SELECT repeat('x', 1000) FROM generate_series(1, 10)" })).records).toHaveLength(10);
  });

  it('terminates the transaction the oversized call ran in', async () => {
    const id = await begin();
    await exec({ sql: "INSERT INTO items VALUES (40, 'gone')", transactionId: id });
    await failureOf(exec({ sql: "SELECT repeat('x', 1000) FROM generate_series(1, 100)", transactionId: id }));
    const err = await failureOf(exec({ sql: 'SELECT 1', transactionId: id }));
    expect([err.name, err.message]).toEqual([
      'TransactionNotFoundException',
      `Transaction ${id} isn't found. Transaction has been aborted due to an error from a previous call`,
    ]);
    expect(await ids()).toEqual([]);
  });
});

describe('statement timeout', () => {
  it('cancels the statement when continueAfterTimeout is not set', async () => {
    const err = await failureOf(exec({ sql: "INSERT INTO items SELECT 50, 'late' FROM pg_sleep(5)" }));
    expect([err.name, err.message, err.$metadata?.httpStatusCode]).toEqual(['StatementTimeoutException', 'Request timed out', 400]);
    expect(typeof err.dbConnectionId).toBe('number');
    const pid = err.dbConnectionId as number;
    // Left running, the statement would stay active for five seconds; cancelled, it stops at once.
    const stopped = await eventually(async () => {
      const r = await observer.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid]);
      return r.rowCount === 0;
    }, 40);
    expect(stopped).toBe(true);
    expect(await ids()).toEqual([]);
  });

  it('lets the statement finish and commit with continueAfterTimeout', async () => {
    const err = await failureOf(exec({ sql: "INSERT INTO items SELECT 51, 'late' FROM pg_sleep(0.8)", continueAfterTimeout: true }));
    expect(err.name).toBe('StatementTimeoutException');
    expect(await ids()).toEqual([]);
    expect(await eventually(async () => (await ids()).includes(51))).toBe(true);
  });

  it('cancels a batch that runs past the timeout as a whole', async () => {
    const parameterSets = [60, 61, 62].map((id) => [{ name: 'id', value: { longValue: id } }]);
    const err = await failureOf(
      client.send(new BatchExecuteStatementCommand({ ...ARNS, sql: "INSERT INTO items SELECT :id, 'slow' FROM pg_sleep(0.3)", parameterSets })),
    );
    expect(err.name).toBe('StatementTimeoutException');
    const pid = err.dbConnectionId as number;
    const idle = await eventually(async () => {
      const r = await observer.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state <> 'idle'", [pid]);
      return r.rowCount === 0;
    }, 40);
    expect(idle).toBe(true);
    expect(await ids()).toEqual([]);
  });

  it('leaves a transaction aborted after a cancelled statement', async () => {
    const id = await begin();
    const err = await failureOf(exec({ sql: 'SELECT pg_sleep(2)', transactionId: id }));
    expect(err.name).toBe('StatementTimeoutException');
    let next: Error | undefined;
    const settled = await eventually(async () => {
      next = await failureOf(exec({ sql: 'SELECT 1', transactionId: id }));
      return next.message !== 'Transaction is still running a query';
    });
    expect(settled).toBe(true);
    expect(next?.message).toBe('ERROR: current transaction is aborted, commands ignored until end of transaction block; SQLState: 25P02');
    await rollback(id);
  });
});

describe('stats', () => {
  it('counts calls per operation', async () => {
    emulator.resetStats();
    const id = await begin();
    await exec({ sql: 'SELECT 1', transactionId: id });
    await exec({ sql: 'SELECT 2', transactionId: id });
    await client.send(new BatchExecuteStatementCommand({ ...ARNS, sql: 'SELECT :x::int', parameterSets: [[{ name: 'x', value: { longValue: 1 } }]], transactionId: id }));
    await commit(id);
    await failureOf(rollback(id));
    expect(emulator.stats()).toEqual({
      calls: { ExecuteStatement: 2, BatchExecuteStatement: 1, BeginTransaction: 1, CommitTransaction: 1, RollbackTransaction: 1 },
      openTransactions: 0,
    });
  });
});
