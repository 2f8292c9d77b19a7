// The rewrite of a single-row INSERT ... VALUES into an INSERT ... SELECT over the JSON rows of a
// pipelined batch (sql/set-based-insert.ts, session/set-based-insert-sql.ts).
import { describe, expect, it } from 'vitest';
import { parseSingleRowInsert } from '../../../src/dataapi/sql/set-based-insert.js';
import { setBasedInsertSql } from '../../../src/dataapi/session/set-based-insert-sql.js';

const source = (columns: string, names: string) =>
  `FROM ROWS FROM (pg_catalog.json_to_recordset(CAST(:rows AS pg_catalog.json)) AS (${columns})) ` +
  `WITH ORDINALITY AS apgp_batch_rows(${names}, apgp_batch_ordinality) ORDER BY apgp_batch_rows.apgp_batch_ordinality`;

describe('parseSingleRowInsert', () => {
  it('reads the table, columns, row and bare parameters', () => {
    expect(parseSingleRowInsert('INSERT INTO s."T" AS x (a, "B") OVERRIDING SYSTEM VALUE VALUES ($1, lower($2)) ;')).toEqual({
      table: 's."T"',
      head: 'INSERT INTO s."T" AS x (a, "B") OVERRIDING SYSTEM VALUE ',
      row: '$1, lower($2)',
      items: [1, 0],
      otherParameters: new Set([2]),
      columns: ['a', 'B'],
      functions: ['lower'],
      blocker: null,
    });
    expect(parseSingleRowInsert('insert into t values ($2, $1::int + 1, now())')).toMatchObject({ columns: null, items: [2, 0, 0], functions: ['now'] });
  });

  it('names what keeps a row from becoming a select list', () => {
    expect(parseSingleRowInsert('INSERT INTO t VALUES ($1, (SELECT max(n) FROM t))')?.blocker).toBe('a subquery in the VALUES row');
    expect(parseSingleRowInsert('INSERT INTO t (a, b) VALUES ($1, DEFAULT)')?.blocker).toBe('DEFAULT in the VALUES row');
    expect(parseSingleRowInsert('INSERT INTO t VALUES (app.f($1))')?.blocker).toBe('a schema-qualified function');
    expect(parseSingleRowInsert('INSERT INTO t VALUES (pg_catalog.lower($1))')?.blocker).toBeNull();
  });

  it('refuses other shapes', () => {
    expect(parseSingleRowInsert('INSERT INTO t VALUES ($1), ($2)')).toBeNull();
    expect(parseSingleRowInsert('INSERT INTO t VALUES ($1) RETURNING id')).toBeNull();
    expect(parseSingleRowInsert('INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING')).toBeNull();
    expect(parseSingleRowInsert('INSERT INTO t (a, b) VALUES ($1)')).toBeNull();
    expect(parseSingleRowInsert('INSERT INTO t SELECT $1')).toBeNull();
    expect(parseSingleRowInsert('WITH x AS (SELECT 1) INSERT INTO t VALUES ($1)')).toBeNull();
  });
});

describe('setBasedInsertSql', () => {
  it('puts a typed column of the row source in place of each parameter, rows in order', () => {
    const insert = parseSingleRowInsert('INSERT INTO t (n, label, at) VALUES ($1::int + 1, lower($2), now())')!;
    expect(setBasedInsertSql(insert, [{ definition: 'integer' }, { definition: 'text' }])).toBe(
      'INSERT INTO t (n, label, at) SELECT apgp_batch_rows."1"::int + 1, lower(apgp_batch_rows."2"), now() ' + source('"1" integer, "2" text', '"1", "2"'),
    );
  });

  it('reads json-like parameters as text and casts them, and keeps colons away from named parameters', () => {
    const insert = parseSingleRowInsert("INSERT INTO t VALUES ($2, $1, 'a:b', $1)")!;
    expect(setBasedInsertSql(insert, [{ definition: 'pg_catalog.text', castTo: 'jsonb' }, { definition: 'character varying' }])).toBe(
      `INSERT INTO t SELECT apgp_batch_rows."2", CAST(apgp_batch_rows."1" AS jsonb), 'a:b', CAST(apgp_batch_rows."1" AS jsonb) ` +
        source('"1" pg_catalog.text, "2" character varying', '"1", "2"'),
    );
  });
});
