import { describe, expect, it } from 'vitest';
import { parseDatabaseErrorText } from '../../src/dataapi/client/error-text.js';

describe('parseDatabaseErrorText', () => {
  it('reads the live service examples', () => {
    expect(parseDatabaseErrorText('ERROR: relation "no_such_table_xyz" does not exist; Position: 15; SQLState: 42P01')).toEqual({
      severity: 'ERROR',
      code: '42P01',
      message: 'relation "no_such_table_xyz" does not exist',
      position: 15,
      detail: undefined,
      hint: undefined,
      where: undefined,
    });
    const op = parseDatabaseErrorText(
      'ERROR: operator does not exist: integer = text; Hint: No operator matches the given name and argument types. You might need to add explicit type casts.; Position: 36; SQLState: 42883',
    );
    expect(op?.code).toBe('42883');
    expect(op?.message).toBe('operator does not exist: integer = text');
    expect(op?.hint).toBe('No operator matches the given name and argument types. You might need to add explicit type casts.');
    expect(op?.position).toBe(36);
    expect(parseDatabaseErrorText('ERROR: current transaction is aborted, commands ignored until end of transaction block; SQLState: 25P02')?.code).toBe(
      '25P02',
    );
  });

  it('keeps "; " inside the message and reads Detail and Where', () => {
    const e = parseDatabaseErrorText(
      'ERROR: syntax error at or near "a; b"; Detail: Key (id)=(1) already exists.; Where: PL/pgSQL function f() line 3; SQLState: 23505',
    );
    expect(e?.message).toBe('syntax error at or near "a; b"');
    expect(e?.detail).toBe('Key (id)=(1) already exists.');
    expect(e?.where).toBe('PL/pgSQL function f() line 3');
  });

  it('reads the v1 layout with fields after a newline', () => {
    const e = parseDatabaseErrorText(
      'ERROR: duplicate key value violates unique constraint "episodes_pk"\n  Detail: Key (episode_pid)=(m001q2mq) already exists.; SQLState: 23505',
    );
    expect(e?.message).toBe('duplicate key value violates unique constraint "episodes_pk"');
    expect(e?.detail).toBe('Key (episode_pid)=(m001q2mq) already exists.');
  });

  it('returns null for text without a SQLSTATE', () => {
    expect(parseDatabaseErrorText('Transaction is still running a query')).toBeNull();
  });
});
