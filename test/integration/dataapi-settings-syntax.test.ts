// Every syntax PostgreSQL accepts for the settings Data API mode answers itself (SET TIME ZONE
// INTERVAL, offsets, POSIX zones, LOCAL/DEFAULT, SET LOCAL, RESET, set_config), run step by step
// through the proxy and straight to PostgreSQL 15: each step must give the same ParameterStatus
// messages, notices or error, the same SHOW output and the same text for timestamptz values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { useDataApiStack } from './dataapi-fixture.js';

const stack = useDataApiStack();

interface Observed {
  parameterStatus: string[];
  notices: string[];
  error?: string;
  show?: string;
  timestamps?: string[];
}

/** A client that records ParameterStatus and notices, with every value as PostgreSQL's text. */
async function recordingClient(config: pg.ClientConfig): Promise<{ client: pg.Client; seen: Observed }> {
  const client = new pg.Client({ ...config, options: '-c TimeZone=UTC', types: { getTypeParser: () => (v: string) => v } });
  client.on('error', () => {});
  await client.connect();
  const seen: Observed = { parameterStatus: [], notices: [] };
  const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
  connection.on('parameterStatus', (m: { parameterName: string; parameterValue: string }) => seen.parameterStatus.push(`${m.parameterName}=${m.parameterValue}`));
  client.on('notice', (n) => seen.notices.push(`${n.severity} ${n.code} ${n.message}`));
  return { client, seen };
}

/** Runs one step and what follows it: the setting's SHOW and the probe values' text. */
async function step(c: { client: pg.Client; seen: Observed }, sql: string, show: string): Promise<Observed> {
  c.seen.parameterStatus = [];
  c.seen.notices = [];
  const out: Observed = { parameterStatus: [], notices: [] };
  try {
    await c.client.query(sql);
  } catch (err) {
    const e = err as pg.DatabaseError;
    out.error = `${e.code} ${e.message}`;
  }
  out.parameterStatus = c.seen.parameterStatus;
  out.notices = c.seen.notices;
  const shown = await c.client.query({ text: `SHOW ${show}`, rowMode: 'array' });
  out.show = String(shown.rows[0][0]);
  if (show === 'timezone') {
    const values = await c.client.query({ text: 'SELECT v FROM tz_probe ORDER BY id', rowMode: 'array' });
    out.timestamps = values.rows.map((r) => String(r[0]));
  }
  return out;
}

const SEQUELIZE_CONNECT = "SET client_min_messages TO warning;SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE;";

const TIME_ZONE_STEPS = [
  SEQUELIZE_CONNECT,
  "SET TIME ZONE INTERVAL '-08:00'",
  "SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE",
  "SET TIME ZONE INTERVAL '1:02:03' HOUR TO MINUTE",
  "SET TIME ZONE INTERVAL '90 minutes'",
  "SET TIME ZONE INTERVAL '5' HOUR",
  "SET TIME ZONE '-05:30'",
  "SET TIME ZONE 'UTC+3'",
  'SET TIME ZONE -7',
  'SET TIME ZONE 5.5',
  "SET TIME ZONE '5.5'",
  "SET TIME ZONE 'europe/paris'",
  'SET TIME ZONE LOCAL',
  "SET timezone TO 'America/New_York'",
  'SET timezone TO DEFAULT',
  "SET TIME ZONE 'Asia/Kolkata'",
  'RESET timezone',
  "SET timezone = 'EST5EDT'",
  "SET TIME ZONE 'XYZ3ABC,M3.2.0,M11.1.0'",
  "SET TIME ZONE 'AAA-10BBB,M10.1.0,M4.1.0/3'",
  "SELECT set_config('TimeZone', '-02', false)",
  'RESET ALL',
  "SET TIME ZONE 'utc'",
  'SET TIME ZONE DEFAULT',
  'BEGIN',
  "SELECT set_config('TimeZone', 'Asia/Tokyo', true)",
  'COMMIT',
  'BEGIN',
  "SET LOCAL TIME ZONE 'UTC+3'",
  "SET TIME ZONE 'Europe/Paris'",
  'ROLLBACK',
  'BEGIN',
  "SET LOCAL TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE",
  'COMMIT',
  "SET LOCAL TIME ZONE 'Asia/Tokyo'",
  "SELECT set_config('TimeZone', 'Asia/Tokyo', true)",
  "SET TIME ZONE 'nonsense'",
  "SET TIME ZONE INTERVAL '1 day'",
  "SET TIME ZONE INTERVAL '1' SECOND",
];

