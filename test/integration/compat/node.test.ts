// Client compatibility, JavaScript: node-postgres, Postgres.js, Sequelize and TypeORM, each with its
// default options, run the workload of workload.ts in-process against PostgreSQL and through both
// proxy modes, with the same assertions each way.
import { expect } from 'vitest';
import { useTargets } from './targets.js';
import { TYPED_ROW, commonExpectations, compatSuite } from './workload.js';
import { DRIVER_SCHEMA } from './clients/driver-schema.js';
import { NODE_PG_TABLE, runNodePostgres } from './clients/node-postgres.js';
import { POSTGRES_JS_TABLE, runPostgresJs } from './clients/postgres-js.js';
import { SEQUELIZE_TABLE, runSequelize } from './clients/sequelize.js';
import { TYPEORM_TABLE, runTypeorm } from './clients/typeorm.js';

const targets = useTargets();

/** Issue 9, item 8: ErrorResponse fields n/t/s/c are lost in data-api mode. */
const ERROR_FIELDS_DEFECT = 'issue 9 #8, data-api errors lack schema/table/constraint fields (n/t/s/c)';
/**
 * Issue 9, item 1: data-api mode answers a statement Describe by running the statement with NULLs
 * in a rolled-back transaction, which consumes a sequence value each time (ids 2 and 4, not 1 and 2).
 */
const DESCRIBE_RUNS_DML_DEFECT = 'issue 9 #1, data-api Describe executes the DML (sequence values consumed)';

compatSuite(
  {
    client: 'node-postgres',
    run: runNodePostgres,
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations(NODE_PG_TABLE) },
    knownDataApiDefects: { unique_fields: ERROR_FIELDS_DEFECT },
  },
  targets,
);


compatSuite(
  {
    client: 'Postgres.js',
    run: runPostgresJs,
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations(POSTGRES_JS_TABLE) },
    knownDataApiDefects: { insert: DESCRIBE_RUNS_DML_DEFECT, unique_fields: ERROR_FIELDS_DEFECT },
  },
  targets,
);

/** What an ORM's insert step returns: the ids of the two rows and the text of the first. */
const ORM_INSERT = { first: { id: 1, t: TYPED_ROW.t }, second: { id: 2 } };

/** Issue 9, item 2: data-api refuses Sequelize's connection set-up (`SET TIME ZONE INTERVAL ...`). */
const SEQUELIZE_TIMEZONE_DEFECT = "issue 9 #2, data-api refuses SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE";

compatSuite(
  {
    client: 'Sequelize',
    run: runSequelize,
    expected: {
      // sync() adds the timestamps Sequelize keeps by default.
      schema: [...DRIVER_SCHEMA, ['createdAt', 'timestamptz'], ['updatedAt', 'timestamptz']],
      ...commonExpectations(SEQUELIZE_TABLE),
      insert: ORM_INSERT,
      unique: { sqlstate: '23505', error: 'SequelizeUniqueConstraintError', after: 1 },
    },
    knownDataApiDefects: Object.fromEntries(
      ['schema', 'insert', 'types', 'nulls', 'update', 'delete', 'commit', 'rollback', 'unique', 'unique_fields'].map((s) => [s, SEQUELIZE_TIMEZONE_DEFECT]),
    ),
  },
  targets,
);

compatSuite(
  {
    client: 'TypeORM',
    run: runTypeorm,
    expected: {
      schema: DRIVER_SCHEMA,
      ...commonExpectations(TYPEORM_TABLE, expect.stringMatching(/^UQ_[0-9a-f]{20,}$/)),
      insert: ORM_INSERT,
      unique: { sqlstate: '23505', error: 'QueryFailedError', after: 1 },
    },
    knownDataApiDefects: { unique_fields: ERROR_FIELDS_DEFECT },
  },
  targets,
);
