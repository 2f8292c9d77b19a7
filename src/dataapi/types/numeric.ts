// numeric between its text form and PostgreSQL's binary form: int16 ndigits, int16 weight,
// uint16 sign (0x0000 +, 0x4000 -, 0xC000 NaN, 0xD000 +Infinity, 0xF000 -Infinity),
// uint16 dscale, then ndigits base-10000 digits; value = sum digit[i] * 10000^(weight - i).

const SIGN_POS = 0x0000;
const SIGN_NEG = 0x4000;
const SIGN_NAN = 0xc000;
const SIGN_PINF = 0xd000;
const SIGN_NINF = 0xf000;
const MAX_DSCALE = 0x3fff;

const PLAIN_RE = /^([+-])?(\d*)(?:\.(\d*))?$/;
const EXPONENT_RE = /^([+-])?(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/;

/**
 * A numeric string in plain notation, as PostgreSQL prints it. Java's BigDecimal may print
 * `1E-7` for 0.0000001; that is spelled out, keeping the scale the exponent implies.
 * Undefined when the text is not a number.
 */
export function normalizeNumericText(text: string): string | undefined {
  const t = text.trim();
  const special = specialName(t);
  if (special) return special;
  if (PLAIN_RE.test(t)) return /\d/.test(t) ? t : undefined;
  const m = EXPONENT_RE.exec(t);
  if (!m || !/\d/.test((m[2] ?? '') + (m[3] ?? ''))) return undefined;
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  const exp = Number(m[4]);
  const digits = intPart + frac;
  const point = intPart.length + exp; // position of the decimal point within digits
  let whole: string;
  let fraction: string;
  if (point <= 0) {
    whole = '0';
    fraction = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    whole = digits + '0'.repeat(point - digits.length);
    fraction = '';
  } else {
    whole = digits.slice(0, point);
    fraction = digits.slice(point);
  }
  whole = whole.replace(/^0+(?=\d)/, '');
  const sign = m[1] === '-' ? '-' : '';
  return fraction ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}

function specialName(t: string): string | undefined {
  const lower = t.toLowerCase();
  if (lower === 'nan') return 'NaN';
  if (lower === 'infinity' || lower === '+infinity' || lower === 'inf' || lower === '+inf') return 'Infinity';
  if (lower === '-infinity' || lower === '-inf') return '-Infinity';
  return undefined;
}

/** numeric text (plain or exponent notation, NaN, ±Infinity) -> binary; undefined if not a number. */
export function encodeNumericBinary(text: string): Buffer | undefined {
  const plain = normalizeNumericText(text);
  if (plain === undefined) return undefined;
  if (plain === 'NaN') return header(0, 0, SIGN_NAN, 0);
  // PostgreSQL 15 derives the dscale of ±Infinity from their header bits and so sends 32.
  if (plain === 'Infinity') return header(0, 0, SIGN_PINF, 32);
  if (plain === '-Infinity') return header(0, 0, SIGN_NINF, 32);
  const m = PLAIN_RE.exec(plain)!;
  const negative = m[1] === '-';
  const intDigits = (m[2] ?? '').replace(/^0+/, '');
  const fracDigits = m[3] ?? '';
  const dscale = Math.min(fracDigits.length, MAX_DSCALE);
  // Align on the decimal point in groups of four.
  const intPadded = '0'.repeat((4 - (intDigits.length % 4)) % 4) + intDigits;
  const fracPadded = fracDigits + '0'.repeat((4 - (fracDigits.length % 4)) % 4);
  const groups: number[] = [];
  for (let i = 0; i < intPadded.length; i += 4) groups.push(Number(intPadded.slice(i, i + 4)));
  for (let i = 0; i < fracPadded.length; i += 4) groups.push(Number(fracPadded.slice(i, i + 4)));
  let weight = intPadded.length / 4 - 1;
  let start = 0;
  while (start < groups.length && groups[start] === 0) {
    start += 1;
    weight -= 1;
  }
  let end = groups.length;
  while (end > start && groups[end - 1] === 0) end -= 1;
  const digits = groups.slice(start, end);
  if (digits.length === 0) return header(0, 0, SIGN_POS, dscale);
  const buf = header(digits.length, weight, negative ? SIGN_NEG : SIGN_POS, dscale, digits.length);
  digits.forEach((d, i) => buf.writeUInt16BE(d, 8 + 2 * i));
  return buf;
}

function header(ndigits: number, weight: number, sign: number, dscale: number, room = 0): Buffer {
  const buf = Buffer.alloc(8 + 2 * room);
  buf.writeInt16BE(ndigits, 0);
  buf.writeInt16BE(weight, 2);
  buf.writeUInt16BE(sign, 4);
  buf.writeUInt16BE(dscale, 6);
  return buf;
}

/** Why a binary numeric was refused, in PostgreSQL's words. */
export type NumericDecodeProblem = 'length' | 'sign' | 'digit' | 'scale';

/** Binary numeric -> PostgreSQL's text (numeric_out), or the reason it is malformed. */
export function decodeNumericBinary(buf: Buffer): { text: string } | { problem: NumericDecodeProblem } {
  if (buf.length < 8) return { problem: 'length' };
  const ndigits = buf.readInt16BE(0);
  const weight = buf.readInt16BE(2);
  const sign = buf.readUInt16BE(4);
  const dscale = buf.readUInt16BE(6);
  if (ndigits < 0 || buf.length !== 8 + 2 * ndigits) return { problem: 'length' };
  if (sign === SIGN_NAN) return { text: 'NaN' };
  if (sign === SIGN_PINF) return { text: 'Infinity' };
  if (sign === SIGN_NINF) return { text: '-Infinity' };
  if (sign !== SIGN_POS && sign !== SIGN_NEG) return { problem: 'sign' };
  if (dscale > MAX_DSCALE) return { problem: 'scale' };
  const digits: number[] = [];
  for (let i = 0; i < ndigits; i++) {
    const d = buf.readUInt16BE(8 + 2 * i);
    if (d > 9999) return { problem: 'digit' };
    digits.push(d);
  }
  const digitAt = (i: number): number => (i >= 0 && i < digits.length ? digits[i] : 0);
  let whole = '';
  if (weight < 0) {
    whole = '0';
  } else {
    for (let i = 0; i <= weight; i++) {
      const d = digitAt(i);
      whole += i === 0 ? String(d) : String(d).padStart(4, '0');
    }
  }
  let fraction = '';
  if (dscale > 0) {
    for (let i = weight + 1; fraction.length < dscale; i++) fraction += String(digitAt(i)).padStart(4, '0');
    fraction = fraction.slice(0, dscale);
  }
  // numeric_recv truncates to dscale first, and a value truncated to zero loses its sign.
  const signText = sign === SIGN_NEG && /[1-9]/.test(whole + fraction) ? '-' : '';
  return { text: signText + whole + (dscale > 0 ? '.' + fraction : '') };
}
