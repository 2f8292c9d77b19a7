// pg_dump and pg_restore (PostgreSQL 15) through the real `aurora-pg-proxy data-api` process and
// the Data API emulator: backing up and restoring a database that is reachable only through the
// Data API. The database (test/integration/fixtures/pgdump-schema.sql) is built straight in
// PostgreSQL; every dump made through the proxy is compared with the same dump made straight
// from PostgreSQL, and every restore made through the proxy is dumped straight from PostgreSQL
// and compared with the original.
//
// What may legitimately differ between two dumps is only the `\restrict` key that pg_dump 15.14+
// writes at the top and bottom of a plain dump (random unless given), so every dump here is made
// with the same --restrict-key: the dumps are then byte for byte the same.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';
import { clientEnv, run, runPsql, type RunResult } from '../harness/clients.js';
import { PG_BIN } from '../harness/postgres.js';
import type { ProxyProcess } from '../harness/proxy-process.js';

const stack = useDataApiStack();

const PG_DUMP = join(PG_BIN, 'pg_dump');
const PG_RESTORE = join(PG_BIN, 'pg_restore');
const FIXTURE = fileURLToPath(new URL('./fixtures/pgdump-schema.sql', import.meta.url));
const RESTRICT_KEY = 'AuroraPgProxyPgDumpTest';
const SOURCE_DB = 'pgdump_src';

interface Endpoint {
  host: string;
  port: number;
}

let work = '';
/** A proxy whose Data API calls run in the source database. */
let sourceProxy: ProxyProcess;

function conninfo(at: Endpoint, database: string): string {
  return `host=${at.host} port=${at.port} user=postgres dbname=${database} sslmode=disable`;
}

function direct(database: string): string {
  return conninfo(stack().db, database);
}

/** Runs a client program and insists it succeeded without a word on stderr. */
async function ok(file: string, args: string[]): Promise<string> {
  const r: RunResult = await run(file, args, { env: clientEnv(), cwd: work, timeoutMs: 60_000 });
  expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
  return r.stdout;
}

/** A plain dump to stdout. */
function dumpPlain(connection: string, options: string[] = []): Promise<string> {
  return ok(PG_DUMP, ['-d', connection, '-Fp', `--restrict-key=${RESTRICT_KEY}`, ...options]);
}

/** The SQL script pg_restore makes of an archive (custom or directory format). */
function archiveScript(archive: string): Promise<string> {
  return ok(PG_RESTORE, ['-f', '-', `--restrict-key=${RESTRICT_KEY}`, archive]);
}

async function directSql(database: string, sql: string): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client(stack().directConfig({ database }));
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** An empty database made straight in PostgreSQL, and a proxy whose calls run in it. */
async function emptyDatabaseBehindProxy(name: string): Promise<ProxyProcess> {
  await directSql('postgres', `CREATE DATABASE ${name}`);
  return stack().startProxy(['--database', name]);
}

/** The rows of a `COPY ... FROM stdin;` block of a plain dump. */
function copyRows(dump: string, table: string): number {
  const start = dump.indexOf(`\nCOPY ${table} `);
  if (start < 0) return -1;
  const from = dump.indexOf('\n', start + 1) + 1;
  // The data ends at a line holding only `\.` (the newline before it may end the COPY line).
  const end = dump.indexOf('\n\\.\n', from - 1);
  return dump.slice(from, end + 1).split('\n').length - 1;
}