const OTHER_STEPS: [string, string][] = [
  ["SET client_min_messages = 'WARNING'", 'client_min_messages'],
  ["SET client_min_messages = 'bogus'", 'client_min_messages'],
  ['RESET client_min_messages', 'client_min_messages'],
  ['SET extra_float_digits = 2.4', 'extra_float_digits'],
  ['SET extra_float_digits = 4', 'extra_float_digits'],
  ["SET bytea_output = 'ESCAPE'", 'bytea_output'],
  ['SET bytea_output TO DEFAULT', 'bytea_output'],
  ["SET default_transaction_read_only = 'yes'", 'default_transaction_read_only'],
  ['SET default_transaction_read_only TO DEFAULT', 'default_transaction_read_only'],
  ["SET IntervalStyle = 'ISO_8601'", 'IntervalStyle'],
  ['RESET IntervalStyle', 'IntervalStyle'],
  ['SET datestyle = ymd', 'DateStyle'],
  ['RESET datestyle', 'DateStyle'],
  ["SET application_name = 'a b'", 'application_name'],
  ['BEGIN', 'application_name'],
  ["SET LOCAL application_name = 'inside'", 'application_name'],
  ['COMMIT', 'application_name'],
  ["SELECT set_config('application_name', 'x', false)", 'application_name'],
  ['RESET ALL', 'application_name'],
];

describe('settings the proxy answers itself, in every syntax', () => {
  let viaProxy: Awaited<ReturnType<typeof recordingClient>>;
  let direct: Awaited<ReturnType<typeof recordingClient>>;

  beforeAll(async () => {
    const setup = new pg.Client(stack().directConfig());
    await setup.connect();
    await setup.query(`CREATE TABLE tz_probe (id int PRIMARY KEY, v timestamptz);
      INSERT INTO tz_probe VALUES (1, '2024-01-15 12:34:56.5+00'), (2, '2024-07-15 12:34:56+00'), (3, '1999-12-31 23:59:59+00')`);
    await setup.end();
    viaProxy = await recordingClient(stack().pgConfig());
    direct = await recordingClient(stack().directConfig());
  });

  afterAll(async () => {
    await viaProxy?.client.end().catch(() => {});
    await direct?.client.end().catch(() => {});
  });

  it('TimeZone: ParameterStatus, SHOW and timestamptz text match PostgreSQL at every step', async () => {
    for (const sql of TIME_ZONE_STEPS) {
      const expected = await step(direct, sql, 'timezone');
      const actual = await step(viaProxy, sql, 'timezone');
      expect({ sql, ...actual }).toEqual({ sql, ...expected });
    }
  });

  it("Sequelize's connection statements succeed and leave the settings PostgreSQL leaves", async () => {
    const expected = await step(direct, SEQUELIZE_CONNECT, 'client_min_messages');
    const actual = await step(viaProxy, SEQUELIZE_CONNECT, 'client_min_messages');
    expect(actual).toEqual(expected);
    expect(actual.show).toBe('warning');
    expect((await step(viaProxy, 'SELECT 1', 'timezone')).show).toBe('<+00>-00');
  });

  it('other client-side settings: canonical values, errors, SET LOCAL and RESET as PostgreSQL', async () => {
    for (const [sql, show] of OTHER_STEPS) {
      const expected = await step(direct, sql, show);
      const actual = await step(viaProxy, sql, show);
      expect({ sql, ...actual }).toEqual({ sql, ...expected });
    }
  });

  it('RESET returns to the value the client gave at startup', async () => {
    const startup = { options: '-c TimeZone=Asia/Tokyo', types: { getTypeParser: () => (v: string) => v } };
    for (const config of [stack().pgConfig(startup), stack().directConfig(startup)]) {
      const client = new pg.Client(config);
      await client.connect();
      await client.query("SET TIME ZONE 'UTC'");
      await client.query('RESET timezone');
      const shown = await client.query('SHOW timezone');
      expect(shown.rows[0].TimeZone).toBe('Asia/Tokyo');
      await client.end();
    }
  });
});
