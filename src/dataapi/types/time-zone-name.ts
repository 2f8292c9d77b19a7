// TimeZone values as PostgreSQL stores and reports them (check_timezone() in variable.c,
// pg_tzset_offset() in pgtz.c), for the forms whose canonical spelling is certain without the
// server's tz database: a number of hours and a plain HH:MM interval become an offset zone
// named `<+05:30>-05:30`. Zone names and POSIX strings are left to the database to spell.

/** PostgreSQL's name for a fixed offset, `secondsEast` of Greenwich: `<+05:30>-05:30`, `<-08>+08`. */
export function offsetZoneName(secondsEast: number): string {
  const abs = Math.abs(secondsEast);
  let text = String(Math.floor(abs / 3600)).padStart(2, '0');
  const rest = abs % 3600;
  if (rest !== 0) {
    text += `:${String(Math.floor(rest / 60)).padStart(2, '0')}`;
    if (rest % 60 !== 0) text += `:${String(rest % 60).padStart(2, '0')}`;
  }
  // pg_tzset_offset() takes the POSIX (west-positive) offset and names it `<-…>+…` when west.
  return secondsEast < 0 ? `<-${text}>+${text}` : `<+${text}>-${text}`;
}

/**
 * A value check_timezone() reads as a number of hours ("-7", "5.5"), as its offset zone name;
 * null when the text is not such a plain number (strtod's exotic forms go to the server).
 */
export function hoursZoneName(value: string): string | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value)) return null;
  const hours = Number(value);
  if (!(Math.abs(hours) < 24)) return null;
  // C converts -hours * SECS_PER_HOUR (a double) to long by truncation.
  return offsetZoneName(-Math.trunc(-hours * 3600));
}

/**
 * SET TIME ZONE INTERVAL '…' [HOUR | MINUTE | HOUR TO MINUTE] for the literals whose value is
 * plain: `[+-]HH:MM` (any qualifier but MINUTE reads it as hours and minutes) and a whole
 * number with HOUR or MINUTE. Null for anything else, which the server evaluates.
 */
export function intervalZoneName(literal: string, qualifier: string): string | null {
  const hm = /^\s*([+-]?)(\d{1,2}):(\d{2})\s*$/.exec(literal);
  if (hm && (qualifier === '' || qualifier === 'hour to minute')) {
    const minutes = Number(hm[3]);
    if (minutes > 59) return null;
    const seconds = (Number(hm[2]) * 3600 + minutes * 60) * (hm[1] === '-' ? -1 : 1);
    return offsetZoneName(seconds);
  }
  const whole = /^\s*([+-]?)(\d{1,4})\s*$/.exec(literal);
  if (whole && (qualifier === 'hour' || qualifier === 'minute')) {
    const n = Number(whole[2]) * (whole[1] === '-' ? -1 : 1);
    const seconds = qualifier === 'hour' ? n * 3600 : n * 60;
    return Math.abs(seconds) < 24 * 3600 ? offsetZoneName(seconds) : null;
  }
  return null;
}

/**
 * The fixed offset (seconds east of Greenwich) of a POSIX-style zone without daylight-saving
 * rules, as PostgreSQL reads it: `<+05:30>-05:30`, `UTC+3` (three hours west: POSIX signs are
 * inverted), `-05:30`. Null for zone names and for POSIX strings with a DST part.
 */
export function posixFixedOffset(zone: string): number | null {
  const m = /^(?:<[+-]?[A-Za-z0-9:]+>|[A-Za-z]{3,})?([+-]?)(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}))?)?$/.exec(zone.trim());
  if (!m) return null;
  const magnitude = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? magnitude : -magnitude;
}
