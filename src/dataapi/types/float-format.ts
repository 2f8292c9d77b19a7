// float4out/float8out of PostgreSQL 15 with extra_float_digits > 0 (1 is the default since 12):
// the shortest digit string that reads back as the same value (Ryu), laid out the way
// PostgreSQL's own d2s.c/f2s.c do: fixed notation while the decimal exponent is in
// [-4, 15) for float8 and [-4, 6) for float4, otherwise `d.ddde±XX` with at least two
// exponent digits; `NaN`, `Infinity`, `-Infinity`, `0`, `-0`.

interface Decimal {
  /** Significant digits without leading or trailing zeros. */
  digits: string;
  /** Power of ten of the first digit: value = d.ddd × 10^exponent. */
  exponent: number;
}

/** Text PostgreSQL 15 sends for a float8 value (under the session's extra_float_digits). */
export function formatFloat8(value: number, extraFloatDigits = 1): string {
  const special = formatSpecial(value);
  if (special !== undefined) return special;
  if (extraFloatDigits <= 0) return formatG(value, 15 + extraFloatDigits);
  return layout(value < 0, shortestFloat64(Math.abs(value)), 15);
}

/** Text PostgreSQL 15 sends for a float4 value; `value` is rounded to float32 first. */
export function formatFloat4(value: number, extraFloatDigits = 1): string {
  const f = Math.fround(value);
  const special = formatSpecial(f);
  if (special !== undefined) return special;
  if (extraFloatDigits <= 0) return formatG(f, 6 + extraFloatDigits);
  return layout(f < 0, shortestFloat32(Math.abs(f)), 6);
}

/**
 * C's `%.<precision>g`, which float8out/float4out use when extra_float_digits <= 0: rounded to
 * `precision` significant digits (exact ties to even), trailing zeros dropped, exponent form
 * below 1e-4 or from 10^precision on.
 */
