// Large results read incrementally, the way each client does by default: server-side cursors
// (psycopg 3, psycopg2, SQLAlchemy's stream_results), single-row mode (psycopg 3's stream()),
// portals executed with a row limit (asyncpg, pgJDBC's fetch size, pg-cursor, pg-query-stream,
// Postgres.js, Knex). Each reads the same 5000 rows against PostgreSQL and through both proxy
// modes (dsql also with reuse), and must see every row, in order, with PostgreSQL's values, and a
// usable connection after; each also abandons a read half-way inside a transaction, which must
// then still answer and commit (the row it wrote is there after). Abandoning psycopg 3's stream
// sends a cancel request: psycopg 3 also sends one while idle and then a statement, which must
// run; node-postgres sends one while its cursor sits between two reads, which PostgreSQL ignores.
import { afterAll } from 'vitest';
import { useTargets } from './targets.js';
import { compatSuite, reuseServedSuite } from './workload.js';
import { expectedPartial, expectedSummary } from './clients/streaming/rows.js';
import { jdbcProgram, pythonScript, requireJdbc, requirePythonModules } from './clients/streaming/programs.js';
import { runNodePostgresStreaming } from './clients/streaming/node-postgres.js';
import { runPostgresJsStreaming } from './clients/streaming/postgres-js.js';
import { runKnexStreaming } from './clients/streaming/knex.js';

const targets = useTargets();
/** Most of a streaming run is waiting (Data API calls, the DSQL stand-in): a client's targets run at once. */
const AT_ONCE = { atOnce: true };

/** Every row read, then `select 1` on the same connection. */
const READ = { ...expectedSummary(), after: 1 };
/** Half the rows read and the rest abandoned; `select 1` in the transaction, which commits its row. */
const ABANDONED = { ...expectedPartial(), after: 1, committed: 1 };

compatSuite(
  {
    client: 'psycopg 3',
    prerequisite: requirePythonModules('psycopg', 'python3-psycopg'),
    run: pythonScript('psycopg3_streaming.py'),
    expected: {
      setup: null,
      named: READ,
      stream: READ,
      named_abandoned: ABANDONED,
      stream_abandoned: ABANDONED,
      // libpq's cancel returns once the server has taken the request: the statement after it runs.
      statement_after_cancel: 1,
    },
  },
  targets,
  AT_ONCE,
);

compatSuite(
  {
    client: 'psycopg2',
    prerequisite: requirePythonModules('psycopg2', 'python3-psycopg2'),
    run: pythonScript('psycopg2_streaming.py'),
    expected: { setup: null, named: READ, named_abandoned: ABANDONED },
  },
  targets,
  AT_ONCE,
);

compatSuite(
  {
    client: 'SQLAlchemy',
    prerequisite: requirePythonModules('sqlalchemy, psycopg2', 'python3-sqlalchemy python3-psycopg2'),
    run: pythonScript('sqlalchemy_streaming.py'),
    expected: { setup: null, stream_results: READ, stream_results_abandoned: ABANDONED },
  },
  targets,
  AT_ONCE,
);

compatSuite(
  {
    client: 'asyncpg',
    prerequisite: requirePythonModules('asyncpg', 'python3-asyncpg'),
    run: pythonScript('asyncpg_streaming.py'),
    expected: { setup: null, cursor: READ, cursor_abandoned: ABANDONED },
  },
  targets,
  AT_ONCE,
);

const jdbc = jdbcProgram();
afterAll(() => jdbc.cleanup());
compatSuite(
  {
    client: 'pgJDBC',
    prerequisite: requireJdbc,
    run: (target) => jdbc.run(target),
    expected: { setup: null, fetch_size: READ, fetch_size_abandoned: ABANDONED },
  },
  targets,
  AT_ONCE,
);

compatSuite(
  {
    client: 'node-postgres',
    run: runNodePostgresStreaming,
    expected: {
      setup: null,
      cursor: READ,
      cursor_abandoned: ABANDONED,
      // The cancel arrived while no statement ran: PostgreSQL ignores it, the read goes on.
      cursor_cancelled_between_reads: { ...READ, commit: 'COMMIT' },
      query_stream: READ,
      query_stream_abandoned: ABANDONED,
    },
  },
  targets,
  AT_ONCE,
);

compatSuite(
  {
    client: 'Postgres.js',
    run: runPostgresJsStreaming,
    expected: { setup: null, cursor: READ, cursor_abandoned: ABANDONED },
  },
  targets,
  AT_ONCE,
);

compatSuite(
  {
    client: 'Knex',
    run: runKnexStreaming,
    expected: { setup: null, stream: READ, stream_abandoned: ABANDONED },
  },
  targets,
  AT_ONCE,
);

reuseServedSuite(targets);