let originalDump: Promise<string> | null = null;
/** The plain dump of the source database, straight from PostgreSQL: what everything must match. */
function original(): Promise<string> {
  originalDump ??= dumpPlain(direct(SOURCE_DB));
  return originalDump;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'apgp-pgdump-'));
  await directSql('postgres', `CREATE DATABASE ${SOURCE_DB}`);
  const load = await runPsql(direct(SOURCE_DB), ['-q', '-f', FIXTURE]);
  expect({ code: load.code, stderr: load.stderr }).toEqual({ code: 0, stderr: '' });
  sourceProxy = await stack().startProxy(['--database', SOURCE_DB]);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('pg_dump through the Data API proxy', () => {
  it('writes the same plain dump as straight from PostgreSQL', async () => {
    const expected = await original();
    // The comparison is between full dumps: every kind of object and all the data is there.
    for (const part of [
      'CREATE TYPE shop.order_status AS ENUM',
      'CREATE DOMAIN shop.email',
      'GENERATED ALWAYS AS IDENTITY',
      'CREATE MATERIALIZED VIEW shop.sales_by_country',
      'BEGIN ATOMIC',
      'LANGUAGE plpgsql',
      'CREATE INDEX orders_open_idx',
      'CREATE POLICY customers_vip',
      "SELECT pg_catalog.setval('shop.invoice_no', 4242, true);",
      'SELECT pg_catalog.lo_open',
      "COMMENT ON LARGE OBJECT 777001 IS 'a small blob';",
    ]) {
      expect(expected).toContain(part);
    }
    expect(copyRows(expected, 'shop.orders')).toBe(1500);
    expect(copyRows(expected, 'shop.products')).toBe(400);
    expect(copyRows(expected, 'audit."Odd Table"')).toBe(40);
    expect(copyRows(expected, 'audit.no_columns')).toBe(2);

    stack().emulator.resetStats();
    const throughProxy = await dumpPlain(conninfo(sourceProxy, SOURCE_DB));
    console.log(`pg_dump -Fp through the proxy: Data API calls ${JSON.stringify(stack().emulator.stats().calls)}`);
    // pg_dump empties search_path with `SELECT pg_catalog.set_config('search_path', '', false)`;
    // the dump records the search_path it saw, and the catalogue text depends on it.
    expect(throughProxy).toContain("SELECT pg_catalog.set_config('search_path', '', false);");
    expect(throughProxy).toBe(expected);
  });

  it('writes a custom-format archive with the same contents', async () => {
    const viaProxy = join(work, 'proxy.dump');
    const straight = join(work, 'direct.dump');
    await ok(PG_DUMP, ['-d', conninfo(sourceProxy, SOURCE_DB), '-Fc', '-f', viaProxy]);
    await ok(PG_DUMP, ['-d', direct(SOURCE_DB), '-Fc', '-f', straight]);
    const script = await archiveScript(viaProxy);
    expect(script).toBe(await archiveScript(straight));
    expect(script).toBe(await original());
  });

  it('dumps data as INSERT statements, read through a cursor (types the Data API refuses included)', async () => {
    const options = ['--column-inserts', '--rows-per-insert=50'];
    const throughProxy = await dumpPlain(conninfo(sourceProxy, SOURCE_DB), options);
    expect(throughProxy).toMatch(/INSERT INTO audit\."Odd Table" \([^)]*\) VALUES\n\t\(1, 'spaces 1', '\$1\.25'/);
    expect(throughProxy).toBe(await dumpPlain(direct(SOURCE_DB), options));
  });

  it('dumps in parallel (-Fd -j 3), the workers sharing the leader snapshot', async () => {
    const dir = join(work, 'parallel');
    await ok(PG_DUMP, ['-d', conninfo(sourceProxy, SOURCE_DB), '-Fd', '-j', '3', '-f', dir]);
    expect(await archiveScript(dir)).toBe(await original());
  });
});

