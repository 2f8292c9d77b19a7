// timestamptz values shown in the session's TimeZone exactly as PostgreSQL 15 prints them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type ThrowawayPostgres } from '../../harness/postgres.js';
import { isKnownTimeZone, utcWallToZone } from '../../../src/dataapi/types/time-zone.js';
import { hoursZoneName, intervalZoneName, offsetZoneName, posixFixedOffset } from '../../../src/dataapi/types/time-zone-name.js';

const ZONES = ['Europe/Berlin', 'America/St_Johns', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/New_York', 'Pacific/Chatham', 'Europe/Amsterdam'];
const INSTANTS = [
  '2026-01-15 12:00:00',
  '2026-07-15 23:59:59.5',
  '2026-03-29 00:59:59',
  '2026-03-29 01:00:00',
  '2026-10-25 00:30:00.123456',
  '2026-11-01 06:00:00',
  '1999-12-31 23:00:00',
  '1970-01-01 00:00:00',
];
// Before 1970 zone histories come from Node's ICU data, which the tz database folds differently
// from PostgreSQL's copy for some zones (Amsterdam before 1937): not compared.

describe('timestamptz in the session TimeZone', () => {
  let db: ThrowawayPostgres;
  let client: pg.Client;
  beforeAll(async () => {
    db = await startPostgres();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.stop();
  });

  it('matches PostgreSQL for zones with DST, half-hour and 45-minute offsets', async () => {
    for (const zone of ZONES) {
      await client.query(`set timezone = '${zone}'`);
      for (const utc of INSTANTS) {
        const res = await client.query(`select ($1::timestamp at time zone 'UTC')::text as v`, [utc]);
        expect(utcWallToZone(utc, zone), `${zone} ${utc}`).toBe(res.rows[0].v);
      }
    }
  });

  it('leaves UTC and unknown zones to the UTC form', () => {
    expect(utcWallToZone('2026-01-01 00:00:00', 'UTC')).toBeNull();
    expect(utcWallToZone('2026-01-01 00:00:00', 'Etc/UTC')).toBeNull();
    expect(utcWallToZone('2026-01-01 00:00:00', 'No/Such_Zone')).toBeNull();
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('GMT')).toBe(true);
    expect(isKnownTimeZone('No/Such_Zone')).toBe(false);
  });
});

describe('TimeZone values spelled and applied as PostgreSQL does', () => {
  let db: ThrowawayPostgres;
  let client: pg.Client;
  beforeAll(async () => {
    db = await startPostgres();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.stop();
  });

  const show = async (setSql: string) => {
    await client.query(setSql);
    return (await client.query('show timezone')).rows[0].TimeZone as string;
  };

  it('names offsets in hours as PostgreSQL does', async () => {
    for (const hours of ['0', '-7', '5.5', '+3', '-15.25', '12.75', '.5', '5.', '-0', '23.999', '1.0001']) {
      expect(hoursZoneName(hours), hours).toBe(await show(`set timezone = '${hours}'`));
    }
    expect(hoursZoneName('1e1')).toBeNull(); // strtod forms the server spells
    expect(hoursZoneName('Europe/Paris')).toBeNull();
    expect(hoursZoneName('100')).toBeNull();
  });

  it('names plain INTERVAL zones as PostgreSQL does', async () => {
    const cases: [string, string][] = [
      ['+00:00', 'HOUR TO MINUTE'],
      ['-08:00', ''],
      ['+05:30', 'HOUR TO MINUTE'],
      ['-1:02', ''],
      ['5', 'HOUR'],
      ['-90', 'MINUTE'],
      ['7', 'MINUTE'],
    ];
    for (const [literal, qualifier] of cases) {
      const name = intervalZoneName(literal, qualifier.toLowerCase());
      expect(name, `${literal} ${qualifier}`).toBe(await show(`set time zone interval '${literal}' ${qualifier}`));
    }
    expect(intervalZoneName('1:02:03', 'hour to minute')).toBeNull();
    expect(intervalZoneName('90 minutes', '')).toBeNull();
    expect(intervalZoneName('05:30', 'minute')).toBeNull();
  });

  it('shows timestamptz in fixed-offset and POSIX zones as PostgreSQL does', async () => {
    for (const zone of ['<+00>-00', '<-08>+08', '<+05:30>-05:30', 'UTC+3', 'GMT-3', '-05:30', '+05:30', 'utc+03:30', '<+100>-100']) {
      await client.query(`set timezone = '${zone}'`);
      expect(posixFixedOffset(zone), zone).not.toBeNull();
      expect(isKnownTimeZone(zone)).toBe(true);
      for (const utc of INSTANTS) {
        const res = await client.query(`select ($1::timestamp at time zone 'UTC')::text as v`, [utc]);
        expect(utcWallToZone(utc, zone), `${zone} ${utc}`).toBe(res.rows[0].v);
      }
    }
    expect(posixFixedOffset('EST5EDT')).toBeNull();
    expect(posixFixedOffset('Etc/GMT+5')).toBeNull();
    expect(offsetZoneName(0)).toBe('<+00>-00');
  });
});

describe('POSIX zone strings with daylight-saving rules', () => {
  let db: ThrowawayPostgres;
  let client: pg.Client;
  beforeAll(async () => {
    db = await startPostgres();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.stop();
  });

  it('shows timestamptz as PostgreSQL does around every transition', async () => {
    const zones = ['XYZ3ABC', 'XYZ3ABC,M3.2.0,M11.1.0', 'AAA-10BBB,M10.1.0,M4.1.0/3', 'XYZ3ABC2,J60/1,300/4', '<-03>3<-02>,M3.5.0/-2,M10.5.0/-1', 'STD5DST4,M4.5.6/25,M9.1.1/0:30'];
    const instants: string[] = [];
    for (const year of [1990, 2006, 2024, 2025]) {
      for (let month = 1; month <= 12; month++) {
        for (const day of [1, 7, 10, 15, 25, 28, 31]) {
          const d = new Date(Date.UTC(year, month - 1, day, 7, 30, 0));
          if (d.getUTCMonth() === month - 1) instants.push(d.toISOString().replace('T', ' ').slice(0, 19));
        }
      }
    }
    // Every hour of the transition days of the zones above.
    for (const day of ['2024-03-10', '2024-11-03', '2024-10-06', '2024-04-07', '2024-03-31', '2024-10-27', '2024-02-29', '2024-03-01', '2024-10-26', '2024-04-27', '2024-09-02']) {
      for (let h = 0; h < 24; h++) instants.push(`${day} ${String(h).padStart(2, '0')}:15:00`);
    }
    for (const zone of zones) {
      await client.query(`set timezone = '${zone}'`);
      const res = await client.query(`select u, (u::timestamp at time zone 'UTC')::text as v from unnest($1::text[]) u`, [instants]);
      for (const row of res.rows) expect(utcWallToZone(row.u, zone), `${zone} ${row.u}`).toBe(row.v);
    }
  });
});
