import { describe, expect, it } from 'vitest';
import { parseInsertShape } from '../../src/dataapi/session/insert-param-types.js';

describe('parseInsertShape', () => {
  it('reads the table, the target columns and which VALUES items are bare parameters', () => {
    const shape = parseInsertShape('INSERT INTO public."Orders" (id, "Note", qty) VALUES ($1, $2, $3 + 1)');
    expect(shape?.table).toBe('public."Orders"');
    expect(shape?.columns).toEqual(['id', 'Note', 'qty']);
    expect(shape?.items).toEqual([1, 2, 0]);
    expect([...(shape?.otherParameters ?? [])]).toEqual([3]);
  });

  it('takes the table columns in order when none are listed', () => {
    const shape = parseInsertShape('insert into t values ($2, $1)');
    expect(shape?.columns).toBeNull();
    expect(shape?.items).toEqual([2, 1]);
  });

  it('refuses every other shape', () => {
    for (const sql of [
      'INSERT INTO t SELECT $1',
      'INSERT INTO t VALUES ($1), ($2)',
      'INSERT INTO t VALUES ($1) RETURNING id',
      'INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING',
      'INSERT INTO t DEFAULT VALUES',
      'UPDATE t SET a = $1',
      'WITH x AS (SELECT 1) INSERT INTO t VALUES ($1)',
    ]) {
      expect(parseInsertShape(sql), sql).toBeNull();
    }
  });
});