describe('restoring through the Data API proxy', () => {
  it('restores the plain dump with psql -f (COPY FROM STDIN) into an empty database', async () => {
    const file = join(work, 'plain.sql');
    await ok(PG_DUMP, ['-d', conninfo(sourceProxy, SOURCE_DB), '-Fp', `--restrict-key=${RESTRICT_KEY}`, '-f', file]);
    const target = await emptyDatabaseBehindProxy('pgdump_plain');
    const restore = await runPsql(conninfo(target, 'pgdump_plain'), ['-q', '-f', file], { cwd: work });
    expect({ code: restore.code, stderr: restore.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await dumpPlain(direct('pgdump_plain'))).toBe(await original());
  });

  it('restores the custom archive with pg_restore, also in one transaction and in parallel', async () => {
    const archive = join(work, 'restore.dump');
    await ok(PG_DUMP, ['-d', conninfo(sourceProxy, SOURCE_DB), '-Fc', '-f', archive]);
    for (const [database, options] of [
      ['pgdump_custom', []],
      ['pgdump_single', ['--single-transaction']],
      ['pgdump_parallel', ['-j', '3']],
    ] as const) {
      const target = await emptyDatabaseBehindProxy(database);
      await ok(PG_RESTORE, ['-d', conninfo(target, database), '--exit-on-error', ...options, archive]);
      expect(await dumpPlain(direct(database)), database).toBe(await original());
    }
    // The large objects came back byte for byte (written with lo_create/lo_open/lowrite).
    const blobs = await directSql('pgdump_single', "SELECT oid::int8 AS oid, md5(lo_get(oid)) AS md5 FROM pg_largeobject_metadata ORDER BY oid");
    expect(blobs).toEqual(await directSql(SOURCE_DB, "SELECT oid::int8 AS oid, md5(lo_get(oid)) AS md5 FROM pg_largeobject_metadata ORDER BY oid"));
    expect(blobs).toHaveLength(2);
  });
});

describe('what the dumps exercised, one at a time', () => {
  it("answers libpq's large-object calls (fast-path FunctionCall), errors included, without hanging", async () => {
    const source = join(work, 'blob-in.bin');
    const back = join(work, 'blob-out.bin');
    await ok('/usr/bin/python3', ['-c', `open(${JSON.stringify(source)}, 'wb').write(bytes(range(256)) * 300)`]);
    const r = await runPsql(
      conninfo(sourceProxy, SOURCE_DB),
      ['-c', `\\lo_import ${source}`],
      { cwd: work, timeoutMs: 20_000 },
    );
    expect(r.stderr).toBe('');
    const oid = /lo_import (\d+)/.exec(r.stdout)?.[1];
    expect(oid).toBeDefined();
    await ok('/usr/bin/psql', ['-X', '-d', conninfo(sourceProxy, SOURCE_DB), '-c', `\\lo_export ${oid} ${back}`]);
    expect(readFileSync(back).equals(readFileSync(source))).toBe(true);
    await directSql(SOURCE_DB, `SELECT lo_unlink(${oid})`);

    // A failing call ends with ReadyForQuery like a query: psql reports it and goes on.
    const missing = await runPsql(
      conninfo(sourceProxy, SOURCE_DB),
      ['-c', `\\lo_export 4242424 ${back}`, '-c', 'select 42 as after_the_error'],
      { onErrorStop: false, cwd: work, timeoutMs: 20_000 },
    );
    expect(missing.stderr).toContain('large object 4242424 does not exist');
    expect(missing.stdout).toContain('after_the_error');
  });

  it('shows timestamptz read as text (infinity, refused columns) in the client TimeZone, in SELECTs and cursors', async () => {
    const script = [
      "SET TimeZone = 'America/New_York';",
      'SELECT "select", last_seen, first_seen, grid, price FROM audit."Odd Table" WHERE "select" <= 6 ORDER BY 1;',
      'BEGIN;',
      'DECLARE c CURSOR FOR SELECT "select", last_seen, at_local, spans, code FROM audit."Odd Table" ORDER BY 1;',
      'FETCH 4 FROM c;',
      'FETCH 3 FROM c;',
      'COMMIT;',
    ].join('\n');
    const viaProxy = await runPsql(conninfo(sourceProxy, SOURCE_DB), ['-c', script]);
    const straight = await runPsql(direct(SOURCE_DB), ['-c', script]);
    expect(straight.stdout).toContain('2000-01-02 18:59:59.999999-05');
    expect(straight.stdout).toContain('infinity');
    expect(viaProxy).toEqual(straight);
  });

  it('keeps SELECT set_config(..., false) for the session, as SET', async () => {
    // Each -c is its own query, so each statement is its own Data API call.
    const statements = ["SELECT pg_catalog.set_config('search_path', 'audit, shop', false)", 'SHOW search_path', 'SELECT count(*) FROM orders'];
    const viaProxy = await runPsql(conninfo(sourceProxy, SOURCE_DB), ['-A', '-t', ...statements.flatMap((sql) => ['-c', sql])]);
    expect(viaProxy).toEqual({ code: 0, stdout: 'audit, shop\naudit, shop\n1500\n', stderr: '' });
  });
});
