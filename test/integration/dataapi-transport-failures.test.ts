// Broken connections on the way to the Data API. A small TCP relay sits between the proxy's
// Data API client (the real AWS SDK) and the emulator and, for a seeded pseudo-random share of
// requests, destroys the connection either before forwarding the request (the service never saw
// it) or after forwarding it but before the response (the service ran it). The client must
// never give a wrong answer, never lose a write it reported done, and never run a write twice:
// what may have run is reported as such, and only calls safe to repeat are repeated.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { DataApiClient, type DataApiOperation, type TransportFailure } from '../../src/dataapi/client/data-api-client.js';
import { DataApiError } from '../../src/dataapi/client/service-errors.js';
import { transportFailureOf } from '../../src/dataapi/client/transport.js';
import { isCertainlyReadOnly } from '../../src/dataapi/client/read-only.js';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, type ProxyProcess } from '../harness/proxy-process.js';
import { freePort } from '../harness/ports.js';
import { RESOURCE_ARN, SECRET_ARN } from './dataapi-fixture.js';

type Fate = 'pass' | 'drop-before' | 'drop-after';

/** A relay that breaks a chosen share of requests; one request at a time per connection (HTTP/1.1). */
class ChaosRelay {
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  readonly fates: Record<Fate, number> = { pass: 0, 'drop-before': 0, 'drop-after': 0 };
  private seed = 12345;
  url = '';
  /** Share of requests dropped before / after forwarding; 0 turns the chaos off. */
  dropBefore = 0;
  dropAfter = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<string> {
    this.server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private random(): number {
    // A fixed LCG: the same sequence of fates on every run.
    this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31;
    return this.seed / 2 ** 31;
  }

  private relay(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    const both = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', both).on('close', both);
    upstream.on('error', both).on('close', both);
    let awaitingRequest = true;
    let fate: Fate = 'pass';
    client.on('data', (chunk: Buffer) => {
      if (awaitingRequest) {
        awaitingRequest = false;
        const r = this.random();
        fate = r < this.dropBefore ? 'drop-before' : r < this.dropBefore + this.dropAfter ? 'drop-after' : 'pass';
        this.fates[fate]++;
      }
      if (fate === 'drop-before') return void client.resetAndDestroy();
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (fate === 'drop-after') return void client.resetAndDestroy();
      client.write(chunk);
      awaitingRequest = true;
    });
  }
}

describe('Data API transport failures', () => {
  let db: ThrowawayPostgres;
  let emulator: RunningEmulator;
  let relay: ChaosRelay;
  let direct: pg.Client;
  const failures: { operation: DataApiOperation; failure: TransportFailure; retried: boolean }[] = [];
  let client: DataApiClient;
  let proxy: ProxyProcess | undefined;

  beforeAll(async () => {
    db = await startPostgres();
    // A BeginTransaction repeated after its answer was lost leaves a transaction nobody knows the
    // id of; the service ends it when idle. Short here, so that such orphans free their
    // connections within the test.
    emulator = await startEmulator({ postgresUrl: db.url, credentials: TEST_CREDENTIALS, region: 'us-east-1', transactionIdleTimeoutMs: 1_500, poolSize: 20 });
    relay = new ChaosRelay({ host: '127.0.0.1', port: emulator.port });
    const url = await relay.start();
    relay.url = url;
    client = new DataApiClient(
      { resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, region: 'us-east-1', endpoint: url, credentials: async () => TEST_CREDENTIALS },
      { dataApiTransportFailure: (operation, failure, retried) => failures.push({ operation, failure, retried }) },
      { resumeWaitMs: 0, throttleAttempts: 6, baseDelayMs: 5 },
    );
    direct = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.database });
    await direct.connect();
    await direct.query('create table chaos_writes (k int not null, v text)'); // no key: a doubled write would show
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    client?.destroy();
    await direct?.end();
    await relay?.stop();
    await emulator?.stop();
    await db?.stop();
  });

