// Client compatibility, Java: pgJDBC (Debian's jar, the driver DBeaver and DataGrip use) with its
// default options runs the workload of workload.ts, plus the ResultSetMetaData IDEs read, against
// PostgreSQL and through both proxy modes (dsql also with connection reuse), with the same
// assertions each way. One program run per target (the JVM takes seconds to start).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { clientEnv, run } from '../../harness/clients.js';
import { REPO_ROOT } from '../../harness/proxy-process.js';
import { jdbcUrl, useTargets, type Target } from './targets.js';
import { commonExpectations, compatSuite, reuseServedSuite, type WorkloadResult } from './workload.js';
import { DRIVER_SCHEMA } from './clients/driver-schema.js';

const JDBC_JAR = '/usr/share/java/postgresql.jar';
const PROGRAM = join(REPO_ROOT, 'test', 'integration', 'compat', 'clients', 'CompatJdbc.java');
const TABLE = 'compat_jdbc';
const targets = useTargets();

// Compiled once with javac for the runs on every target (launching the source compiles it every time).
const classesDir = mkdtempSync(join(tmpdir(), 'apgp-compat-jdbc-'));
afterAll(() => rmSync(classesDir, { recursive: true, force: true }));
let compiled: Promise<void> | undefined;

function compile(): Promise<void> {
  compiled ??= run('javac', ['-cp', JDBC_JAR, '-d', classesDir, PROGRAM], { env: clientEnv(), timeoutMs: 120_000 }).then((r) => {
    if (r.code !== 0) throw new Error(`javac CompatJdbc.java failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  });
  return compiled;
}

async function runJdbc(target: Target): Promise<WorkloadResult> {
  await compile();
  const classpath = `${JDBC_JAR}:${classesDir}`;
  const r = await run('java', ['-cp', classpath, 'CompatJdbc', jdbcUrl(target), TABLE], { env: clientEnv(), timeoutMs: 120_000 });
  try {
    return JSON.parse(r.stdout) as WorkloadResult;
  } catch {
    throw new Error(`CompatJdbc printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}


compatSuite(
  {
    client: 'pgJDBC',
    prerequisite: async () => {
      if (!existsSync(JDBC_JAR)) throw new Error(`${JDBC_JAR} is missing: install it with \`apt-get install -y libpostgresql-jdbc-java\``);
    },
    run: runJdbc,
    expected: {
      schema: DRIVER_SCHEMA,
      ...commonExpectations(TABLE),
      // id and vc come from the table (id NOT NULL and serial), doubled is computed.
      metadata: {
        tables: [TABLE, TABLE, ''],
        nullable: [0, 1, 2],
        autoIncrement: [true, false, false],
        types: ['serial', 'varchar', 'int4'],
      },
    },
  },
  targets,
);

reuseServedSuite(targets);
