// Shows a timestamptz in the session's TimeZone, as PostgreSQL does. The Data API always returns
// timestamptz as UTC wall time; when the client set another zone, the value is moved into it and
// printed with that zone's offset (`+01`, `+05:30`, `-03:30`, `+00:09:21` for local mean time).
// Zone rules come from Node's ICU copy of the tz database; for dates before 1970 it can fold a
// zone's history differently from the server's copy.

import { posixFixedOffset } from './time-zone-name.js';
import { parsePosixZone, posixOffsetAt } from './posix-zone.js';

const UTC_NAMES = new Set(['utc', 'etc/utc', 'gmt', 'etc/gmt', 'z', 'zulu', 'universal', 'etc/universal', 'uct', 'etc/uct', 'gmt0', 'greenwich']);

const formatters = new Map<string, Intl.DateTimeFormat | null>();

/** A formatter for the zone, or null when it is UTC or a zone this runtime does not know. */
function formatterFor(zone: string): Intl.DateTimeFormat | null {
  const key = zone.trim();
  if (UTC_NAMES.has(key.toLowerCase())) return null;
  if (!formatters.has(key)) {
    let f: Intl.DateTimeFormat | null = null;
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: key,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      f = null;
    }
    formatters.set(key, f);
  }
  return formatters.get(key)!;
}

/** Whether values can be shown in this zone (else they stay in UTC). */
export function isKnownTimeZone(zone: string): boolean {
  return posixFixedOffset(zone) !== null || UTC_NAMES.has(zone.trim().toLowerCase()) || formatterFor(zone) !== null || parsePosixZone(zone) !== null;
}

const UTC_WALL = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

/**
 * `YYYY-MM-DD HH:MM:SS[.f]` in UTC to the same instant in `zone`, with PostgreSQL's offset
 * suffix; null when the value or zone is outside what can be converted (the caller then keeps
 * the UTC form).
 */
export function utcWallToZone(utcWall: string, zone: string): string | null {
  const fixed = posixFixedOffset(zone);
  if (fixed !== null) return shiftByOffset(utcWall, fixed);
  const f = formatterFor(zone);
  const m = UTC_WALL.exec(utcWall);
  if (!f && m) return withPosixRules(utcWall, m, zone);
  if (!f || !m) return null;
  const date = new Date(0);
  date.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);
  date.setUTCHours(+m[4], +m[5], +m[6], 0);
  const instant = date.getTime();
  if (Number.isNaN(instant)) return null;
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(date)) parts[p.type] = p.value;
  if (parts.era !== 'AD') return null;
  const local = new Date(0);
  local.setUTCFullYear(+parts.year, +parts.month - 1, +parts.day);
  local.setUTCHours(+parts.hour, +parts.minute, +parts.second, 0);
  const offsetSeconds = Math.round((local.getTime() - instant) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const wall = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${m[7] ?? ''}`;
  return wall + formatOffsetSeconds(offsetSeconds);
}

function formatOffsetSeconds(total: number): string {
  const sign = total < 0 ? '-' : '+';
  const abs = Math.abs(total);
  const h = Math.floor(abs / 3600);
  const mi = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  let out = `${sign}${String(h).padStart(2, '0')}`;
  if (mi !== 0 || s !== 0) out += `:${String(mi).padStart(2, '0')}`;
  if (s !== 0) out += `:${String(s).padStart(2, '0')}`;
  return out;
}

/** A UTC wall time moved by a fixed offset (a POSIX-style zone such as `<+05:30>-05:30` or `UTC+3`). */
function shiftByOffset(utcWall: string, secondsEast: number): string | null {
  const m = UTC_WALL.exec(utcWall);
  if (!m) return null;
  const date = new Date(0);
  date.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);
  date.setUTCHours(+m[4], +m[5], +m[6] + secondsEast, 0);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1) return null;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const wall = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${m[7] ?? ''}`;
  return wall + formatOffsetSeconds(secondsEast);
}

/** A POSIX zone string with daylight-saving rules that no tz database name matches (posix-zone.ts). */
function withPosixRules(utcWall: string, m: RegExpExecArray, zone: string): string | null {
  if (UTC_NAMES.has(zone.trim().toLowerCase())) return null;
  const rules = parsePosixZone(zone);
  if (!rules) return null;
  const date = new Date(0);
  date.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);
  date.setUTCHours(+m[4], +m[5], +m[6], 0);
  if (Number.isNaN(date.getTime())) return null;
  return shiftByOffset(utcWall, posixOffsetAt(rules, date.getTime()));
}
