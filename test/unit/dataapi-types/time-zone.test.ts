// timestamptz values shown in the session's TimeZone exactly as PostgreSQL 15 prints them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type ThrowawayPostgres } from '../../harness/postgres.js';
import { isKnownTimeZone, utcWallToZone } from '../../../src/dataapi/types/time-zone.js';

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
