// Turns a row as a JavaScript client returns it into the normalised form of workload.ts, by
// column name. Dates without a time zone (date, timestamp) become JavaScript Dates at local
// midnight/time in node-postgres and Postgres.js, so they are read back with local components.
import { TYPED_COLUMNS } from './driver-schema.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function localDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function localTimestamp(d: Date): string {
  return `${localDate(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** PostgreSQL interval text ('1 day 02:03:04', postgres style) or a parsed interval object -> seconds. */
export function intervalSeconds(v: unknown): number {
  if (typeof v === 'string') {
    const m = /^(?:(-?\d+) days? ?)?(?:(-?)(\d+):(\d+):(\d+(?:\.\d+)?))?$/.exec(v.trim());
    if (!m) throw new Error(`unexpected interval text ${JSON.stringify(v)}`);
    const sign = m[2] === '-' ? -1 : 1;
    return Number(m[1] ?? 0) * 86400 + sign * (Number(m[3] ?? 0) * 3600 + Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0));
  }
  const o = v as Record<string, number | undefined>;
  if ((o.years ?? 0) !== 0 || (o.months ?? 0) !== 0) throw new Error(`interval with months: ${JSON.stringify(v)}`);
  return (o.days ?? 0) * 86400 + (o.hours ?? 0) * 3600 + (o.minutes ?? 0) * 60 + (o.seconds ?? 0) + (o.milliseconds ?? 0) / 1000;
}

function normaliseValue(column: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (column) {
    case 'i8':
    case 'num':
      return String(v);
    case 'by':
      return Buffer.isBuffer(v) ? v.toString('hex') : v;
    case 'd':
      return v instanceof Date ? localDate(v) : v;
    case 'ts':
      return v instanceof Date ? localTimestamp(v) : String(v).replace(' ', 'T');
    case 'tstz':
      return (v instanceof Date ? v : new Date(String(v))).toISOString();
    case 'iv':
      return intervalSeconds(v);
    case 'j':
    case 'jb':
      return typeof v === 'string' ? JSON.parse(v) : v;
    default:
      return v;
  }
}

export function normaliseRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(TYPED_COLUMNS.map((c) => [c, normaliseValue(c, row[c])]));
}
