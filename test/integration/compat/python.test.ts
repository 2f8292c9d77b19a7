// Client compatibility, Python (Debian's packages, /usr/bin/python3): psycopg 3, psycopg2,
// SQLAlchemy, Django and asyncpg, each with its default options, run the workload of workload.ts as a
// script printing JSON, against PostgreSQL and through both proxy modes (dsql also with connection
// reuse), with the same assertions each way.
import { join } from 'node:path';
import { PYTHON, clientEnv, run } from '../../harness/clients.js';
import { REPO_ROOT } from '../../harness/proxy-process.js';
import { useTargets, type Target } from './targets.js';
import { ORM_INSERT, commonExpectations, compatSuite, reuseServedSuite, type WorkloadResult } from './workload.js';
import { DRIVER_SCHEMA } from './clients/driver-schema.js';

const CLIENTS_DIR = join(REPO_ROOT, 'test', 'integration', 'compat', 'clients');
const targets = useTargets();

/** Fails with the Debian package to install when a module is missing (a missing client is a failure). */
function requireModule(module: string, debianPackage: string): () => Promise<void> {
  return async () => {
    const probe = await run(PYTHON, ['-c', `import ${module}`], { env: clientEnv({ PYTHONDONTWRITEBYTECODE: '1' }) });
    if (probe.code !== 0) {
      throw new Error(`${PYTHON} cannot import ${module} (install it with \`apt-get install -y ${debianPackage}\`): ${probe.stderr}`);
    }
  };
}

