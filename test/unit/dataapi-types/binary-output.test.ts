import { describe, expect, it } from 'vitest';
import type { Field } from '@aws-sdk/client-rds-data';
import pgTypes from 'pg-types';
import { OID, TypeCodecError, encodeField, fieldToBinary, hasBinaryOutput, resolveColumn } from '../../../src/dataapi/types/index.js';

const bin = (field: Field, typeName: string): Buffer | null => fieldToBinary(field, resolveColumn({ typeName }));
const parse = (oid: number, b: Buffer | null): unknown => (pgTypes.getTypeParser(oid, 'binary') as (v: Buffer) => unknown)(b!);

describe('fieldToBinary', () => {
  it('says which types have binary output', () => {
    for (const oid of [16, 17, 20, 21, 23, 25, 26, 114, 600, 603, 700, 701, 1042, 1043, 1082, 1083, 1114, 1184, 1266, 1700, 2950, 3802, 1007, 1009, 1185])
      expect(hasBinaryOutput(oid)).toBe(true);
    for (const oid of [OID.interval, OID.inet, OID.money, OID.xml, 718, 1187]) expect(hasBinaryOutput(oid)).toBe(true);
    // reg* types send an OID, which the Data API's type name does not give.
    for (const oid of [OID.regclass, OID.regtype, OID.tsvector, 2211]) expect(hasBinaryOutput(oid)).toBe(false);
    expect(() => bin({ stringValue: 'pg_class' }, 'regclass')).toThrowError(/regclass.*text format/);
  });

  it('encodes integers from numbers and from strings, checked by pg-types', () => {
    expect(bin({ longValue: -2 }, 'int2')).toEqual(Buffer.from([0xff, 0xfe]));
    expect(parse(23, bin({ longValue: 123456 }, 'int4'))).toBe(123456);
    expect(parse(23, bin({ stringValue: '-2147483648' }, 'int4'))).toBe(-2147483648);
    expect(bin({ stringValue: '9223372036854775807' }, 'int8')).toEqual(Buffer.from('7fffffffffffffff', 'hex'));
    expect(String(parse(20, bin({ stringValue: '-9007199254740993' }, 'int8')))).toBe('-9007199254740993');
    expect(bin({ stringValue: '4294967295' }, 'oid')).toEqual(Buffer.from('ffffffff', 'hex'));
    expect(() => bin({ longValue: 40000 }, 'int2')).toThrowError(TypeCodecError);
  });

  it('encodes floats, booleans, text, bytea, uuid and jsonb', () => {
    expect(parse(701, bin({ doubleValue: 0.1 }, 'float8'))).toBe(0.1);
    expect(parse(700, bin({ doubleValue: 0.10000000149011612 }, 'float4'))).toBeCloseTo(0.1, 7);
    expect(bin({ stringValue: 'NaN' }, 'float8')).toEqual(Buffer.from('7ff8000000000000', 'hex'));
    expect(parse(16, bin({ booleanValue: true }, 'bool'))).toBe(true);
    expect(bin({ booleanValue: false }, 'bool')).toEqual(Buffer.from([0]));
    expect(bin({ stringValue: 'héllo' }, 'varchar')).toEqual(Buffer.from('héllo', 'utf8'));
    expect(bin({ blobValue: new Uint8Array([1, 2, 255]) }, 'bytea')).toEqual(Buffer.from([1, 2, 255]));
    expect(bin({ stringValue: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' }, 'uuid')).toEqual(
      Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex'),
    );
    expect(bin({ stringValue: '{"a":1}' }, 'jsonb')).toEqual(Buffer.concat([Buffer.from([1]), Buffer.from('{"a":1}')]));
    expect(bin({ stringValue: '{"a":1}' }, 'json')).toEqual(Buffer.from('{"a":1}'));
    expect(bin({ isNull: true }, 'json')).toBeNull();
  });

  it('encodes dates and times relative to 2000-01-01', () => {
    expect(bin({ stringValue: '2000-01-01' }, 'date')).toEqual(Buffer.from('00000000', 'hex'));
    expect(bin({ stringValue: '1999-12-31' }, 'date')).toEqual(Buffer.from('ffffffff', 'hex'));
    expect(bin({ stringValue: 'infinity' }, 'date')).toEqual(Buffer.from('7fffffff', 'hex'));
    expect(bin({ stringValue: '00:00:01.5' }, 'time')?.readBigInt64BE(0)).toBe(1_500_000n);
    expect(bin({ stringValue: '2000-01-02 00:00:00.000001' }, 'timestamp')?.readBigInt64BE(0)).toBe(86_400_000_001n);
    expect(bin({ stringValue: '-infinity' }, 'timestamptz')?.readBigInt64BE(0)).toBe(-(2n ** 63n));
    const tz = parse(1184, bin({ stringValue: '2022-04-06 03:34:56.789' }, 'timestamptz')) as Date;
    expect(tz.toISOString()).toBe('2022-04-06T03:34:56.789Z');
  });

  it('encodes numeric in base 10000 with display scale', () => {
    // 123456.7890: ndigits 3, weight 1, sign +, dscale 4, digits 12 3456 7890
    expect(bin({ stringValue: '123456.7890' }, 'numeric')).toEqual(Buffer.from('0003000100000004000c0d801ed2', 'hex'));
    expect(bin({ stringValue: '0.00' }, 'numeric')).toEqual(Buffer.from('0000000000000002', 'hex'));
    expect(bin({ stringValue: 'NaN' }, 'numeric')).toEqual(Buffer.from('00000000c0000000', 'hex'));
    // pg-types reads the weight unsigned, so only values of 1 and more decode there.
    expect(parse(1700, bin({ stringValue: '-12345.25' }, 'numeric'))).toBe(-12345.25);
  });

  it('encodes arrays with dimensions, NULL flag and element OID', () => {
    const b = bin({ arrayValue: { longValues: [1, null, 3] } }, '_int4')!;
    expect(b.readInt32BE(0)).toBe(1);
    expect(b.readInt32BE(4)).toBe(1);
    expect(b.readUInt32BE(8)).toBe(23);
    expect(b.readInt32BE(12)).toBe(3);
    expect(b.readInt32BE(16)).toBe(1);
    expect(parse(1007, b)).toEqual([1, null, 3]);
    expect(parse(1009, bin({ arrayValue: { stringValues: ['a', 'b c'] } }, '_text'))).toEqual(['a', 'b c']);
    const empty = bin({ arrayValue: { longValues: [] } }, '_int8')!;
    expect(empty).toEqual(Buffer.from('000000000000000000000014', 'hex'));
    const twoD = bin({ arrayValue: { arrayValues: [{ longValues: [1, 2] }, { longValues: [3, 4] }] } }, '_int2')!;
    expect(twoD.readInt32BE(0)).toBe(2);
    expect(() => bin({ arrayValue: { arrayValues: [{ longValues: [1, 2] }, { longValues: [3] }] } }, '_int2')).toThrowError(
      /differ in length/,
    );
  });

  it('refuses a value whose shape does not fit the column', () => {
    expect(() => bin({ stringValue: '1,2' }, '_int4')).toThrowError(/instead of an array/);
    // An array fetched as text (a type or value the Data API refuses) is its array_out literal.
    expect(bin({ stringValue: '{1,NULL,"3"}' }, '_int4')).toEqual(bin({ arrayValue: { longValues: [1, null as unknown as number, 3] } }, '_int4'));
    expect(() => bin({ arrayValue: { longValues: [1] } }, 'int4')).toThrowError(/an array/);
    expect(() => bin({ stringValue: 'maybe' }, 'bool')).toThrowError(TypeCodecError);
    expect(() => bin({ stringValue: 'not-a-uuid' }, 'uuid')).toThrowError(TypeCodecError);
    expect(() => bin({ stringValue: 'soon' }, 'date')).toThrowError(TypeCodecError);
  });

  it('encodes format 1 through encodeField', () => {
    expect(encodeField({ longValue: 1 }, resolveColumn({ typeName: 'int4' }), 1)).toEqual(Buffer.from([0, 0, 0, 1]));
  });
});