function formatG(value: number, precision: number): string {
  const p = Math.max(1, precision);
  const abs = Math.abs(value);
  let [mantissa, exp] = abs.toExponential(p - 1).split('e');
  let digits = mantissa.replace('.', '');
  // JavaScript rounds an exact tie up; C rounds it to even. A tie shows as 5 and zeros after.
  const [longMantissa, longExp] = abs.toExponential(Math.min(100, p + 24)).split('e');
  const longDigits = longMantissa.replace('.', '');
  if (/^50*$/.test(longDigits.slice(p)) && Number(longDigits[p - 1]) % 2 === 0) {
    digits = longDigits.slice(0, p);
    exp = longExp;
  }
  const x = Number(exp);
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const trim = (s: string) => s.replace(/0+$/, '');
  if (x < -4 || x >= p) {
    const fraction = trim(digits.slice(1));
    mantissa = fraction ? `${digits[0]}.${fraction}` : digits[0];
    return `${sign}${mantissa}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  if (x < 0) return `${sign}0.${'0'.repeat(-x - 1)}${trim(digits)}`;
  const fraction = trim(digits.slice(x + 1));
  return `${sign}${digits.slice(0, x + 1)}${fraction ? `.${fraction}` : ''}`;
}

function formatSpecial(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return undefined;
}

function layout(negative: boolean, d: Decimal, fixedBelow: number): string {
  const sign = negative ? '-' : '';
  const { digits, exponent } = d;
  if (exponent < -4 || exponent >= fixedBelow) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const abs = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intLen = exponent + 1;
  if (digits.length <= intLen) return sign + digits + '0'.repeat(intLen - digits.length);
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

const DV = new DataView(new ArrayBuffer(8));
const TWO_53 = 2 ** 53;

// ECMAScript's Number-to-string gives the shortest round-tripping digits nearest to the value,
// as Ryu does, but PostgreSQL builds Ryu without STRICTLY_SHORTEST: the interval's bounds never
// count, where ECMAScript accepts a bound that reads back by ties-to-even (1e23 is printed
// 9.999999999999999e+22 by PostgreSQL). A decimal can sit exactly on a bound only if it is a
// dyadic number with a 53-bit odd part, which excludes every short digit string below 2^53,
// so the exact search runs only for the few values that could differ.
function shortestFloat64(v: number): Decimal {
  const s = v.toExponential();
  const e = s.indexOf('e');
  const digits = s.slice(0, e).replace('.', '');
  const exponent = Number(s.slice(e + 1));
  const q = exponent - (digits.length - 1); // value = digits × 10^q
  if (q >= 0 ? v < TWO_53 || q > 23 : digits.length < 16 || BigInt(digits) % 5n ** BigInt(-q) !== 0n) {
    return { digits, exponent };
  }
  DV.setFloat64(0, v);
  const hi = DV.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(DV.getUint32(4));
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e2 = (biased === 0 ? 1 : biased) - 1075;
  // An integer candidate (and v >= 2^53 is an integer) is on a bound only at exactly half an ulp.
  if (q >= 0) {
    const distance = BigInt(digits) * 10n ** BigInt(q) - BigInt(v);
    const halfUlp = 1n << BigInt(e2 - 1);
    const lowerHalf = fraction === 0n && biased > 1 ? halfUlp / 2n : halfUlp;
    if (distance !== halfUlp && distance !== -lowerHalf) return { digits, exponent };
  }
  return shortestInInterval(m, e2, fraction === 0n && biased > 1, false, v);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

// JavaScript has no float32 printer, so find the shortest decimal in float32's rounding
// interval exactly, with integers: value = m·2^e, interval (v - gapBelow/2, v + ulp/2), bounds
// excluded as in PostgreSQL's f2s.c.
function shortestFloat32(v: number): Decimal {
  F32[0] = v;
  const bits = U32[0];
  const biased = (bits >>> 23) & 0xff;
  const fraction = bits & 0x7fffff;
  const m = biased === 0 ? fraction : fraction | 0x800000;
  const e = (biased === 0 ? 1 : biased) - 150;
  // Just above a power of two the float below is half as far away.
  const narrowBelow = fraction === 0 && biased > 1;
  return shortestInInterval(BigInt(m), e, narrowBelow, false, v);
}

/**
 * Shortest decimal within the round-to-nearest interval of m·2^e (bounds included only when
 * `inclusive`), nearest to the value, ties to an even last digit. Exported for tests.
 */
export function shortestInInterval(m: bigint, e: number, narrowBelow: boolean, inclusive: boolean, approx: number): Decimal {
  // Work in units of 2^(e-2) so both half-gaps are integers.
  const shift = e - 2;
  const scaleUp = shift > 0 ? 1n << BigInt(shift) : 1n;
  const denom = shift < 0 ? 1n << BigInt(-shift) : 1n;
  const center = 4n * m * scaleUp;
  const low = (4n * m - (narrowBelow ? 1n : 2n)) * scaleUp;
  const high = (4n * m + 2n) * scaleUp;

  let k = Math.floor(Math.log10(approx)) + 2;
  for (;;) {
    // Candidates are N·10^k; compare N·unit with the bounds scaled by num.
    let unit: bigint;
    let num: bigint;
    if (k >= 0) {
      unit = denom * 10n ** BigInt(k);
      num = 1n;
    } else {
      unit = denom;
      num = 10n ** BigInt(-k);
    }
    const lo = low * num;
    const hi = high * num;
    let nMin = ceilDiv(lo, unit);
    if (!inclusive && nMin * unit === lo) nMin += 1n;
    let nMax = hi / unit;
    if (!inclusive && nMax * unit === hi) nMax -= 1n;
    if (nMin <= nMax && nMax > 0n) {
      const c = center * num;
      let n = c / unit;
      const rem2 = (c - n * unit) * 2n;
      if (rem2 > unit || (rem2 === unit && n % 2n === 1n)) n += 1n;
      if (n < nMin) n = nMin;
      if (n > nMax) n = nMax;
      let digits = n.toString();
      let exp = k;
      while (digits.length > 1 && digits.endsWith('0')) {
        digits = digits.slice(0, -1);
        exp += 1;
      }
      return { digits, exponent: exp + digits.length - 1 };
    }
    k -= 1;
  }
}

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b === a ? q : q + 1n;
}
