import { describe, expect, it } from 'vitest';
import { OID, TypeCodecError, hasBinaryInput, planParameter } from '../../../src/dataapi/types/index.js';
import { parseByteaText } from '../../../src/dataapi/types/param-input.js';

const text = (value: string, typeOid: number, number = 1) =>
  planParameter({ number, value: Buffer.from(value, 'utf8'), format: 0, typeOid });
const binary = (hex: string, typeOid: number, number = 1) =>
  planParameter({ number, value: Buffer.from(hex, 'hex'), format: 1, typeOid });

function codecError(fn: () => unknown): TypeCodecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TypeCodecError) return err;
    throw err;
  }
  throw new Error('expected a TypeCodecError');
}

describe('planParameter, text format', () => {
  it('leaves unspecified types untyped', () => {
    expect(text('42', 0)).toEqual({ value: { stringValue: '42' } });
    expect(text('x', OID.unknown)).toEqual({ value: { stringValue: 'x' } });
    expect(planParameter({ number: 1, value: null, format: 0, typeOid: 0 })).toEqual({ value: { isNull: true } });
  });

  it('types NULLs of declared types', () => {
    expect(planParameter({ number: 1, value: null, format: 1, typeOid: OID.int4 })).toEqual({
      value: { isNull: true },
      sqlType: 'int4',
    });
  });

  it('sends integers as numbers while they are exact, else as text', () => {
    expect(text('42', OID.int4)).toEqual({ value: { longValue: 42 }, sqlType: 'int4' });
    expect(text(' -7 ', OID.int2)).toEqual({ value: { longValue: -7 }, sqlType: 'int2' });
    expect(text('9007199254740991', OID.int8)).toEqual({ value: { longValue: 9007199254740991 }, sqlType: 'int8' });
    expect(text('9223372036854775807', OID.int8)).toEqual({ value: { stringValue: '9223372036854775807' }, sqlType: 'int8' });
    expect(text('12abc', OID.int4)).toEqual({ value: { stringValue: '12abc' }, sqlType: 'int4' });
    expect(text('-1', OID.oid)).toEqual({ value: { stringValue: '-1' }, sqlType: 'oid' });
  });

  it('sends float8 as a double only when JSON can carry it exactly', () => {
    expect(text('0.1', OID.float8)).toEqual({ value: { doubleValue: 0.1 }, sqlType: 'float8' });
    expect(text('NaN', OID.float8)).toEqual({ value: { stringValue: 'NaN' }, sqlType: 'float8' });
    expect(text('-0', OID.float8)).toEqual({ value: { stringValue: '-0' }, sqlType: 'float8' });
    expect(text('1e-400', OID.float8)).toEqual({ value: { stringValue: '1e-400' }, sqlType: 'float8' });
    expect(text('0.1', OID.float4)).toEqual({ value: { stringValue: '0.1' }, sqlType: 'float4' });
  });

  it('parses booleans and bytea', () => {
    expect(text('true', OID.bool)).toEqual({ value: { booleanValue: true }, sqlType: 'bool' });
    expect(text('off', OID.bool)).toEqual({ value: { booleanValue: false }, sqlType: 'bool' });
    expect(text('\\x00ff', OID.bytea)).toEqual({ value: { blobValue: new Uint8Array([0, 255]) }, sqlType: 'bytea' });
    expect(text('a\\\\b\\001', OID.bytea).value.blobValue).toEqual(new Uint8Array([0x61, 0x5c, 0x62, 1]));
    expect(text('\\xzz', OID.bytea)).toEqual({ value: { stringValue: '\\xzz' }, sqlType: 'bytea' });
    expect(parseByteaText('é')).toEqual(new Uint8Array([0xc3, 0xa9]));
    expect(parseByteaText('\\9')).toBeUndefined();
  });

  it('keeps dates and times whole, hinting only the documented forms', () => {
    expect(text('2024-01-02', OID.date)).toEqual({ value: { stringValue: '2024-01-02' }, sqlType: 'date', typeHint: 'DATE' });
    expect(text('2024-01-02 10:00:00+09', OID.timestamptz)).toEqual({
      value: { stringValue: '2024-01-02 10:00:00+09' },
      sqlType: 'timestamptz',
    });
    expect(text('2024-01-02 10:00:00.123', OID.timestamp).typeHint).toBe('TIMESTAMP');
    expect(text('2024-01-02 10:00:00.123456', OID.timestamp).typeHint).toBeUndefined();
    expect(text('infinity', OID.date).typeHint).toBeUndefined();
    expect(text('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', OID.uuid).typeHint).toBe('UUID');
    expect(text('{"a":1}', OID.jsonb)).toEqual({ value: { stringValue: '{"a":1}' }, sqlType: 'jsonb', typeHint: 'JSON' });
    expect(text('12.50', OID.numeric)).toEqual({ value: { stringValue: '12.50' }, sqlType: 'numeric', typeHint: 'DECIMAL' });
  });

  it('passes array literals through with an array cast', () => {
    expect(text('{1,2,3}', 1007)).toEqual({ value: { stringValue: '{1,2,3}' }, sqlType: 'int4[]' });
    expect(text('{a}', 1002)).toEqual({ value: { stringValue: '{a}' }, sqlType: '"char"[]' });
  });

  it('refuses invalid UTF-8 with 22021', () => {
    const err = codecError(() => planParameter({ number: 3, value: Buffer.from([0x61, 0xc3, 0x28]), format: 0, typeOid: 25 }));
    expect(err.sqlstate).toBe('22021');
    expect(err.message).toBe('invalid byte sequence for encoding "UTF8": 0xc3 0x28 in bind parameter 3');
    expect(err.parameterNumber).toBe(3);
    expect(codecError(() => text('a\u0000b', 25)).message).toMatch(/0x00/);
  });
});