  it('loses no write, doubles none, and answers every read right or not at all', async () => {
    relay.dropBefore = 0.15;
    relay.dropAfter = 0.15;
    const done = new Set<number>();
    const inDoubt = new Set<number>();
    const reads = { right: 0, failed: 0 };
    for (let k = 1; k <= 120; k++) {
      try {
        await client.execute({ sql: `INSERT INTO chaos_writes VALUES (${k}, 'autocommit')` });
        done.add(k);
      } catch (err) {
        expect(err).toBeInstanceOf(DataApiError);
        const e = err as DataApiError;
        // A write is never repeated: a broken connection after sending leaves it in doubt, said so.
        expect(e.sqlstate, e.message).toBe('08006');
        expect(e.message).toMatch(/may or may not have been applied/);
        inDoubt.add(k);
      }
      try {
        const out = await client.execute({ sql: `SELECT ${k} * 2 AS doubled, count(*) AS n FROM chaos_writes WHERE k = ${k}` });
        const [doubled, n] = out.records![0];
        expect(doubled.longValue ?? Number(doubled.stringValue)).toBe(k * 2);
        const count = Number(n.stringValue ?? n.longValue);
        if (done.has(k)) expect(count).toBe(1);
        else expect(count).toBeLessThanOrEqual(1);
        reads.right++;
      } catch (err) {
        reads.failed++;
        expect((err as DataApiError).message).toMatch(/could not reach the Data API endpoint/);
      }
    }
    const rows = await direct.query<{ k: number; n: string }>('select k, count(*) as n from chaos_writes group by k');
    const counts = new Map(rows.rows.map((r) => [r.k, Number(r.n)]));
    for (const k of done) expect(counts.get(k), `write ${k} reported done`).toBe(1);
    for (const [k, n] of counts) {
      expect(n, `write ${k} ran ${n} times`).toBe(1);
      expect(done.has(k) || inDoubt.has(k), `write ${k} reported failed yet present`).toBe(true);
    }
    // The chaos really happened, on both sides of the request, and reads were retried through it.
    expect(relay.fates['drop-before']).toBeGreaterThan(5);
    expect(relay.fates['drop-after']).toBeGreaterThan(5);
    expect(inDoubt.size).toBeGreaterThan(0);
    expect(reads.right).toBeGreaterThan(100);
    expect(failures.some((f) => f.operation === 'ExecuteStatement' && f.retried)).toBe(true);
    expect(failures.some((f) => f.operation === 'ExecuteStatement' && !f.retried)).toBe(true);
  }, 120_000);

  it('repeats BeginTransaction and RollbackTransaction, and says 08007 when a COMMIT is in doubt', async () => {
    relay.dropBefore = 0.15;
    relay.dropAfter = 0.15;
    failures.length = 0;
    const committed = new Set<number>();
    const unknown = new Set<number>();
    const notCommitted = new Set<number>();
    for (let k = 1001; k <= 1040; k++) {
      let tx: string;
      try {
        tx = await client.begin();
      } catch {
        notCommitted.add(k);
        continue;
      }
      try {
        await client.execute({ sql: `INSERT INTO chaos_writes VALUES (${k}, 'in a transaction')`, transactionId: tx });
      } catch {
        // The transaction's fate is the rollback's: nothing of it commits.
        await client.rollback(tx).catch(() => undefined);
        notCommitted.add(k);
        continue;
      }
      if (k % 5 === 0) {
        await client.rollback(tx).catch(() => undefined);
        notCommitted.add(k);
        continue;
      }
      try {
        await client.commit(tx);
        committed.add(k);
      } catch (err) {
        const e = err as DataApiError;
        if (e.sqlstate === '08007') unknown.add(k);
        else notCommitted.add(k); // refused before it was sent
        if (e.sqlstate !== '08007') expect(e.message).toMatch(/could not reach/);
      }
    }
    relay.dropBefore = 0;
    relay.dropAfter = 0;
    const rows = await direct.query<{ k: number; n: string }>('select k, count(*) as n from chaos_writes where k > 1000 group by k');
    const counts = new Map(rows.rows.map((r) => [r.k, Number(r.n)]));
    for (const k of committed) expect(counts.get(k), `transaction ${k} committed`).toBe(1);
    for (const k of notCommitted) expect(counts.get(k), `transaction ${k} not committed`).toBeUndefined();
    for (const [, n] of counts) expect(n).toBe(1);
    expect(failures.some((f) => f.operation === 'BeginTransaction' && f.retried)).toBe(true);
    expect(failures.some((f) => f.operation === 'CommitTransaction' && !f.retried)).toBe(true);
    expect(unknown.size + committed.size).toBeGreaterThan(10);
  }, 120_000);

