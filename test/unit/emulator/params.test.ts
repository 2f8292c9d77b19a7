import { describe, expect, it } from 'vitest';
import { bindField, bindParameters, rejectArrayParameters, renderWithLiterals } from '../../../src/emulator/params.js';
import { findPlaceholders } from '../../../src/emulator/placeholders.js';

describe('findPlaceholders (the service scanner)', () => {
  it('finds names, skipping casts, quotes and comments', () => {
    const sql = "SELECT :a::int, ':b', \"x:c\", -- :d\n /* :e */ :f_1 FROM t WHERE x = :a";
    expect(findPlaceholders(sql).map((p) => p.name)).toEqual(['a', 'f_1', 'a']);
  });

  it('does not respect dollar quotes, like the service', () => {
    expect(findPlaceholders('SELECT $$a :b c$$').map((p) => p.name)).toEqual(['b']);
  });

  it('reads an array slice as a placeholder, like the service', () => {
    expect(findPlaceholders('SELECT a[1:2] FROM t').map((p) => p.name)).toEqual(['2']);
  });
});

describe('bindParameters', () => {
  it('numbers supplied names in order of appearance and reuses a repeated name', () => {
    const b = bindParameters('SELECT :b, :a, :b::text', [
      { name: 'a', value: { longValue: 7 } },
      { name: 'b', value: { stringValue: 'x' } },
    ]);
    expect(b.text).toBe('SELECT $1, $2, $1::text');
    expect(b.values).toEqual(['x', '7']);
    expect(b.types).toEqual([25, 20]);
  });

  it('numbers names nobody supplied after the supplied ones, without values', () => {
    const b = bindParameters('SELECT :missing, :given', [{ name: 'given', value: { booleanValue: true } }]);
    expect(b.text).toBe('SELECT $2, $1');
    expect(b.values).toEqual(['true']);
    expect(b.types).toEqual([16]);
  });

  it('declares each Field kind with its PostgreSQL type', () => {
    expect(bindField({ stringValue: 's' })).toEqual({ value: 's', type: 25 });
    expect(bindField({ longValue: 9007199254740991 })).toEqual({ value: '9007199254740991', type: 20 });
    expect(bindField({ doubleValue: 1.5 })).toEqual({ value: '1.5', type: 701 });
    expect(bindField({ booleanValue: false })).toEqual({ value: 'false', type: 16 });
    expect(bindField({ isNull: true })).toEqual({ value: null, type: 0 });
    const blob = bindField({ blobValue: Buffer.from([1, 2, 255]).toString('base64') });
    expect(blob.type).toBe(17);
    expect([...(blob.value as Buffer)]).toEqual([1, 2, 255]);
  });

  it('declares the hinted type for a hinted string', () => {
    expect(bindField({ stringValue: '2024-01-02' }, 'DATE').type).toBe(1082);
    expect(bindField({ stringValue: '12:00:00' }, 'TIME').type).toBe(1083);
    expect(bindField({ stringValue: '2024-01-02 03:04:05' }, 'TIMESTAMP').type).toBe(1114);
    expect(bindField({ stringValue: '1.25' }, 'DECIMAL').type).toBe(1700);
    expect(bindField({ stringValue: '{}' }, 'JSON').type).toBe(114);
    expect(bindField({ stringValue: '00000000-0000-0000-0000-000000000000' }, 'UUID').type).toBe(2950);
  });

  it('rejects array parameters with the service message', () => {
    expect(() => rejectArrayParameters([{ name: 'a', value: { arrayValue: { longValues: [1] } } }])).toThrow(
      'Array parameters are not supported.',
    );
    expect(() => rejectArrayParameters([{ name: 'a', value: { longValue: 1 } }])).not.toThrow();
  });

  it('renders a batch entry with its values written in', () => {
    expect(
      renderWithLiterals('INSERT INTO t VALUES (:id, :name, :none)', [
        { name: 'id', value: { longValue: 1 } },
        { name: 'name', value: { stringValue: "O'Brien" } },
        { name: 'none', value: { isNull: true } },
      ]),
    ).toBe("INSERT INTO t VALUES ('1'::int8, 'O''Brien', NULL)");
  });
});
