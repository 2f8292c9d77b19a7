// Date and time text as the service returns it. PostgreSQL already prints timestamps as
// `YYYY-MM-DD HH:MM:SS[.ffffff]` without trailing fractional zeros; timestamptz additionally
// carries the session's offset, which the service removes after converting to UTC.

const TIMESTAMPTZ = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?( BC)?$/;

export function isInfinite(text: string): boolean {
  return text === 'infinity' || text === '-infinity';
}

/** Drops trailing zeros of the fraction, and the dot when nothing is left: 48.990 -> 48.99. */
export function trimFraction(fraction: string): string {
  const trimmed = fraction.replace(/0+$/, '');
  return trimmed === '.' ? '' : trimmed;
}

export function formatTimestamp(text: string): string {
  return text.replace(/(\.\d+)(?=$| BC$)/, (f) => trimFraction(f));
}

/** `2024-01-15 12:34:56.5+09` -> `2024-01-15 03:34:56.5`. */
export function timestamptzToUtc(text: string): string {
  const m = TIMESTAMPTZ.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh, om = '0', os = '0', bc = ''] = m;
  const offsetSeconds = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os));
  const frac = trimFraction(fraction);
  if (offsetSeconds === 0 || bc || y.length > 4) {
    return `${y}-${mo}-${d} ${h}:${mi}:${s}${frac}${bc}`;
  }
  const local = new Date(0);
  local.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  local.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const utc = new Date(local.getTime() - offsetSeconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())} ` +
    `${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}${frac}`
  );
}