  it("keeps a PostgreSQL client's transaction state true through the proxy: 08007 leaves no transaction, a write in doubt aborts it", async () => {
    proxy = await startProxyProcess(['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', relay.url], {
      env: isolatedAwsEnv(credentialEnv()),
    });
    const c = new pg.Client({ host: proxy.host, port: proxy.port, user: 'postgres', database: 'postgres' });
    await c.connect();
    const seen = { committed: 0, unknown: 0, aborted: 0 };
    const committed = new Set<number>();
    const notCommitted = new Set<number>();
    try {
      relay.dropBefore = 0.1;
      relay.dropAfter = 0.1;
      for (let k = 2001; k <= 2030; k++) {
        try {
          await c.query('BEGIN');
        } catch {
          notCommitted.add(k);
          continue;
        }
        try {
          await c.query(`INSERT INTO chaos_writes VALUES (${k}, 'through the proxy')`);
        } catch (err) {
          // The statement may have run, but the transaction is aborted, as PostgreSQL would have it.
          expect((err as { code?: string }).code).toMatch(/^08/);
          await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
          await c.query('ROLLBACK');
          seen.aborted++;
          notCommitted.add(k);
          continue;
        }
        try {
          await c.query('COMMIT');
          committed.add(k);
          seen.committed++;
        } catch (err) {
          const code = (err as { code?: string }).code;
          expect(code).toMatch(/^08/);
          if (code === '08007') seen.unknown++;
          else notCommitted.add(k);
        }
        // Whatever happened to the COMMIT, no transaction is open any more: a new one can begin.
        await c.query('BEGIN');
        await c.query('ROLLBACK');
      }
    } finally {
      relay.dropBefore = 0;
      relay.dropAfter = 0;
      await c.end();
    }
    const rows = await direct.query<{ k: number; n: string }>('select k, count(*) as n from chaos_writes where k > 2000 group by k');
    const counts = new Map(rows.rows.map((r) => [r.k, Number(r.n)]));
    for (const k of committed) expect(counts.get(k), `transaction ${k} committed`).toBe(1);
    for (const k of notCommitted) expect(counts.get(k), `transaction ${k} not committed`).toBeUndefined();
    expect(seen.committed).toBeGreaterThan(10);
    await proxy.waitForLog(/connection closed/);
    const closed = proxy.logRecords().filter((l) => l.msg === 'connection closed');
    // The client saw errors from the broken connections: its session is not logged as ok.
    expect(seen.aborted + seen.unknown, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(closed.at(-1)?.outcome).toBe('upstream_failure');
    expect(proxy.logRecords().some((l) => l.msg === 'connection to the Data API failed' && typeof l.operation === 'string')).toBe(true);
  }, 180_000);

  it('retries a refused connection, which never carried the request, and then says it is unreachable', async () => {
    const port = await freePort();
    const failed: TransportFailure[] = [];
    const refused = new DataApiClient(
      { resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: async () => TEST_CREDENTIALS },
      { dataApiTransportFailure: (_op, failure) => failed.push(failure) },
      { resumeWaitMs: 0, throttleAttempts: 3, baseDelayMs: 1 },
    );
    try {
      await expect(refused.execute({ sql: 'INSERT INTO chaos_writes VALUES (0)' })).rejects.toMatchObject({
        sqlstate: '08001',
        message: 'could not reach the Data API endpoint: connection refused',
      });
      await expect(refused.commit('tx')).rejects.toMatchObject({ sqlstate: '08001' });
      expect(failed.length).toBe(6);
      expect(failed.every((f) => f.code === 'ECONNREFUSED' && f.delivery === 'not-sent')).toBe(true);
    } finally {
      refused.destroy();
    }
  });
});

describe('transport failure classification', () => {
  it('tells the transport apart from the service, and what can have been sent', () => {
    expect(transportFailureOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toEqual({ code: 'ECONNREFUSED', delivery: 'not-sent' });
    expect(transportFailureOf(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toEqual({ code: 'ECONNRESET', delivery: 'maybe-sent' });
    expect(
      transportFailureOf(Object.assign(new Error('the request socket did not establish a connection with the server within the configured timeout of 10 ms.'), { name: 'TimeoutError' })),
    ).toEqual({ code: 'ECONNTIMEOUT', delivery: 'not-sent' });
    expect(transportFailureOf(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))).toBeNull();
  });

  it('counts as read-only only statements that certainly cannot write', () => {
    for (const sql of ['SELECT 1', 'select abalance from pgbench_accounts where aid = :1', 'SELECT count(*) FROM t WHERE k IN (1, 2)', 'values (1), (2)', 'SHOW TimeZone'])
      expect(isCertainlyReadOnly(sql), sql).toBe(true);
    for (const sql of [
      'INSERT INTO t VALUES (1)',
      "SELECT nextval('s')",
      'SELECT my_function()',
      'SELECT * INTO t2 FROM t',
      'SELECT * FROM t FOR UPDATE',
      'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
      'SELECT 1; DELETE FROM t',
      'SELECT "evil"(1)',
    ])
      expect(isCertainlyReadOnly(sql), sql).toBe(false);
  });
});
