// psycopg 3 (Debian's python3-psycopg, on libpq) through the real proxy process in Data API mode,
// against the emulator over a throwaway PostgreSQL. One Python script does the work and prints
// JSON; it runs through the proxy and straight against PostgreSQL, and both must print the same.
import { join } from 'node:path';
import { requirePsycopg, runPython } from '../harness/clients.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDataApiStack } from './dataapi-fixture.js';
import { REPO_ROOT } from '../harness/proxy-process.js';

const SCRIPT = join(REPO_ROOT, 'test', 'integration', 'python', 'dataapi_smoke.py');
const stack = useDataApiStack();

type Output = Record<string, unknown>;



async function runSmoke(conninfo: string): Promise<Output> {
  const r = await runPython([SCRIPT, conninfo]);
  let out: Output;
  try {
    out = JSON.parse(r.stdout) as Output;
  } catch {
    throw new Error(`dataapi_smoke.py printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  expect(out.error, JSON.stringify(out)).toBeUndefined();
  expect(r.code, r.stderr).toBe(0);
  return out;
}

let viaProxy: Output;
let direct: Output;

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');

const TYPES = [
  [
    1,
    2 ** 40 + 1,
    '0.1',
    'Decimal:-12345678901234567890.0123456789',
    "grüße, 'quoted' \\ $1 :p1 %",
    `bytes:${ALL_BYTES}`,
    'date:1999-12-31',
    'instant:2024-02-29T11:34:56.123456+00:00',
    'uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    { a: [1, '2.5', null], b: 'ü' },
    [1, 2, 3],
    ['x', 'y z', null, 'q"uote'],
  ],
  [2, -(2 ** 31), '-1.5e+300', 'Decimal:1E-10', '', 'bytes:', 'date:2024-02-29', 'instant:1970-01-01T00:00:00+00:00', 'uuid:00000000-0000-0000-0000-000000000002', [], [], []],
  [3, null, null, null, null, null, null, null, null, null, null, null],
];

describe('psycopg 3 through the Data API proxy', () => {
  beforeAll(async () => {
    await requirePsycopg();
    const s = stack();
    viaProxy = await runSmoke(`host=127.0.0.1 port=${s.proxy.port} user=postgres dbname=postgres connect_timeout=10`);
    direct = await runSmoke(`host=127.0.0.1 port=${s.db.port} user=postgres dbname=postgres connect_timeout=10`);
  }, 150_000);

  it('prints exactly what it prints against PostgreSQL', () => {
    expect(viaProxy).toEqual(direct);
    expect(viaProxy.psycopg).toMatch(/^3\./);
    expect(viaProxy.user).toBe('postgres');
    expect(viaProxy.server_version).toBeGreaterThanOrEqual(150000);
    expect(viaProxy.application_name).toBe('dataapi_smoke');
  });

  it('binds and reads back int, float, Decimal, str, bytes, date, datetime with tz, uuid, Json and lists', () => {
    expect(viaProxy.types).toEqual(TYPES);
    expect(viaProxy.expressions).toEqual([42, 'hi!', 'Decimal:1.50', 'date:2024-02-29']);
    expect(viaProxy.json_fields).toEqual([[1, '2.5', null], 'ü']);
    expect(viaProxy.jsonb).toEqual({ k: [true, null] });
  });

  it('runs executemany, a rolled-back transaction and server-side prepared statements', () => {
    expect(viaProxy.executemany_rowcount).toBe(200);
    expect(viaProxy.many).toEqual([200, 20100, 'Decimal:5025.00', 'item 99']);
    expect([viaProxy.inside_tx, viaProxy.tx_status_inside, viaProxy.after_rollback, viaProxy.tx_status_after]).toEqual([1, 'INTRANS', 0, 'IDLE']);
    expect(viaProxy.prepared).toEqual([
      ['item 10', 'Decimal:2.50'],
      ['item 20', 'Decimal:5.00'],
      ['item 30', 'Decimal:7.50'],
    ]);
    // prepared_max = 2 makes psycopg send DEALLOCATE for the statements it evicts.
    expect(viaProxy.prepared_evicted).toEqual([1, 2, 3, 2, 3, 4]);
  });

  it('reads through a named server-side cursor in a transaction', () => {
    expect(viaProxy.server_cursor).toEqual({ first: [1, 'item 1'], page: 50, rest: 149, sum: 20100, last: [200, 'item 200'] });
  });

  it('reads binary results and sends binary parameters', () => {
    expect(viaProxy.binary_types).toEqual(TYPES);
    expect(viaProxy.binary_params).toEqual([
      2 ** 41,
      '0.1',
      'Decimal:-1.25',
      'bin ü',
      'bytes:00ff',
      'instant:2024-01-01T00:00:00+00:00',
      'uuid:00000000-0000-0000-0000-000000000007',
    ]);
  });

  it('copies rows in with write_row and out with COPY TO STDOUT', () => {
    expect(viaProxy.copy_in_rowcount).toBe(500);
    expect(viaProxy.copy_in_table).toEqual([500, 125250, 166, 'local:2024-01-01T08:20:00']);
    expect(viaProxy.copy_out_text).toBe(
      "1\tname\\t1\\n'x'\\\\\t2024-01-01 00:01:00\t\\\\x0100\t\\N\n" +
        "2\tname\\t2\\n'x'\\\\\t2024-01-01 00:02:00\t\\\\x0200\t\\N\n" +
        "3\tname\\t3\\n'x'\\\\\t2024-01-01 00:03:00\t\\\\x0300\tthree\n",
    );
    expect(viaProxy.copy_out_csv_lines).toBe(1001); // a header and 500 rows, each name holding a newline
    expect(viaProxy.copy_out_csv_head).toEqual(['id,name,at,data,note', '1,"name\t1']);
    expect(viaProxy.copy_out_rows).toEqual([[1, 'x']]);
  });

  it('raises psycopg.errors classes with SQLSTATE, message and position', () => {
    expect(viaProxy.errors).toEqual({
      undefined_table: { class: 'UndefinedTable', sqlstate: '42P01', message: 'relation "py_missing" does not exist', position: '15' },
      undefined_column: { class: 'UndefinedColumn', sqlstate: '42703', message: 'column "nope" does not exist', position: '8' },
      syntax: { class: 'SyntaxError', sqlstate: '42601', message: 'syntax error at or near "where"', position: '13' },
      division: { class: 'DivisionByZero', sqlstate: '22012', message: 'division by zero', position: null },
      unique: { class: 'UniqueViolation', sqlstate: '23505', message: 'duplicate key value violates unique constraint "py_many_pkey"', position: null },
      in_failed_tx: {
        class: 'InFailedSqlTransaction',
        sqlstate: '25P02',
        message: 'current transaction is aborted, commands ignored until end of transaction block',
        position: null,
      },
    });
    expect(viaProxy.usable_after_errors).toBe('still usable');
  });
});
