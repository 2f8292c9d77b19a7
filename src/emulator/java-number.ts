// Double.toString as Java prints it, which is what the service's JSON result format shows
// (`10.0`, `4.9E-324`, `1.7976931348623157E308`). JS picks the same shortest digits; only the
// layout differs.

export function javaDoubleToString(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // Java's documented text for the smallest subnormal; the shortest digits would be 5E-324.
  if (Math.abs(x) === Number.MIN_VALUE) return (x < 0 ? '-' : '') + '4.9E-324';
  const sign = x < 0 ? '-' : '';
  const abs = Math.abs(x);
  const [mantissa, exp] = abs.toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exp);
  if (abs >= 1e-3 && abs < 1e7) {
    const pointAt = exponent + 1;
    let intPart: string;
    let fracPart: string;
    if (pointAt <= 0) {
      intPart = '0';
      fracPart = '0'.repeat(-pointAt) + digits;
    } else {
      intPart = digits.slice(0, pointAt).padEnd(pointAt, '0');
      fracPart = digits.slice(pointAt);
    }
    return `${sign}${intPart}.${fracPart || '0'}`;
  }
  const frac = digits.slice(1) || '0';
  return `${sign}${digits[0]}.${frac}E${exponent}`;
}
