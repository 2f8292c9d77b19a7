import { describe, expect, it } from 'vitest';
import { isSingleRowInsert } from '../../src/dataapi/session/batching.js';

describe('isSingleRowInsert', () => {
  it('accepts single-row VALUES inserts', () => {
    expect(isSingleRowInsert('INSERT INTO t (a, b) VALUES ($1, $2)')).toBe(true);
    expect(isSingleRowInsert('insert into "T" values ($1, lower($2), (select 1))')).toBe(true);
    expect(isSingleRowInsert('INSERT INTO t VALUES ($1);')).toBe(true);
  });

  it('refuses inserts whose row count is not always one or that return rows', () => {
    expect(isSingleRowInsert('INSERT INTO t VALUES ($1), ($2)')).toBe(false);
    expect(isSingleRowInsert('INSERT INTO t SELECT $1')).toBe(false);
    expect(isSingleRowInsert('INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING')).toBe(false);
    expect(isSingleRowInsert('INSERT INTO t VALUES ($1) RETURNING id')).toBe(false);
    expect(isSingleRowInsert('INSERT INTO t DEFAULT VALUES')).toBe(false);
    expect(isSingleRowInsert('UPDATE t SET a = $1')).toBe(false);
    expect(isSingleRowInsert('WITH x AS (SELECT 1) INSERT INTO t VALUES ($1)')).toBe(false);
  });
});
