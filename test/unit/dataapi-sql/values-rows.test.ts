// Reading the rows of a multi-row INSERT ... VALUES and regrouping them into shorter INSERTs
// (values-rows.ts), for statements over the Data API's length limit.
import { describe, expect, it } from 'vitest';
import { chunkValuesRows, valuesRows } from '../../../src/dataapi/sql/values-rows.js';

describe('valuesRows', () => {
  it('finds each row, with nested parentheses, strings and a tail', () => {
    const sql = "INSERT INTO t (a, b) VALUES (1, f(2, ')')), ((3), 'x,y') RETURNING a";
    const split = valuesRows(sql)!;
    expect(split.head).toBe('INSERT INTO t (a, b) VALUES ');
    expect(split.rows.map((r) => sql.slice(r.start, r.end))).toEqual(["(1, f(2, ')'))", "((3), 'x,y')"]);
    expect(sql.slice(split.tailStart)).toBe(' RETURNING a');
  });

  it('leaves alone what is not a plain VALUES list or must stay one statement', () => {
    expect(valuesRows('INSERT INTO t SELECT 1')).toBeNull();
    expect(valuesRows('INSERT INTO t DEFAULT VALUES')).toBeNull();
    expect(valuesRows('WITH x AS (SELECT 1) INSERT INTO t VALUES (1)')).toBeNull();
    expect(valuesRows('INSERT INTO t VALUES (1), (2) ON CONFLICT (a) DO UPDATE SET b = 1')).toBeNull();
    expect(valuesRows('INSERT INTO t VALUES (1), (2) ON CONFLICT DO NOTHING')).not.toBeNull();
    expect(valuesRows('UPDATE t SET a = 1')).toBeNull();
  });
});

describe('chunkValuesRows', () => {
  const sql = `INSERT INTO t VALUES ${Array.from({ length: 10 }, (_, i) => `(${i}, 'abcdefgh')`).join(', ')} RETURNING *`;

  it('keeps every part under the limit, rows in order, each part a whole INSERT', () => {
    const parts = chunkValuesRows(sql, valuesRows(sql)!, 80)!;
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(p.sql.length).toBeLessThanOrEqual(80);
      expect(p.sql.startsWith('INSERT INTO t VALUES (')).toBe(true);
      expect(p.sql.endsWith(') RETURNING *')).toBe(true);
    }
    const rows = parts.flatMap((p) => [...p.sql.matchAll(/\((\d+),/g)].map((m) => Number(m[1])));
    expect(rows).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('maps a position in a part back to the same character of the original', () => {
    const parts = chunkValuesRows(sql, valuesRows(sql)!, 80)!;
    const last = parts[parts.length - 1]!;
    const at = last.sql.indexOf('(9,');
    expect(sql.slice(last.originalOffset(at), last.originalOffset(at) + 3)).toBe('(9,');
    expect(sql.slice(last.originalOffset(last.sql.indexOf('RETURNING')))).toBe('RETURNING *');
  });

  it('gives up when one row alone is too long', () => {
    expect(chunkValuesRows(sql, valuesRows(sql)!, 40)).toBeNull();
  });
});