describe('planParameter, binary format', () => {
  it('decodes integers, floats and booleans', () => {
    expect(binary('0000002a', OID.int4)).toEqual({ value: { longValue: 42 }, sqlType: 'int4' });
    expect(binary('fffe', OID.int2)).toEqual({ value: { longValue: -2 }, sqlType: 'int2' });
    expect(binary('7fffffffffffffff', OID.int8)).toEqual({ value: { stringValue: '9223372036854775807' }, sqlType: 'int8' });
    expect(binary('ffffffffffffffff', OID.int8)).toEqual({ value: { longValue: -1 }, sqlType: 'int8' });
    expect(binary('ffffffff', OID.oid)).toEqual({ value: { longValue: 4294967295 }, sqlType: 'oid' });
    expect(binary('3fb999999999999a', OID.float8)).toEqual({ value: { doubleValue: 0.1 }, sqlType: 'float8' });
    expect(binary('3dcccccd', OID.float4)).toEqual({ value: { doubleValue: Math.fround(0.1) }, sqlType: 'float4' });
    expect(binary('7fc00000', OID.float4)).toEqual({ value: { stringValue: 'NaN' }, sqlType: 'float4' });
    expect(binary('8000000000000000', OID.float8)).toEqual({ value: { stringValue: '-0' }, sqlType: 'float8' });
    expect(binary('01', OID.bool)).toEqual({ value: { booleanValue: true }, sqlType: 'bool' });
  });

  it('decodes bytea, text, uuid, json and jsonb', () => {
    expect(binary('', 0)).toEqual({ value: { blobValue: new Uint8Array([]) } });
    expect(binary('00ff', 0)).toEqual({ value: { blobValue: new Uint8Array([0, 255]) } });
    expect(binary('00ff', OID.bytea)).toEqual({ value: { blobValue: new Uint8Array([0, 255]) }, sqlType: 'bytea' });
    expect(binary(Buffer.from('héllo').toString('hex'), OID.varchar)).toEqual({ value: { stringValue: 'héllo' }, sqlType: 'varchar' });
    expect(binary('a0eebc999c0b4ef8bb6d6bb9bd380a11', OID.uuid)).toEqual({
      value: { stringValue: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
      sqlType: 'uuid',
      typeHint: 'UUID',
    });
    expect(binary('01' + Buffer.from('{"a":1}').toString('hex'), OID.jsonb)).toEqual({
      value: { stringValue: '{"a":1}' },
      sqlType: 'jsonb',
      typeHint: 'JSON',
    });
  });

  it('decodes dates, times and timestamps to full text', () => {
    expect(binary('00000000', OID.date)).toEqual({ value: { stringValue: '2000-01-01' }, sqlType: 'date', typeHint: 'DATE' });
    expect(binary('7fffffff', OID.date).value.stringValue).toBe('infinity');
    expect(binary('00000000000f4240', OID.time).value.stringValue).toBe('00:00:01');
    expect(binary('0000000000000001', OID.timestamp).value.stringValue).toBe('2000-01-01 00:00:00.000001');
    expect(binary('0000000000000000', OID.timestamptz).value.stringValue).toBe('2000-01-01 00:00:00+00');
    expect(binary('7fffffffffffffff', OID.timestamptz).value.stringValue).toBe('infinity');
    // 12:00:00 at UTC-05 (zone is seconds west of UTC)
    expect(binary('0000000a0eebb000' + '00004650', OID.timetz).value.stringValue).toBe('12:00:00-05');
  });

  it('decodes interval (microseconds, days, months) to text with a sign on every field', () => {
    // 1 day 02:03:04 (psycopg 3's binary timedelta)
    expect(binary('00000001b81ee600' + '00000001' + '00000000', OID.interval)).toEqual({
      value: { stringValue: '+0 mons +1 days +2:03:04' },
      sqlType: 'interval',
    });
    // -1 mon +2 days -00:00:00.5
    expect(binary('fffffffffff85ee0' + '00000002' + 'ffffffff', OID.interval).value.stringValue).toBe('-1 mons +2 days -0:00:00.5');
    // interval_recv reads past the end of a short value: pq_getmsgint64's protocol violation.
    expect(codecError(() => binary('00', OID.interval)).sqlstate).toBe('08P01');
    expect(codecError(() => binary('00'.repeat(17), OID.interval)).sqlstate).toBe('22P03');
  });

  it('decodes numeric', () => {
    expect(binary('0003000100000004000c0d801ed2', OID.numeric)).toEqual({
      value: { stringValue: '123456.7890' },
      sqlType: 'numeric',
      typeHint: 'DECIMAL',
    });
    expect(binary('0001fffe40000008000c', OID.numeric).value.stringValue).toBe('-0.00000012');
    expect(binary('0001fffe40000000000c', OID.numeric).value.stringValue).toBe('0'); // truncated to dscale 0
    expect(binary('00000000c0000000', OID.numeric).value.stringValue).toBe('NaN');
    expect(binary('00000000d0000020', OID.numeric).value.stringValue).toBe('Infinity');
  });

  it('decodes 1-D and 2-D arrays into literals with an array cast', () => {
    const ints = '00000001' + '00000001' + '00000017' + '00000003' + '00000001' +
      '00000004' + '00000001' + 'ffffffff' + '00000004' + '00000003';
    expect(binary(ints, 1007)).toEqual({ value: { stringValue: '{1,NULL,3}' }, sqlType: 'int4[]' });
    const texts = '00000001' + '00000000' + '00000019' + '00000002' + '00000000' +
      '00000003' + Buffer.from('a b').toString('hex') + '00000000';
    expect(binary(texts, 1009).value.stringValue).toBe('[0:1]={"a b",""}');
    const twoD = '00000002' + '00000000' + '00000015' + '00000002' + '00000001' + '00000001' + '00000001' +
      '00000002' + '0001' + '00000002' + '0002';
    expect(binary(twoD, 1005).value.stringValue).toBe('{{1},{2}}');
    expect(binary('00000000' + '00000000' + '00000017', 1007).value.stringValue).toBe('{}');
  });

  it('refuses malformed binary data with 22P03 and the parameter number', () => {
    for (const [hex, oid] of [['000000', OID.int4], ['0000002a00', OID.int4], ['00', OID.int8], ['0001', OID.bool], ['00', OID.uuid], ['0001', OID.numeric]] as const) {
      const err = codecError(() => binary(hex, oid, 2));
      expect(err.sqlstate).toBe('22P03');
      expect(err.message).toBe('incorrect binary data format in bind parameter 2');
      expect(err.parameterNumber).toBe(2);
    }
    expect(codecError(() => binary('0001000000050000' + '0001', OID.numeric)).message).toMatch(/invalid sign in external "numeric" value/);
    expect(codecError(() => binary('000100000000000027ff', OID.numeric)).message).toMatch(/invalid digit/);
    expect(codecError(() => binary('02' + '7b7d', OID.jsonb)).message).toMatch(/unsupported jsonb version number 2/);
    expect(codecError(() => binary('0000001500000000', OID.time)).sqlstate).toBe('22008');
  });

  it('refuses malformed binary arrays', () => {
    const header = (ndim: string, flags: string, elem: string) => ndim + flags + elem;
    const wrongElement = codecError(() => binary(header('00000001', '00000000', '00000019') + '00000001' + '00000001' + '00000000', 1007));
    expect(wrongElement.sqlstate).toBe('42804');
    // PostgreSQL's own wording (checked against a server), plus the parameter number.
    expect(wrongElement.message).toBe(
      'binary data has array element type 25 (text) instead of expected 23 (integer) (bind parameter 1)',
    );
    expect(codecError(() => binary(header('00000001', '00000002', '00000017'), 1007)).message).toMatch(/invalid array flags/);
    expect(codecError(() => binary(header('ffffffff', '00000000', '00000017'), 1007)).message).toMatch(/invalid number of dimensions/);
    const badElement = header('00000001', '00000000', '00000017') + '00000001' + '00000001' + '00000002' + '0001';
    const err = codecError(() => binary(badElement, 1007, 4));
    expect(err.sqlstate).toBe('22P03');
    expect(err.message).toMatch(/improper binary format in array element 1.*bind parameter 4/);
    expect(codecError(() => binary(header('00000001', '00000000', '00000017') + '00000005' + '00000001', 1007)).sqlstate).toBe('22P03');
  });

  it('refuses binary input it does not decode with 0A000', () => {
    expect(hasBinaryInput(OID.regclass)).toBe(false);
    expect(hasBinaryInput(1007)).toBe(true);
    const err = codecError(() => binary('00000001', OID.regclass, 5));
    expect(err.sqlstate).toBe('0A000');
    expect(err.message).toMatch(/parameter 5 of type regclass/);
    expect(codecError(() => binary('00', 987654)).sqlstate).toBe('0A000');
  });
});
