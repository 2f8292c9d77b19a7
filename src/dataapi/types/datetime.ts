// Dates and times between PostgreSQL's text forms (ISO DateStyle, as the Data API returns them)
// and its binary forms: date = int32 days since 2000-01-01, time = int64 microseconds since
// midnight, timestamp[tz] = int64 microseconds since 2000-01-01 00:00:00 UTC. The calendar is
// the proleptic Gregorian one PostgreSQL uses; year 1 BC is astronomical year 0.

export const DATE_POS_INFINITY = 0x7fffffff;
export const DATE_NEG_INFINITY = -0x80000000;
export const TIMESTAMP_POS_INFINITY = 0x7fffffffffffffffn;
export const TIMESTAMP_NEG_INFINITY = -0x8000000000000000n;

const MICROS_PER_DAY = 86_400_000_000n;
/** Days from 1970-01-01 to 2000-01-01. */
const UNIX_TO_PG_DAYS = 10_957;

/** Days since 1970-01-01 of a proleptic Gregorian date (astronomical year). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = (month + 9) % 12; // March = 0
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

function pad(n: number | bigint, width: number): string {
  return n.toString().padStart(width, '0');
}

const DATE_RE = /^(\d{4,})-(\d{1,2})-(\d{1,2})$/;

/** `YYYY-MM-DD[ BC]`, `infinity`, `-infinity` -> days since 2000-01-01 (undefined if not a date). */
export function parseDate(text: string): number | undefined {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (lower === 'infinity' || lower === '+infinity') return DATE_POS_INFINITY;
  if (lower === '-infinity') return DATE_NEG_INFINITY;
  const bc = / BC$/i.test(t);
  const match = DATE_RE.exec(bc ? t.slice(0, -3) : t);
  if (!match) return undefined;
  const year = bc ? 1 - Number(match[1]) : Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return daysFromCivil(year, month, day) - UNIX_TO_PG_DAYS;
}

/** Days since 2000-01-01 -> PostgreSQL's ISO text (`0044-03-15 BC`, `infinity`). */
export function formatDate(pgDays: number): string {
  if (pgDays === DATE_POS_INFINITY) return 'infinity';
  if (pgDays === DATE_NEG_INFINITY) return '-infinity';
  const { year, month, day } = civilFromDays(pgDays + UNIX_TO_PG_DAYS);
  return formatYmd(year, month, day) + (year <= 0 ? ' BC' : '');
}

function formatYmd(year: number, month: number, day: number): string {
  const shown = year <= 0 ? 1 - year : year;
  return `${pad(shown, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;

/** Fraction digits -> microseconds, rounded half up like PostgreSQL's rint on input. */
function fractionToMicros(fraction: string | undefined): number {
  if (!fraction) return 0;
  const six = Number(fraction.slice(0, 6).padEnd(6, '0'));
  return fraction.length > 6 && fraction.charCodeAt(6) >= 0x35 ? six + 1 : six;
}

/** `HH:MM[:SS[.ffffff]]` -> microseconds since midnight (undefined if not a time). */
export function parseTime(text: string): number | undefined {
  const match = TIME_RE.exec(text.trim());
  if (!match) return undefined;
  const h = Number(match[1]);
  const m = Number(match[2]);
  const s = Number(match[3] ?? '0');
  if (m > 59 || s > 60) return undefined;
  const micros = ((h * 60 + m) * 60 + s) * 1_000_000 + fractionToMicros(match[4]);
  if (micros > 86_400_000_000) return undefined;
  return micros;
}

/** `.ffffff` with trailing zeros removed, or '' for whole seconds (PostgreSQL's AppendSeconds). */
function fractionText(micros: number): string {
  if (micros === 0) return '';
  return '.' + pad(micros, 6).replace(/0+$/, '');
}

/** Microseconds since midnight -> `HH:MM:SS[.ffffff]`. */
export function formatTime(micros: number): string {
  const totalSeconds = Math.floor(micros / 1_000_000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor(totalSeconds / 60) % 60;
  const s = totalSeconds % 60;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fractionText(micros % 1_000_000)}`;
}

