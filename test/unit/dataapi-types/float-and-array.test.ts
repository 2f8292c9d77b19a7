import { describe, expect, it } from 'vitest';
import {
  formatArrayFromFlat,
  formatArrayLiteral,
  formatFloat4,
  formatFloat8,
  quoteArrayElement,
} from '../../../src/dataapi/types/index.js';
import { shortestInInterval } from '../../../src/dataapi/types/float-format.js';

describe('formatFloat8', () => {
  it('lays out digits the way PostgreSQL 15 does', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '-0'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
      [1, '1'],
      [1.5, '1.5'],
      [0.1, '0.1'],
      [1e-4, '0.0001'],
      [1e-5, '1e-05'],
      [1.25e-7, '1.25e-07'],
      [1e14, '100000000000000'],
      [123456789012345, '123456789012345'],
      [1e15, '1e+15'],
      [1.5e15, '1.5e+15'],
      [1e100, '1e+100'],
      [-2.5e-300, '-2.5e-300'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [0.30000000000000004, '0.30000000000000004'],
      // PostgreSQL's Ryu never accepts a bound of the rounding interval; ECMAScript prints 1e+23.
      [1e23, '9.999999999999999e+22'],
      [9007199254740993, '9.007199254740992e+15'],
    ];
    for (const [v, s] of cases) expect(formatFloat8(v)).toBe(s);
  });
});

describe('formatFloat4', () => {
  it('rounds to float32 and prints float32 shortest digits', () => {
    const cases: [number, string][] = [
      [0.1, '0.1'],
      [0.10000000149011612, '0.1'],
      [1 / 3, '0.33333334'],
      [100000, '100000'],
      [1e6, '1e+06'],
      [1234567, '1.234567e+06'],
      [16777217, '1.6777216e+07'],
      [3.4028234663852886e38, '3.4028235e+38'],
      [1.401298464324817e-45, '1e-45'],
      [1e-5, '1e-05'],
      [-0, '-0'],
      [NaN, 'NaN'],
      [1e39, 'Infinity'],
      // 8.55627e+07 lies exactly on the lower bound, which PostgreSQL does not accept.
      [85562704, '8.5562704e+07'],
    ];
    for (const [v, s] of cases) expect(formatFloat4(v)).toBe(s);
  });

  it('finds the same shortest digits as ECMAScript for float64 values', () => {
    const view = new DataView(new ArrayBuffer(8));
    let seed = 12345;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 3000; i++) {
      view.setUint32(0, next() & 0x7fefffff);
      view.setUint32(4, next());
      const v = view.getFloat64(0);
      if (v === 0) continue;
      const hi = view.getUint32(0);
      const biased = (hi >>> 20) & 0x7ff;
      const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
      const m = biased === 0 ? frac : frac | (1n << 52n);
      const d = shortestInInterval(m, (biased === 0 ? 1 : biased) - 1075, frac === 0n && biased > 1, m % 2n === 0n, v);
      const [mant, exp] = v.toExponential().split('e');
      expect({ digits: d.digits, exponent: d.exponent }).toEqual({ digits: mant.replace('.', ''), exponent: Number(exp) });
    }
  });
});

describe('array literals', () => {
  it('quotes elements as array_out does', () => {
    expect(quoteArrayElement('abc')).toBe('abc');
    expect(quoteArrayElement('')).toBe('""');
    expect(quoteArrayElement('a b')).toBe('"a b"');
    expect(quoteArrayElement('null')).toBe('"null"');
    expect(quoteArrayElement('NULLS')).toBe('NULLS');
    expect(quoteArrayElement('a,b')).toBe('"a,b"');
    expect(quoteArrayElement('{x}')).toBe('"{x}"');
    expect(quoteArrayElement('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteArrayElement('a\\b')).toBe('"a\\\\b"');
    expect(quoteArrayElement('tab\there')).toBe('"tab\there"');
    expect(quoteArrayElement('é\u00a0ü')).toBe('é\u00a0ü'); // only ASCII white space counts
    expect(quoteArrayElement('a;b', ';')).toBe('"a;b"');
    expect(quoteArrayElement('a;b')).toBe('a;b');
  });

  it('formats nested and flat arrays', () => {
    expect(formatArrayLiteral(['1', null, 'x y'])).toBe('{1,NULL,"x y"}');
    expect(formatArrayLiteral([['1', '2'], ['3', '4']])).toBe('{{1,2},{3,4}}');
    expect(formatArrayLiteral([])).toBe('{}');
    expect(formatArrayFromFlat(['1', '2', '3', '4', '5', '6'], [2, 3], [1, 1])).toBe('{{1,2,3},{4,5,6}}');
    expect(formatArrayFromFlat(['1', '2'], [2], [0])).toBe('[0:1]={1,2}');
    expect(formatArrayFromFlat([], [], [])).toBe('{}');
  });
});
