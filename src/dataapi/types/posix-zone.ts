// POSIX TZ strings with daylight-saving rules (`XYZ3ABC,M3.2.0,M11.1.0`, `<-03>3<-02>,M3.5.0/-2,
// M10.5.0/-1`), which PostgreSQL accepts as a TimeZone when no tz database file has the name.
// Follows tzparse() in PostgreSQL's src/timezone/localtime.c: offsets are west-positive, the
// daylight offset defaults to one hour ahead of standard time, a rule's time to 02:00, and a
// zone with a daylight name but no rules gets the default rule M3.2.0,M11.1.0 (used for every
// year, as PostgreSQL 15 does).

type Rule =
  | { kind: 'julian-no-leap'; day: number; seconds: number }
  | { kind: 'zero-based'; day: number; seconds: number }
  | { kind: 'month-week-day'; month: number; week: number; weekday: number; seconds: number };

export interface PosixZone {
  /** Seconds east of Greenwich in standard time. */
  standardEast: number;
  daylight: { east: number; start: Rule; end: Rule } | null;
}

const NAME = /^(?:<[+-]?[A-Za-z0-9:]+>|[A-Za-z]{3,})/;
const OFFSET = /^([+-]?)(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}))?)?/;

export function parsePosixZone(text: string): PosixZone | null {
  let rest = text.trim();
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(m[0].length);
    return m;
  };
  const seconds = (m: RegExpExecArray): number => {
    const s = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    return m[1] === '-' ? -s : s;
  };
  if (!take(NAME)) return null;
  const std = take(OFFSET);
  if (!std) return null;
  const standardEast = -seconds(std);
  if (rest === '') return { standardEast, daylight: null };
  if (!take(NAME)) return null;
  const dst = take(OFFSET);
  const daylightEast = dst ? -seconds(dst) : standardEast + 3600;
  let start: Rule | null;
  let end: Rule | null;
  if (rest === '') {
    start = { kind: 'month-week-day', month: 3, week: 2, weekday: 0, seconds: 7200 };
    end = { kind: 'month-week-day', month: 11, week: 1, weekday: 0, seconds: 7200 };
  } else {
    if (!take(/^,/)) return null;
    start = parseRule(take);
    if (!start || !take(/^,/)) return null;
    end = parseRule(take);
    if (!end || rest !== '') return null;
  }
  return { standardEast, daylight: { east: daylightEast, start, end } };
}

function parseRule(take: (re: RegExp) => RegExpExecArray | null): Rule | null {
  let rule: Rule | null = null;
  let m: RegExpExecArray | null;
  if ((m = take(/^J(\d{1,3})/))) {
    const day = Number(m[1]);
    if (day < 1 || day > 365) return null;
    rule = { kind: 'julian-no-leap', day, seconds: 7200 };
  } else if ((m = take(/^M(\d{1,2})\.(\d)\.(\d)/))) {
    const [month, week, weekday] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (month < 1 || month > 12 || week < 1 || week > 5 || weekday > 6) return null;
    rule = { kind: 'month-week-day', month, week, weekday, seconds: 7200 };
  } else if ((m = take(/^(\d{1,3})/))) {
    const day = Number(m[1]);
    if (day > 365) return null;
    rule = { kind: 'zero-based', day, seconds: 7200 };
  } else {
    return null;
  }
  const time = take(/^\/([+-]?)(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}))?)?/);
  if (time) {
    const s = Number(time[2]) * 3600 + Number(time[3] ?? 0) * 60 + Number(time[4] ?? 0);
    rule.seconds = time[1] === '-' ? -s : s;
  }
  return rule;
}

const DAY_MS = 86_400_000;

/** The local wall time (as milliseconds of a UTC-based clock) at which a rule fires in a year. */
function ruleWallMs(rule: Rule, year: number): number {
  const jan1 = Date.UTC(year, 0, 1);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  let dayMs: number;
  switch (rule.kind) {
    case 'julian-no-leap':
      dayMs = jan1 + (rule.day - 1 + (leap && rule.day >= 60 ? 1 : 0)) * DAY_MS;
      break;
    case 'zero-based':
      dayMs = jan1 + rule.day * DAY_MS;
      break;
    case 'month-week-day': {
      const first = Date.UTC(year, rule.month - 1, 1);
      const daysInMonth = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
      let day = 1 + ((rule.weekday - new Date(first).getUTCDay() + 7) % 7) + (rule.week - 1) * 7;
      while (day > daysInMonth) day -= 7;
      dayMs = first + (day - 1) * DAY_MS;
      break;
    }
  }
  return dayMs + rule.seconds * 1000;
}

/** Seconds east of Greenwich in force at a UTC instant. */
export function posixOffsetAt(zone: PosixZone, utcMs: number): number {
  const d = zone.daylight;
  if (!d) return zone.standardEast;
  const year = new Date(utcMs).getUTCFullYear();
  // The start fires on standard time, the end on daylight time.
  const start = ruleWallMs(d.start, year) - zone.standardEast * 1000;
  const end = ruleWallMs(d.end, year) - d.east * 1000;
  const inDaylight = start < end ? utcMs >= start && utcMs < end : !(utcMs >= end && utcMs < start);
  return inDaylight ? d.east : zone.standardEast;
}
