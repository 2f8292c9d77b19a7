import { describe, expect, it } from 'vitest';
import type { Field } from '@aws-sdk/client-rds-data';
import { TypeCodecError, encodeField, fieldToText, resolveColumn } from '../../../src/dataapi/types/index.js';

const text = (field: Field, typeName: string): string | null => fieldToText(field, resolveColumn({ typeName }));

describe('fieldToText', () => {
  it('renders scalars as PostgreSQL prints them', () => {
    expect(text({ isNull: true }, 'int4')).toBeNull();
    expect(text({ booleanValue: true }, 'bool')).toBe('t');
    expect(text({ booleanValue: false }, 'bool')).toBe('f');
    expect(text({ longValue: -42 }, 'int4')).toBe('-42');
    expect(text({ stringValue: '9223372036854775807' }, 'int8')).toBe('9223372036854775807');
    expect(text({ longValue: 7 }, 'serial')).toBe('7');
    expect(text({ doubleValue: 0.1 }, 'float8')).toBe('0.1');
    expect(text({ doubleValue: 1e-7 }, 'float8')).toBe('1e-07');
    expect(text({ doubleValue: 0.10000000149011612 }, 'float4')).toBe('0.1');
    expect(text({ stringValue: 'NaN' }, 'float8')).toBe('NaN');
    expect(text({ stringValue: '-Infinity' }, 'float4')).toBe('-Infinity');
    expect(text({ stringValue: '123456.7890' }, 'numeric')).toBe('123456.7890');
    expect(text({ stringValue: '1E-7' }, 'numeric')).toBe('0.0000001');
    expect(text({ stringValue: 'héllo' }, 'text')).toBe('héllo');
    expect(text({ blobValue: new Uint8Array([0, 1, 0xab, 0xff]) }, 'bytea')).toBe('\\x0001abff');
    expect(text({ blobValue: new Uint8Array([]) }, 'bytea')).toBe('\\x');
    expect(text({ stringValue: '2024-02-29' }, 'date')).toBe('2024-02-29');
    expect(text({ stringValue: '{"a": 1}' }, 'jsonb')).toBe('{"a": 1}');
  });

  it('trims fractional zeros and appends +00 to timestamptz', () => {
    expect(text({ stringValue: '2022-04-06 22:58:48.99' }, 'timestamp')).toBe('2022-04-06 22:58:48.99');
    expect(text({ stringValue: '2022-04-06 22:58:48.000' }, 'timestamp')).toBe('2022-04-06 22:58:48');
    expect(text({ stringValue: '2022-04-06 03:34:56' }, 'timestamptz')).toBe('2022-04-06 03:34:56+00');
    expect(text({ stringValue: '2022-04-06 03:34:56.120' }, 'timestamptz')).toBe('2022-04-06 03:34:56.12+00');
    expect(text({ stringValue: '2022-04-06 03:34:56+09' }, 'timestamptz')).toBe('2022-04-06 03:34:56+09');
    expect(text({ stringValue: '0044-03-15 10:00:00 BC' }, 'timestamptz')).toBe('0044-03-15 10:00:00+00 BC');
    expect(text({ stringValue: 'infinity' }, 'timestamptz')).toBe('infinity');
    expect(text({ stringValue: '2022-04-06T03:34:56Z' }, 'timestamptz')).toBe('2022-04-06 03:34:56+00');
    expect(text({ stringValue: '10:00:00.500' }, 'time')).toBe('10:00:00.5');
  });

  it('renders arrays with quoting, NULLs and nesting', () => {
    expect(text({ arrayValue: { longValues: [1, null, 3] } }, '_int4')).toBe('{1,NULL,3}');
    expect(text({ arrayValue: { booleanValues: [true, false] } }, '_bool')).toBe('{t,f}');
    expect(text({ arrayValue: { doubleValues: [1.5, 1e-7, 0.10000000149011612] } }, '_float4')).toBe('{1.5,1e-07,0.1}');
    expect(text({ arrayValue: { stringValues: ['a b', 'NULL', '', null, 'x"y', 'a\\b'] } }, '_text')).toBe(
      '{"a b","NULL","",NULL,"x\\"y","a\\\\b"}',
    );
    expect(text({ arrayValue: { stringValues: ['2020-01-01 00:00:00'] } }, '_timestamptz')).toBe(
      '{"2020-01-01 00:00:00+00"}',
    );
    expect(text({ arrayValue: { arrayValues: [{ longValues: [1, 2] }, { longValues: [3, 4] }] } }, '_int4')).toBe(
      '{{1,2},{3,4}}',
    );
    expect(text({ arrayValue: { stringValues: [] } }, '_text')).toBe('{}');
    expect(text({ arrayValue: { stringValues: ['happy', 'sad'] } }, '_mood')).toBe('{happy,sad}');
  });

  it('encodes text format as UTF-8 bytes', () => {
    expect(encodeField({ stringValue: 'é' }, resolveColumn({ typeName: 'text' }), 0)).toEqual(Buffer.from('é'));
    expect(encodeField({ isNull: true }, resolveColumn({ typeName: 'text' }), 0)).toBeNull();
  });

  it('rejects a Field of unknown shape with a clear error', () => {
    const unknown = { $unknown: ['futureValue', 1] } as unknown as Field;
    expect(() => text(unknown, 'int4')).toThrowError(TypeCodecError);
    expect(() => text(unknown, 'int4')).toThrowError(/unknown shape/);
  });
});
