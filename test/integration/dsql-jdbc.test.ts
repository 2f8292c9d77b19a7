// pgJDBC (Debian's jar, the driver DBeaver and DataGrip use) through the real proxy process and
// the DSQL stand-in. One Java program does everything, because the JVM takes seconds to start.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDsqlStack } from './dsql-fixture.js';
import { REPO_ROOT } from '../harness/proxy-process.js';

const JDBC_JAR = '/usr/share/java/postgresql.jar';
const PROGRAM = join(REPO_ROOT, 'test', 'integration', 'java', 'DsqlSmoke.java');
const stack = useDsqlStack();

function runJava(url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'java',
      ['-cp', JDBC_JAR, PROGRAM, url],
      { timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** KEY=value lines; repeated keys keep every value in order. */
function parseLines(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

describe('pgJDBC through the DSQL proxy', () => {
  it('connects without a password, binds every setter type, batches, commits and reads metadata', async () => {
    if (!existsSync(JDBC_JAR)) {
      throw new Error(`${JDBC_JAR} is missing: install it with \`apt-get install -y libpostgresql-jdbc-java\``);
    }
    const url = `jdbc:postgresql://127.0.0.1:${stack().proxy.port}/postgres?sslmode=require&connectTimeout=10&socketTimeout=30`;
    const r = await runJava(url);
    const out = parseLines(r.stdout);
    const one = (key: string) => {
      const values = out.get(key);
      if (!values) throw new Error(`DsqlSmoke printed no ${key}; exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      return values.length === 1 ? values[0] : values.join('\n');
    };
    expect(out.get('ERROR'), r.stdout + r.stderr).toBeUndefined();
    expect(r.code, r.stderr).toBe(0);
    expect(one('DONE')).toBe('ok');

    expect(one('USER')).toBe('postgres');
    expect(one('APPLICATION_NAME')).toBe('DsqlSmoke');

    expect(one('INSERT_TYPES')).toBe('1');
    expect(one('ROW_ID')).toBe('1');
    expect(one('ROW_BIG')).toBe('9007199254740993');
    expect(one('ROW_NAME')).toBe("grüße, 'quoted'");
    expect(one('ROW_AT')).toBe('2024-02-29 12:34:56.789');
    expect(one('ROW_AMOUNT')).toBe('12345678.9012');
    expect(one('ROW_FLAG')).toBe('true');
    expect(one('ROW_DATA')).toBe('0001feff');

    expect(one('BATCH_STATEMENTS')).toBe('100');
    expect(one('BATCH_ROWS')).toBe('100');
    expect(one('BATCH_TABLE')).toBe('100,5050,row 99');
    expect(one('REPEATED')).toBe('row 10|row 20|row 30|row 40|row 50|row 60|row 70|row 80');
    expect(one('TX_VISIBLE')).toBe('committed');

    expect(one('DB_PRODUCT')).toBe('PostgreSQL');
    expect(out.get('TABLE')).toEqual([
      'public.jdbc_batch,TABLE,null',
      'public.jdbc_types,TABLE,values of every JDBC setter',
    ]);
    expect(out.get('COLUMN')).toEqual([
      '1,id,int4,4,10,NO',
      '2,big,int8,-5,19,NO',
      '3,name,text,12,2147483647,YES',
      '4,at,timestamp,93,29,YES',
      '5,amount,numeric,2,12,YES',
      '6,flag,bool,-7,1,YES',
      '7,data,bytea,-2,2147483647,YES',
    ]);
    expect(one('PRIMARY_KEY')).toBe('id,jdbc_types_pkey');
    expect(one('MISSING_TABLE')).toBe('42P01');
    expect(one('AFTER_ERROR')).toBe('still usable');
  });
});
