// pgJDBC (Debian's jar, the driver DBeaver and DataGrip use) through the real proxy process in
// Data API mode, against the emulator over a throwaway PostgreSQL. One Java program does
// everything (the JVM takes seconds to start); it runs twice, through the proxy and straight
// against PostgreSQL, and what it prints must match line for line where PostgreSQL's answer is
// the reference (values, DatabaseMetaData, ResultSetMetaData).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDataApiStack } from './dataapi-fixture.js';
import { REPO_ROOT } from '../harness/proxy-process.js';
import type { EmulatorStats } from '../../src/emulator/index.js';
import { keyedLines } from '../harness/marker-run.js';

const JDBC_JAR = '/usr/share/java/postgresql.jar';
const PROGRAM = join(REPO_ROOT, 'test', 'integration', 'java', 'DataApiSmoke.java');
const stack = useDataApiStack();

interface JavaRun {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: Map<string, string[]>;
  /** Emulator call counts around each executeBatch (empty for the direct run). */
  batchCalls: EmulatorStats['calls'][];
}

/**
 * Runs DataApiSmoke against one server. At BATCH_READY and BATCH_SENT the program waits for a
 * line on stdin; `around` is called there (to reset and read the emulator's counters).
 */
function runJava(url: string, around: (marker: 'BATCH_READY' | 'BATCH_SENT') => void): Promise<JavaRun> {
  return new Promise((resolve) => {
    const child = spawn(
      'java',
      // A JVM time zone other than UTC: pgJDBC then sends and reads timestamps with offsets.
      ['-Duser.timezone=Europe/Berlin', '-cp', JDBC_JAR, PROGRAM, url, `${url}&prepareThreshold=-1`],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      stdout += line + '\n';
      if (line === 'BATCH_READY' || line === 'BATCH_SENT') {
        around(line);
        child.stdin.write('go\n');
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, lines: keyedLines(stdout), batchCalls: [] });
    });
  });
}

let viaProxy: JavaRun;
let direct: JavaRun;

