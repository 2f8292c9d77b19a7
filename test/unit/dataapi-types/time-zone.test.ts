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
