// interval: int64 microseconds, int32 days, int32 months (interval_send). The Data API session
// prints intervals in IntervalStyle postgres (`1 year 2 mons -3 days +04:05:06.5`), the only
// form read here; another style fails the value rather than being misread.
import { BinaryReader, BinaryWriter, type TextBinaryCodec } from './codec.js';

const POSTGRES_STYLE =
  /^(?:([+-]?\d+) years? ?)?(?:([+-]?\d+) mons? ?)?(?:([+-]?\d+) days? ?)?(?:([+-])?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/;

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

export function parseIntervalText(text: string): { micros: bigint; days: number; months: number } | undefined {
  const m = POSTGRES_STYLE.exec(text);
  if (!m || text === '') return undefined;
  const months = Number(m[1] ?? 0) * 12 + Number(m[2] ?? 0);
  const days = Number(m[3] ?? 0);
  if (months < INT32_MIN || months > INT32_MAX || days < INT32_MIN || days > INT32_MAX) return undefined;
  let micros = 0n;
  if (m[5] !== undefined) {
    const seconds = (BigInt(m[5]) * 60n + BigInt(m[6])) * 60n + BigInt(m[7]);
    micros = seconds * 1_000_000n + BigInt((m[8] ?? '').padEnd(6, '0') || '0');
    if (m[4] === '-') micros = -micros;
  }
  return { micros, days, months };
}

/**
 * Interval text that interval_in reads back exactly under every IntervalStyle: each field with
 * its own sign, so that sql_standard's "a leading sign applies to all fields" never applies.
 */
export function formatIntervalInput(micros: bigint, days: number, months: number): string {
  const signed = (n: number) => (n < 0 ? `${n}` : `+${n}`);
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const hours = abs / 3_600_000_000n;
  const minutes = (abs / 60_000_000n) % 60n;
  const seconds = (abs / 1_000_000n) % 60n;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  const two = (n: bigint) => n.toString().padStart(2, '0');
  const time = `${negative ? '-' : '+'}${hours}:${two(minutes)}:${two(seconds)}${fraction ? '.' + fraction : ''}`;
  return `${signed(months)} mons ${signed(days)} days ${time}`;
}

export const intervalCodec: TextBinaryCodec = {
  send(text) {
    const v = parseIntervalText(text);
    return v && new BinaryWriter().int64(v.micros).int32(v.days).int32(v.months).done();
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const micros = r.int64();
    const days = r.int32();
    const months = r.int32();
    r.end();
    return formatIntervalInput(micros, days, months);
  },
};