function values(run: JavaRun, key: string): string[] {
  const v = run.lines.get(key);
  if (!v) throw new Error(`DataApiSmoke printed no ${key}; exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return v;
}

function one(run: JavaRun, key: string): string {
  const v = values(run, key);
  expect(v, key).toHaveLength(1);
  return v[0];
}

/** Every line whose key starts with one of the prefixes, in order. */
function section(run: JavaRun, ...prefixes: string[]): string[] {
  return run.stdout.split('\n').filter((l) => prefixes.some((p) => l.startsWith(p)));
}

const total = (calls: EmulatorStats['calls']) => Object.values(calls).reduce((a, b) => a + b, 0);

const ROW_1 =
  "1|-2147483648|9223372036854775807|grüße, 'quoted' \\ back\\slash $1 :p1 ?|2024-02-29 12:34:56.123456|1999-12-31 23:59:59.999999" +
  '|-12345678901234567890.0123456789|256:true|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|true|1999-12-31|null';
const ROW_2 =
  "2|2147483647|-9223372036854775808|grüße, 'quoted' \\ back\\slash $1 :p1 ?|2024-02-29 12:34:56.123456|1999-12-31 23:59:59.999999" +
  '|-12345678901234567890.0123456789|256:true|00000000-0000-0002-0000-000000000002|false|1999-12-31|null';

describe('pgJDBC through the Data API proxy', () => {
  beforeAll(async () => {
    if (!existsSync(JDBC_JAR)) {
      throw new Error(`${JDBC_JAR} is missing: install it with \`apt-get install -y libpostgresql-jdbc-java\``);
    }
    const s = stack();
    const proxyUrl = `jdbc:postgresql://127.0.0.1:${s.proxy.port}/postgres?connectTimeout=10&socketTimeout=60`;
    const batchCalls: EmulatorStats['calls'][] = [];
    viaProxy = await runJava(proxyUrl, (marker) => {
      if (marker === 'BATCH_READY') s.emulator.resetStats();
      else batchCalls.push(s.emulator.stats().calls);
    });
    viaProxy.batchCalls = batchCalls;
    const directUrl = `jdbc:postgresql://127.0.0.1:${s.db.port}/postgres?connectTimeout=10&socketTimeout=60`;
    direct = await runJava(directUrl, () => undefined);
  }, 200_000);

  it('runs the whole program through the proxy and directly without an error', () => {
    expect(viaProxy.lines.get('ERROR'), viaProxy.stdout + viaProxy.stderr).toBeUndefined();
    expect(viaProxy.code, viaProxy.stderr).toBe(0);
    expect(one(viaProxy, 'DONE')).toBe('ok');
    expect(direct.lines.get('ERROR'), direct.stdout + direct.stderr).toBeUndefined();
    expect(one(direct, 'DONE')).toBe('ok');
    expect(one(viaProxy, 'USER')).toBe('postgres');
    expect(one(viaProxy, 'APPLICATION_NAME')).toBe('DataApiSmoke');
  });

  it('binds every setter type and reads each value back exactly', () => {
    expect(values(viaProxy, 'INSERT_TYPES')).toEqual(['1', '1']);
    expect(values(viaProxy, 'ROW')).toEqual([ROW_1, ROW_2]);
    expect(values(viaProxy, 'ROW')).toEqual(values(direct, 'ROW'));
  });

  it('keeps values exact once pgJDBC switches to a named statement with binary results', () => {
    const repeat = values(viaProxy, 'REPEAT');
    expect(repeat).toHaveLength(8);
    // Round 1 is a one-shot statement; from the second on pgJDBC uses a server-prepared one.
    expect(repeat.map((l) => l.split(':').slice(0, 2).join(':'))).toEqual([
      '1:false', '2:true', '3:true', '4:true', '5:true', '6:true', '7:true', '8:true',
    ]);
    repeat.forEach((line, i) => expect(line.slice(line.indexOf(':', 2) + 1), `round ${i + 1}`).toBe(i % 2 === 0 ? ROW_2 : ROW_1));
    expect(repeat).toEqual(values(direct, 'REPEAT'));
  });

  it('keeps values exact with prepareThreshold=-1 (binary transfer from the first execution)', () => {
    expect(one(viaProxy, 'BINARY_INSERT')).toBe('1');
    const rows = values(viaProxy, 'BINARY_ROW');
    expect(rows.slice(0, 2)).toEqual([ROW_1, ROW_2]);
    expect(rows[2]).toBe(ROW_1.replace(/^1\|-2147483648\|9223372036854775807\|/, '3|42|9007199254740993|').replace('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-0003-0000-000000000003'));
    expect(one(viaProxy, 'BINARY_EXPR')).toBe('32767|0.2|0.25000000000000000000|3.25|-9223372036854775808|2024-02-29|éx');
    expect(rows).toEqual(values(direct, 'BINARY_ROW'));
    expect(one(viaProxy, 'BINARY_EXPR')).toBe(one(direct, 'BINARY_EXPR'));
  });

  it('sends an executeBatch of 1000 inserts set-based in a handful of Data API calls', () => {
    expect(values(viaProxy, 'BATCH_STATEMENTS')).toEqual(['1000', '1000']);
    expect(values(viaProxy, 'BATCH_ROWS')).toEqual(['1000', '1000']);
    expect(values(viaProxy, 'BATCH_TABLE')).toEqual(['1000,500500,1,2024-01-01 00:16:40.0', '2000,2001000,1,2024-01-01 00:33:20.0']);
    const [first, second] = viaProxy.batchCalls;
    console.log(`Data API calls for executeBatch of 1000 inserts: first ${JSON.stringify(first)} (total ${total(first)}), second ${JSON.stringify(second)} (total ${total(second)})`);
    // pgJDBC ends its pipeline with a Sync about every 256 statements (QueryExecutorImpl.s
    // MAX_BUFFERED_RECV_BYTES / NODATA_QUERY_RESPONSE_SIZE_BYTES = 64000 / 250) and waits for the
    // answers, so 1000 rows are 4 pipelines: one set-based ExecuteStatement each (batch-route.ts).
    expect(first.BatchExecuteStatement).toBe(0);
    expect(second.BatchExecuteStatement).toBe(0);
    // setTimestamp binds an untyped parameter, so before the first batch pgJDBC asks for a
    // Describe of the statement: for a plain INSERT ... VALUES the proxy answers it with one
    // catalog read (and caches it), and one more read routes the batch (cached for the session);
    // the second batch costs only its 4 set-based statements.
    expect(first.ExecuteStatement).toBeLessThanOrEqual(6);
    expect(total(first)).toBeLessThanOrEqual(6);
    expect(total(second)).toBeLessThanOrEqual(4);
  });

  it('rolls back a whole batch pipeline when one of its rows fails, as PostgreSQL does', () => {
    // Row 200 repeats row 1, inside pgJDBC's first pipeline (about 256 rows), which reaches the proxy
    // in several TCP segments: none of its rows may stay, and pgJDBC sends no further pipeline.
    expect(one(viaProxy, 'BATCH_FAIL')).toBe('23505');
    expect(one(viaProxy, 'BATCH_FAIL_TABLE')).toBe('0,0');
    expect(one(direct, 'BATCH_FAIL_TABLE')).toBe('0,0');
  });

  it('commits and rolls back with autocommit off, and recovers from an error in a transaction', () => {
    const keys = ['TX_BEFORE_COMMIT', 'TX_AFTER_COMMIT', 'TX_INSIDE', 'TX_AFTER_ROLLBACK', 'TX_ERROR', 'TX_AFTER_ERROR', 'TX_AFTER_ERROR_ROLLBACK'];
    expect(keys.map((k) => one(viaProxy, k))).toEqual(['', 'committed', '2', 'committed', '42P01', '25P02', 'committed/committed']);
    expect(section(viaProxy, 'TX_')).toEqual(section(direct, 'TX_'));
  });

  it('reads 5000 rows through a portal with fetchSize 100 inside a transaction', () => {
    expect(one(viaProxy, 'FETCH')).toBe('5000,12502500,true,a35fe7f7fe8217b4369a0af4244d1fca');
    expect(one(viaProxy, 'FETCH')).toBe(one(direct, 'FETCH'));
  });

  it('answers DatabaseMetaData getTables, getColumns, getPrimaryKeys, getIndexInfo and getImportedKeys as PostgreSQL does', () => {
    const meta = section(viaProxy, 'META_');
    expect(meta).toEqual(section(direct, 'META_'));
    // And the comparison is not vacuous:
    expect(meta).toContain('META_TABLES=null|public|dapi_types|TABLE|one column per JDBC setter|||||');
    expect(meta).toContain('META_PK_dapi_types=null|public|dapi_types|id|1|dapi_types_pkey');
    expect(meta).toContain('META_INDEXES_dapi_types=null|public|dapi_types|t|null|dapi_types_l_idx|3|1|l|D|0|1|null');
    expect(meta).toContain('META_COLUMNS_dapi_types=null|public|dapi_types|amount|2|numeric|30|null|10|10|1|exact money|null|null|null|30|7|YES|null|null|null|null|NO|NO');
    expect(meta).toContain(
      "META_COLUMNS_dapi_child=null|public|dapi_child|id|4|serial|10|null|0|10|0|null|nextval('dapi_child_id_seq'::regclass)|null|null|10|1|NO|null|null|null|null|YES|NO",
    );
    expect(meta).toContain('META_IMPORTED_dapi_child=null|public|dapi_types|id|null|public|dapi_child|type_id|1|3|0|dapi_child_type_id_fkey|dapi_types_pkey|7');
    expect(one(viaProxy, 'META_TABLES_ROWS')).toBe('14');
  });

  it('describes result columns (ResultSetMetaData) as PostgreSQL does', () => {
    const rsmd = values(viaProxy, 'RSMD');
    expect(rsmd).toHaveLength(24);
    expect(rsmd).toEqual(values(direct, 'RSMD'));
    expect(rsmd).toContain('f|2|numeric|10|2|java.math.BigDecimal|12');
    expect(rsmd).toContain('r|2003|_int4|10|0|java.sql.Array|11');
    expect(rsmd).toContain('col_amount|2|numeric|30|10|java.math.BigDecimal|32');
    expect(one(viaProxy, 'RSMD_VALUES')).toBe(one(direct, 'RSMD_VALUES'));
  });

  it('reports errors with their SQLSTATE and stays usable', () => {
    expect(one(viaProxy, 'MISSING_TABLE')).toBe(one(direct, 'MISSING_TABLE'));
    expect(one(viaProxy, 'MISSING_TABLE')).toMatch(/^42P01 ERROR: relation "dapi_missing_table" does not exist\s+Position: 15$/);
    expect(one(viaProxy, 'DUPLICATE')).toBe('23505');
    expect(one(viaProxy, 'AFTER_ERROR')).toBe('still usable');
  });
});
