import { describe, expect, it } from 'vitest';
import { cellToField, cellToJson } from '../../../src/emulator/cell-layout.js';
import { formatServerError } from '../../../src/emulator/errors.js';
import { javaDoubleToString } from '../../../src/emulator/java-number.js';
import { RawJson, toJson } from '../../../src/emulator/json-writer.js';
import { MULTIDIMENSIONAL, parseArrayLiteral } from '../../../src/emulator/pg-array.js';
import { formatTimestamp, timestamptzToUtc } from '../../../src/emulator/temporal.js';

describe('parseArrayLiteral', () => {
  it('reads quoted, unquoted and NULL elements', () => {
    expect(parseArrayLiteral('{1,NULL,3}')).toEqual(['1', null, '3']);
    expect(parseArrayLiteral('{"a b","NULL",x\\,y,"q\\"t"}')).toEqual(['a b', 'NULL', 'x,y', 'q"t']);
    expect(parseArrayLiteral('{}')).toEqual([]);
    expect(parseArrayLiteral('[0:1]={7,8}')).toEqual(['7', '8']);
  });

  it('flags multidimensional arrays', () => {
    expect(parseArrayLiteral('{{1,2},{3,4}}')).toBe(MULTIDIMENSIONAL);
    expect(parseArrayLiteral('[1:1][1:2]={{1,2}}')).toBe(MULTIDIMENSIONAL);
  });
});

describe('timestamps', () => {
  it('trims trailing fractional zeros', () => {
    expect(formatTimestamp('2022-04-06 22:58:48.990')).toBe('2022-04-06 22:58:48.99');
    expect(formatTimestamp('2022-04-06 22:58:48.000')).toBe('2022-04-06 22:58:48');
    expect(formatTimestamp('2022-04-06 22:58:48')).toBe('2022-04-06 22:58:48');
  });

  it('converts timestamptz to UTC wall time without an offset', () => {
    expect(timestamptzToUtc('2024-01-15 03:34:56+00')).toBe('2024-01-15 03:34:56');
    expect(timestamptzToUtc('2024-01-15 12:34:56.120+09')).toBe('2024-01-15 03:34:56.12');
    expect(timestamptzToUtc('2024-01-01 00:10:00-05:30')).toBe('2024-01-01 05:40:00');
    expect(timestamptzToUtc('2024-03-01 01:00:00+02')).toBe('2024-02-29 23:00:00');
  });
});

describe('javaDoubleToString', () => {
  it('prints doubles the way Java does', () => {
    expect(javaDoubleToString(10)).toBe('10.0');
    expect(javaDoubleToString(-2.5)).toBe('-2.5');
    expect(javaDoubleToString(0.001)).toBe('0.001');
    expect(javaDoubleToString(0.0001)).toBe('1.0E-4');
    expect(javaDoubleToString(1e7)).toBe('1.0E7');
    expect(javaDoubleToString(1234567.5)).toBe('1234567.5');
    expect(javaDoubleToString(4.9e-324)).toBe('4.9E-324');
    expect(javaDoubleToString(1.7976931348623157e308)).toBe('1.7976931348623157E308');
    expect(javaDoubleToString(0)).toBe('0.0');
  });
});

describe('toJson', () => {
  it('writes raw number text verbatim', () => {
    expect(toJson({ longValue: new RawJson('9223372036854775807'), list: [null, 'a'] })).toBe(
      '{"longValue":9223372036854775807,"list":[null,"a"]}',
    );
  });
});

describe('cell layout', () => {
  const plain = { decimalReturnType: 'STRING', longReturnType: 'LONG' } as const;
  const numeric = { decimalReturnType: 'DOUBLE_OR_LONG', longReturnType: 'STRING' } as const;

  it('lays out records fields', () => {
    expect(toJson(cellToField({ t: 'long', v: '12' }, plain))).toBe('{"longValue":12}');
    expect(toJson(cellToField({ t: 'long', v: '12' }, numeric))).toBe('{"stringValue":"12"}');
    expect(toJson(cellToField({ t: 'decimal', v: '1.50' }, plain))).toBe('{"stringValue":"1.50"}');
    expect(toJson(cellToField({ t: 'decimal', v: '1.50' }, numeric))).toBe('{"doubleValue":1.50}');
    expect(toJson(cellToField({ t: 'decimal', v: '150' }, numeric))).toBe('{"longValue":150}');
    expect(toJson(cellToField({ t: 'double', v: 'NaN' }, plain))).toBe('{"doubleValue":"NaN"}');
    expect(toJson(cellToField(null, plain))).toBe('{"isNull":true}');
    expect(toJson(cellToField({ t: 'array', of: 'long', items: ['1', null] }, plain))).toBe(
      '{"arrayValue":{"longValues":[1,null]}}',
    );
  });

  it('lays out JSON values', () => {
    expect(toJson(cellToJson({ t: 'double', v: '10' }, plain))).toBe('10.0');
    expect(toJson(cellToJson({ t: 'long', v: '-9223372036854775808' }, plain))).toBe('-9223372036854775808');
    expect(toJson(cellToJson({ t: 'decimal', v: '2.50' }, plain))).toBe('"2.50"');
    expect(toJson(cellToJson({ t: 'decimal', v: '2.50' }, numeric))).toBe('2.5');
  });
});

describe('formatServerError', () => {
  it('follows the v2 order and leaves Detail out', () => {
    expect(
      formatServerError({
        severity: 'ERROR',
        message: 'operator does not exist: integer = text',
        hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
        position: '36',
        code: '42883',
      }),
    ).toBe(
      'ERROR: operator does not exist: integer = text; Hint: No operator matches the given name and argument types. You might need to add explicit type casts.; Position: 36; SQLState: 42883',
    );
    expect(
      formatServerError({
        severity: 'ERROR',
        message: 'null value in column "name" of relation "proxy_test" violates not-null constraint',
        code: '23502',
        where: undefined,
      }),
    ).toBe('ERROR: null value in column "name" of relation "proxy_test" violates not-null constraint; SQLState: 23502');
  });
});
