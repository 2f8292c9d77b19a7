// Client compatibility, Python (Debian's packages, /usr/bin/python3): psycopg 3, psycopg2,
// SQLAlchemy and Django, each with its default options, run the workload of workload.ts as a
// script printing JSON, against PostgreSQL and through both proxy modes, with the same assertions
// each way.
import { join } from 'node:path';
import { PYTHON, clientEnv, run } from '../../harness/clients.js';
import { REPO_ROOT } from '../../harness/proxy-process.js';
import { useTargets, type Target } from './targets.js';
import { ORM_INSERT, commonExpectations, compatSuite, type WorkloadResult } from './workload.js';
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
