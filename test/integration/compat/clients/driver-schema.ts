// The table the plain drivers (no ORM) create with SQL, and the values of its typed row as
// JavaScript parameters. ORMs create their own tables through their own schema tools.
import { TYPED_ROW } from '../workload.js';

export function driverTableDdl(table: string): string {
  return `create table ${table} (
    id serial primary key, i2 int2, i4 int4, i8 int8, num numeric(12,4), f4 float4, f8 float8, b bool,
    t text, vc varchar(40) unique, by bytea, d date, tm time, ts timestamp, tstz timestamptz, iv interval,
    u uuid, j json, jb jsonb, arr int4[], tarr text[], n text)`;
}

/** information_schema's view of that table: column name -> udt_name, in column order. */
export const DRIVER_SCHEMA = [
  ['id', 'int4'], ['i2', 'int2'], ['i4', 'int4'], ['i8', 'int8'], ['num', 'numeric'], ['f4', 'float4'],
  ['f8', 'float8'], ['b', 'bool'], ['t', 'text'], ['vc', 'varchar'], ['by', 'bytea'], ['d', 'date'],
  ['tm', 'time'], ['ts', 'timestamp'], ['tstz', 'timestamptz'], ['iv', 'interval'], ['u', 'uuid'],
  ['j', 'json'], ['jb', 'jsonb'], ['arr', '_int4'], ['tarr', '_text'], ['n', 'text'],
];

export const SCHEMA_QUERY =
  'select column_name, udt_name from information_schema.columns where table_name = $1 order by ordinal_position';

export const TYPED_COLUMNS = Object.keys(TYPED_ROW);

/** Row 1's values as a client would pass them; time zones spelled out where they matter. */
export const TYPED_PARAMS = {
  i2: 12345,
  i4: 2147483647,
  i8: '9007199254740993',
  num: '12345678.9012',
  f4: 1.5,
  f8: 3.141592653589793,
  b: true,
  t: TYPED_ROW.t,
  vc: TYPED_ROW.vc,
  by: Buffer.from('0001feff', 'hex'),
  d: '2024-02-29',
  tm: '12:34:56.789',
  ts: '2024-02-29 12:34:56.789',
  tstz: '2024-02-29 14:34:56.789+02',
  iv: '1 day 02:03:04',
  u: TYPED_ROW.u,
  j: JSON.stringify(TYPED_ROW.j),
  jb: JSON.stringify(TYPED_ROW.jb),
  arr: [1, 2, null, 4],
  tarr: ['a', 'b c', '"q"'],
  n: null,
};