/** A UTC offset in PostgreSQL's output form: `+00`, `+05:30`, `-03:00:15`. */
export function formatOffset(secondsEast: number): string {
  const sign = secondsEast < 0 ? '-' : '+';
  const abs = Math.abs(secondsEast);
  const h = Math.floor(abs / 3600);
  const m = Math.floor(abs / 60) % 60;
  const s = abs % 60;
  return `${sign}${pad(h, 2)}${m || s ? ':' + pad(m, 2) : ''}${s ? ':' + pad(s, 2) : ''}`;
}

const OFFSET_RE = /(?:([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?|(Z|UTC|GMT))$/i;
const TIMESTAMP_RE = /^(\d{4,})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?$/;

export interface ParsedTimestamp {
  /** Microseconds since 2000-01-01 00:00:00 of the wall time, minus the offset when one was given. */
  micros: bigint;
  /** Whether the text carried an explicit UTC offset. */
  hadOffset: boolean;
}

/**
 * `YYYY-MM-DD[ T]HH:MM[:SS[.f]][offset][ BC]`, `infinity`, `-infinity` -> microseconds since
 * the PostgreSQL epoch. Undefined when the text is not in that form.
 */
export function parseTimestamp(text: string): ParsedTimestamp | undefined {
  let t = text.trim();
  const lower = t.toLowerCase();
  if (lower === 'infinity' || lower === '+infinity') return { micros: TIMESTAMP_POS_INFINITY, hadOffset: false };
  if (lower === '-infinity') return { micros: TIMESTAMP_NEG_INFINITY, hadOffset: false };
  const bc = / BC$/i.test(t);
  if (bc) t = t.slice(0, -3).trimEnd();
  let offsetSeconds = 0;
  let hadOffset = false;
  const timeStart = t.search(/[ T]\d/);
  if (timeStart > 0) {
    const zone = OFFSET_RE.exec(t.slice(timeStart + 1));
    if (zone) {
      hadOffset = true;
      if (!zone[5]) {
        const secs = Number(zone[2]) * 3600 + Number(zone[3] ?? '0') * 60 + Number(zone[4] ?? '0');
        offsetSeconds = zone[1] === '-' ? -secs : secs;
      }
      t = t.slice(0, t.length - zone[0].length).trimEnd();
    }
  }
  const match = TIMESTAMP_RE.exec(t);
  if (!match) return undefined;
  const year = bc ? 1 - Number(match[1]) : Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const h = Number(match[4] ?? '0');
  const m = Number(match[5] ?? '0');
  const s = Number(match[6] ?? '0');
  if (h > 24 || m > 59 || s > 60) return undefined;
  const days = BigInt(daysFromCivil(year, month, day) - UNIX_TO_PG_DAYS);
  const timeMicros = BigInt(((h * 60 + m) * 60 + s - offsetSeconds) * 1_000_000 + fractionToMicros(match[7]));
  return { micros: days * MICROS_PER_DAY + timeMicros, hadOffset };
}

/** Microseconds since the PostgreSQL epoch -> ISO text, with `+00` when `utcOffset` is set. */
export function formatTimestamp(micros: bigint, utcOffset: boolean): string {
  if (micros === TIMESTAMP_POS_INFINITY) return 'infinity';
  if (micros === TIMESTAMP_NEG_INFINITY) return '-infinity';
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const { year, month, day } = civilFromDays(Number(days) + UNIX_TO_PG_DAYS);
  const time = formatTime(Number(rest));
  return `${formatYmd(year, month, day)} ${time}${utcOffset ? '+00' : ''}${year <= 0 ? ' BC' : ''}`;
}

/**
 * Trailing zeros of the fractional seconds removed, as PostgreSQL prints them, for text in
 * PostgreSQL's own layout; anything else comes back unchanged.
 */
export function trimFractionZeros(text: string): string {
  return text.replace(/(\d{2}:\d{2}:\d{2})\.(\d*?)0+(?=$|[+\- ])/, (_all, hms: string, keep: string) =>
    keep ? `${hms}.${keep}` : hms,
  );
}
