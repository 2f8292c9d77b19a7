// Client compatibility, JavaScript: node-postgres, Postgres.js, Sequelize, TypeORM, Knex, Kysely and
// Drizzle ORM, each with its default options, run the workload of workload.ts in-process against PostgreSQL and through both
// proxy modes (dsql also with connection reuse), with the same assertions each way.
import { expect } from 'vitest';
import { useTargets } from './targets.js';
import { ORM_INSERT, commonExpectations, compatSuite, reuseServedSuite } from './workload.js';
import { DRIVER_SCHEMA } from './clients/driver-schema.js';
import { NODE_PG_TABLE, runNodePostgres } from './clients/node-postgres.js';
import { POSTGRES_JS_TABLE, runPostgresJs } from './clients/postgres-js.js';
import { SEQUELIZE_TABLE, runSequelize } from './clients/sequelize.js';
import { TYPEORM_TABLE, runTypeorm } from './clients/typeorm.js';
import { KNEX_TABLE, runKnex } from './clients/knex.js';
import { KYSELY_TABLE, runKysely } from './clients/kysely.js';
import { DRIZZLE_TABLE, runDrizzle } from './clients/drizzle.js';

const targets = useTargets();


compatSuite(
  {
    client: 'node-postgres',
    run: runNodePostgres,
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations(NODE_PG_TABLE) },
  },
  targets,
);


compatSuite(
  {
    client: 'Postgres.js',
    run: runPostgresJs,
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations(POSTGRES_JS_TABLE) },
  },
  targets,
);

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
  },
  targets,
);

compatSuite(
  {
    client: 'Knex',
    run: runKnex,
    expected: {
      schema: DRIVER_SCHEMA,
      // Knex's .unique() adds the constraint by ALTER TABLE under its own name, <table>_<column>_unique.
      ...commonExpectations(KNEX_TABLE, `${KNEX_TABLE}_vc_unique`),
    },
  },
  targets,
);

compatSuite(
  {
    client: 'Kysely',
    run: runKysely,
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations(KYSELY_TABLE) },
  },
  targets,
);

compatSuite(
  {
    client: 'Drizzle ORM',
    run: runDrizzle,
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations(DRIZZLE_TABLE) },
  },
  targets,
);

reuseServedSuite(targets);
