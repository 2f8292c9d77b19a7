// Client compatibility, JavaScript: node-postgres, Postgres.js, Sequelize and TypeORM, each with its
// default options, run the workload of workload.ts in-process against PostgreSQL and through both
// proxy modes, with the same assertions each way.
import { useTargets } from './targets.js';
import { commonExpectations, compatSuite } from './workload.js';
import { DRIVER_SCHEMA } from './clients/driver-schema.js';
import { NODE_PG_TABLE, runNodePostgres } from './clients/node-postgres.js';

const targets = useTargets();

/** Issue 9, item 8: ErrorResponse fields n/t/s/c are lost in data-api mode. */
const ERROR_FIELDS_DEFECT = 'issue 9 #8, data-api errors lack schema/table/constraint fields (n/t/s/c)';

compatSuite(
  {
    client: 'node-postgres',
    run: runNodePostgres,
    expected: { schema: DRIVER_SCHEMA, ...commonExpectations(NODE_PG_TABLE) },
    knownDataApiDefects: { unique_fields: ERROR_FIELDS_DEFECT },
  },
  targets,
);