function runScript(script: string): (target: Target) => Promise<WorkloadResult> {
  return async (target) => {
    const r = await run(PYTHON, [join(CLIENTS_DIR, script), JSON.stringify(target)], {
      env: clientEnv({ PYTHONDONTWRITEBYTECODE: '1' }),
      timeoutMs: 120_000,
    });
    try {
      return JSON.parse(r.stdout) as WorkloadResult;
    } catch {
      throw new Error(`${script} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
  };
}


compatSuite(
  {
    client: 'psycopg 3',
    prerequisite: requireModule('psycopg', 'python3-psycopg'),
    run: runScript('psycopg3_workload.py'),
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations('compat_psycopg3') },
  },
  targets,
);

compatSuite(
  {
    client: 'psycopg2',
    prerequisite: requireModule('psycopg2', 'python3-psycopg2'),
    run: runScript('psycopg2_workload.py'),
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations('compat_psycopg2') },
  },
  targets,
);

compatSuite(
  {
    client: 'SQLAlchemy',
    prerequisite: requireModule('sqlalchemy, psycopg2', 'python3-sqlalchemy python3-psycopg2'),
    run: runScript('sqlalchemy_workload.py'),
    expected: {
      schema: DRIVER_SCHEMA,
      ...commonExpectations('compat_sqlalchemy'),
      insert: ORM_INSERT,
      unique: { sqlstate: '23505', error: 'IntegrityError', after: 1 },
    },
  },
  targets,
);

compatSuite(
  {
    client: 'Django',
    prerequisite: requireModule('django, psycopg2', 'python3-django python3-psycopg2'),
    run: runScript('django_workload.py'),
    expected: {
      schema: DRIVER_SCHEMA,
      ...commonExpectations('compat_django'),
      insert: ORM_INSERT,
      unique: { sqlstate: '23505', error: 'IntegrityError', after: 1 },
      // Rows 1 and 3 (the committed one); 2 was deleted, 4 rolled back, 5 refused.
      iterator: [1, 3],
    },
  },
  targets,
);

// asyncpg's own steps (asyncpg_workload.py): what PostgreSQL returns, asyncpg's values shown by
// their str/repr; through each proxy the same.
const ASYNCPG_STEPS = {
    many_types: {"text": "grüße", "numeric": "-12345678901234567890.000123", "timestamptz": "2024-02-29 12:34:56.789000+00:00", "uuid": "UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')", "jsonb": "{\"a\": [1, 2]}", "int[]": [1, null, 3], "bytea": "b'\\x00\\x01\\xff'", "date": "1999-12-31", "interval": "-3 days, 4:05:06.000789", "inet": "192.168.0.1/24", "cidr": "2001:db8::/32", "\"char\"": "b'x'", "macaddr": "08:00:2b:01:02:03", "bit varying": "<BitString 1011 0>", "int4range": "<Range [1, 10)>", "tstzrange": "<Range [datetime.datetime(2020, 1, 1, 0, 0, tzinfo=datetime.timezone.utc), )>", "numrange[]": ["<Range [Decimal('1.5'), Decimal('2.5')]>", "<Range empty>"], "circle": [["1.5", "-2.0"], "3.0"], "path": {"closed": true, "points": [["0.0", "0.0"], ["1.0", "1.0"]]}, "line": ["1.0", "-1.0", "0.0"], "pg_lsn": 97500059720, "xid": 12345, "tid": [7, 3], "interval[]": ["1 day, 0:00:00", null], "time": "23:59:59.999999", "float8": "-inf"},
    parameters_as_text: {"text": "grüße", "numeric": "-12345678901234567890.000123", "timestamptz": "2024-02-29 12:34:56.789+00", "uuid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "jsonb": "{\"a\": [1, 2]}", "int[]": "{1,NULL,3}", "bytea": "\\x0001ff", "date": "1999-12-31", "interval": "-3 days +04:05:06.000789", "inet": "192.168.0.1/24", "cidr": "2001:db8::/32", "\"char\"": "x", "macaddr": "08:00:2b:01:02:03", "bit varying": "10110", "int4range": "[1,10)", "tstzrange": "[\"2020-01-01 00:00:00+00\",)", "numrange[]": "{\"[1.5,2.5]\",empty}", "circle": "<(1.5,-2),3>", "path": "((0,0),(1,1))", "line": "{1,-1,0}", "pg_lsn": "16/B374D848", "xid": "12345", "tid": "(7,3)", "interval[]": "{\"1 day\",NULL}", "time": "23:59:59.999999", "float8": "-Infinity"},
    executemany: [["many 1", 1], ["many 2", 2], ["many 3", null]],
    cursor: {"iterated": [1, 2, 4, 5, 7], "first": [[1, "1.5"], [2, "3.0"], [3, "4.5"]], "one": 4, "moved": 2, "rest": [7, 8, 9, 10], "past_end": 0},
    prepared: {"columns": ["twice", "label"], "params": ["int4", "text"], "rows": [[0, "n0"], [2, "n1"], [4, "n2"]]},
    error: {"sqlstate": "22012", "class": "DivisionByZeroError", "after": 2},
    introspection: {"mood": "happy", "positive": 7, "moods": ["sad", "happy"], "check": "23514"},
    copy_out: {"status": "COPY 5", "rows": ["committed,", "many 1,1", "many 2,2", "many 3,", "varchar value,2147483647"]},
    copy_in: {"status": "COPY 2", "rows": [["copied 1", 1, "1:00:00"], ["copied 2", null, null]]},
    copy_records: {"status": "COPY 2", "rows": [["record 1", -5, "-1.2500", "2024-01-02 03:04:05.000006+00:00", "-1 day, 0:00:05", "b'\\x00\\\\\\n'", [1, null], ["a\tb", null, ""], "UUID('00000000-0000-0000-0000-000000000007')", false, "-inf"], ["record 2", null, null, null, null, null, null, null, null, null, null]]},
};

compatSuite(
  {
    client: 'asyncpg',
    prerequisite: requireModule('asyncpg', 'python3-asyncpg'),
    run: runScript('asyncpg_workload.py'),
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations('compat_asyncpg'), ...ASYNCPG_STEPS },
  },
  targets,
);

reuseServedSuite(targets);
