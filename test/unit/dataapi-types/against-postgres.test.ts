// The type codec checked against a real PostgreSQL 15: its catalogue, float output, text and
// binary output (typsend bytes) and the round trip of planned Bind parameters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field } from '@aws-sdk/client-rds-data';
import pg from 'pg';
import { startPostgres, type ThrowawayPostgres } from '../../harness/postgres.js';
import {
  OID,
  allTypes,
  fieldToBinary,
  fieldToText,
  formatFloat4,
  formatFloat8,
  hasBinaryOutput,
  planParameter,
  resolveColumn,
  typeByOid,
  type ParameterPlan,
} from '../../../src/dataapi/types/index.js';

let db: ThrowawayPostgres;
let client: pg.Client;

beforeAll(async () => {
  db = await startPostgres();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query("set extra_float_digits = 1; set timezone = 'UTC'; set datestyle = 'ISO, MDY'");
});

afterAll(async () => {
  await client?.end();
  await db?.stop();
});

/** Rows as arrays of raw text (no parsing by node-postgres). */
async function rows(sql: string, values: unknown[] = []): Promise<(string | null)[][]> {
  const res = await client.query({ text: sql, values, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } });
  return res.rows as (string | null)[][];
}

// A small deterministic generator, so that failures can be reproduced.
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

describe('catalogue against pg_type', () => {
  it('has the OID, name, typlen, array and element of every built-in type', async () => {
    const pgRows = await rows(
      `select oid::int, typname, typlen::int, typarray::int, typelem::int, typdelim::text from pg_type
       where oid < 10000 and typtype in ('b', 'p', 'r', 'm')
         -- arrays of the system catalogues' row types are not part of the catalogue
         and (typelem = 0 or (select e.typtype from pg_type e where e.oid = pg_type.typelem) <> 'c')
       order by oid`,
    );
    expect(pgRows.length).toBeGreaterThan(150);
    for (const [oid, name, typlen, typarray, typelem, delim] of pgRows) {
      const t = typeByOid(Number(oid));
      expect(t, `pg_type ${name} (${oid})`).toBeDefined();
      expect({ name: t!.name, typlen: t!.typlen, delimiter: t!.delimiter }).toEqual({ name, typlen: Number(typlen), delimiter: delim });
      if (name!.startsWith('_')) expect(t!.elemOid).toBe(Number(typelem));
      else expect(t!.arrayOid).toBe(Number(typarray));
    }
    expect(allTypes().length).toBe(pgRows.length);
  });

  it('has cast names PostgreSQL resolves to the same types', async () => {
    const names = allTypes().map((t) => t.castName);
    const res = await rows(`select n, n::regtype::oid::int from unnest($1::text[]) as n`, [names]);
    for (const [name, oid] of res) expect(typeByOid(Number(oid))?.castName).toBe(name);
  });
});

describe('float output against float4out/float8out', () => {
  function float64Values(): number[] {
    const next = generator(42);
    const view = new DataView(new ArrayBuffer(8));
    const values = [
      0, -0, 1, -1, 0.1, 0.5, 1 / 3, 2 / 3, 1e-4, 9.99e-5, 1e-5, 1.5e-5, 123456789012345, 999999999999999, 1e15,
      999999999999999.9, 1.2345678901234567e15, 1e16, 1e21, 1e22, 1e23, 1e100, 1e-100, 1e308, 1.7976931348623157e308,
      5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 9007199254740993, 9007199254740992, 0.30000000000000004,
      Math.PI, Math.E, -Math.SQRT2, 100, 1000000, 123.456, 4.35, 2.5, 1e-7, 100000000000000000000,
    ];
    for (let e = -20; e <= 20; e++) values.push(2 ** e, 10 ** e, -(10 ** e) * 1.5);
    for (let i = 0; i < 300; i++) {
      view.setUint32(0, next() & 0x7fefffff);
      view.setUint32(4, next());
      values.push(view.getFloat64(0) * (i % 2 ? -1 : 1));
    }
    for (let i = 0; i < 100; i++) values.push((next() / 2 ** 32) * 10 ** ((next() % 40) - 20));
    // Where a short decimal can sit exactly on a rounding bound: large integers, powers.
    for (let i = 0; i < 100; i++) values.push(Math.round((next() / 2 ** 32) * 2 ** (54 + (next() % 30))) * 1000);
    for (let e = -307; e <= 308; e += 7) values.push(Number(`1e${e}`), Number(`5e${e}`));
    for (let e = -1074; e <= 1023; e += 37) values.push(2 ** e);
    return values;
  }

  it('prints float8 values exactly as PostgreSQL 15', async () => {
    const values = float64Values();
    const res = await rows(`select x::float8::text from unnest($1::text[]) with ordinality as t(x, i) order by i`, [
      values.map((v) => (Object.is(v, -0) ? '-0' : String(v))),
    ]);
    const expected = res.map((r) => r[0]);
    expect(values.map(formatFloat8)).toEqual(expected);
  });

  it('prints NaN and the infinities as PostgreSQL does', async () => {
    const res = await rows(`select 'NaN'::float8::text, 'Infinity'::float8::text, '-Infinity'::float4::text, '-0'::float4::text`);
    expect([formatFloat8(NaN), formatFloat8(Infinity), formatFloat4(-Infinity), formatFloat4(-0)]).toEqual(res[0]);
  });

  it('prints float4 values exactly as PostgreSQL 15', async () => {
    const next = generator(7);
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const values: number[] = [
      0.1, 1 / 3, 100000, 999999, 1e6, 1234567, 16777216, 16777217, 3.4028234663852886e38, 1.401298464324817e-45,
      1.1754943508222875e-38, 1e-4, 1e-5, 9.999999e-5, 123456.7, 0.3, 2.5, 7.038531e-26, 1.0000001,
    ];
    for (let e = -30; e <= 30; e += 3) values.push(Math.fround(10 ** e), Math.fround(2 ** e));
    for (let i = 0; i < 400; i++) {
      u32[0] = next() & 0xfeffffff; // stays finite
      if (f32[0] !== 0) values.push(f32[0] * (i % 2 ? -1 : 1));
    }
    // Integers beyond 2^24, where a bound of the interval is often a short decimal.
    for (let i = 0; i < 200; i++) values.push(Math.fround(2 ** 24 + (next() % 2 ** 31) * 8));
    for (let e = -45; e <= 38; e += 3) values.push(Math.fround(Number(`1e${e}`)), Math.fround(Number(`5e${e}`)));
    const res = await rows(`select x::float4::text from unnest($1::text[]) with ordinality as t(x, i) order by i`, [
      values.map((v) => String(Math.fround(v))),
    ]);
    expect(values.map(formatFloat4)).toEqual(res.map((r) => r[0]));
  });

  it('prints float4 values that arrive widened or as plain doubles like float8::float4', async () => {
    const next = generator(99);
    const values = [0.1, 0.2, 1 / 3, 1e-40, 3.3e38, 123456.789, 2.7182818284590455];
    for (let i = 0; i < 200; i++) values.push((next() / 2 ** 32) * 10 ** ((next() % 60) - 30));
    const res = await rows(`select x::float8::float4::text from unnest($1::text[]) with ordinality as t(x, i) order by i`, [
      values.map(String),
    ]);
    expect(values.map(formatFloat4)).toEqual(res.map((r) => r[0]));
  });
});

/** A PostgreSQL expression, the Data API typeName of its column, and the Field the Data API returns for it. */
interface OutputCase {
  expr: string;
  typeName: string;
  field: Field;
}

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

const OUTPUT_CASES: OutputCase[] = [
  { expr: 'true', typeName: 'bool', field: { booleanValue: true } },
  { expr: 'false', typeName: 'bool', field: { booleanValue: false } },
  { expr: '(-32768)::int2', typeName: 'int2', field: { longValue: -32768 } },
  { expr: '(-2147483648)::int4', typeName: 'int4', field: { longValue: -2147483648 } },
  { expr: '2147483647::int4', typeName: 'serial', field: { longValue: 2147483647 } },
  { expr: '9223372036854775807::int8', typeName: 'bigserial', field: { stringValue: '9223372036854775807' } },
  { expr: '(-9223372036854775808)::int8', typeName: 'int8', field: { stringValue: '-9223372036854775808' } },
  { expr: '(-5)::int8', typeName: 'int8', field: { longValue: -5 } },
  { expr: '4294967295::oid', typeName: 'oid', field: { stringValue: '4294967295' } },
  { expr: "'1.5'::float4", typeName: 'float4', field: { doubleValue: 1.5 } },
  { expr: "'0.1'::float4", typeName: 'float4', field: { doubleValue: 0.10000000149011612 } },
  { expr: "'3.4028235e38'::float4", typeName: 'float4', field: { doubleValue: 3.4028234663852886e38 } },
  { expr: "'1e-7'::float8", typeName: 'float8', field: { doubleValue: 1e-7 } },
  { expr: "'-1.2345678901234567e300'::float8", typeName: 'float8', field: { doubleValue: -1.2345678901234567e300 } },
  { expr: "'NaN'::float8", typeName: 'float8', field: { stringValue: 'NaN' } },
  { expr: "'-Infinity'::float8", typeName: 'float8', field: { stringValue: '-Infinity' } },
  { expr: '123456.7890::numeric', typeName: 'numeric', field: { stringValue: '123456.7890' } },
  { expr: '0::numeric', typeName: 'numeric', field: { stringValue: '0' } },
  { expr: '0.000::numeric', typeName: 'numeric', field: { stringValue: '0.000' } },
  { expr: '(-1)::numeric', typeName: 'numeric', field: { stringValue: '-1' } },
  { expr: '10000::numeric', typeName: 'numeric', field: { stringValue: '10000' } },
  { expr: '0.0001::numeric', typeName: 'numeric', field: { stringValue: '0.0001' } },
  { expr: "'1e-20'::numeric", typeName: 'numeric', field: { stringValue: '1E-20' } },
  { expr: '(-0.00000012)::numeric(12,10)', typeName: 'numeric', field: { stringValue: '-0.0000001200' } },
  { expr: '123456789012345678901234567890.123456789::numeric', typeName: 'numeric', field: { stringValue: '123456789012345678901234567890.123456789' } },
  { expr: '99999999.99999999::numeric', typeName: 'numeric', field: { stringValue: '99999999.99999999' } },
  { expr: "'NaN'::numeric", typeName: 'numeric', field: { stringValue: 'NaN' } },
  { expr: "'Infinity'::numeric", typeName: 'numeric', field: { stringValue: 'Infinity' } },
  { expr: "'-Infinity'::numeric", typeName: 'numeric', field: { stringValue: '-Infinity' } },
  { expr: "'héllo wörld'::text", typeName: 'text', field: { stringValue: 'héllo wörld' } },
  { expr: "'abc'::varchar(10)", typeName: 'varchar', field: { stringValue: 'abc' } },
  { expr: "'ab'::char(4)", typeName: 'bpchar', field: { stringValue: 'ab  ' } },
  { expr: "'pg_class'::name", typeName: 'name', field: { stringValue: 'pg_class' } },
  { expr: "'\\x0001abff'::bytea", typeName: 'bytea', field: { blobValue: hex('0001abff') } },
  { expr: "''::bytea", typeName: 'bytea', field: { blobValue: hex('') } },
  { expr: "'2024-02-29'::date", typeName: 'date', field: { stringValue: '2024-02-29' } },
  { expr: "'0044-03-15 BC'::date", typeName: 'date', field: { stringValue: '0044-03-15 BC' } },
  { expr: "'4713-01-01 BC'::date", typeName: 'date', field: { stringValue: '4713-01-01 BC' } },
  { expr: "'5874897-12-31'::date", typeName: 'date', field: { stringValue: '5874897-12-31' } },
  { expr: "'1999-12-31'::date", typeName: 'date', field: { stringValue: '1999-12-31' } },
  { expr: "'infinity'::date", typeName: 'date', field: { stringValue: 'infinity' } },
  { expr: "'10:11:12.5'::time", typeName: 'time', field: { stringValue: '10:11:12.500' } },
  { expr: "'24:00:00'::time", typeName: 'time', field: { stringValue: '24:00:00' } },
  { expr: "'2022-04-06 22:58:48.99'::timestamp", typeName: 'timestamp', field: { stringValue: '2022-04-06 22:58:48.99' } },
  { expr: "'2022-04-06 22:58:48'::timestamp", typeName: 'timestamp', field: { stringValue: '2022-04-06 22:58:48.000' } },
  { expr: "'1900-02-28 23:59:59.999999'::timestamp", typeName: 'timestamp', field: { stringValue: '1900-02-28 23:59:59.999999' } },
  { expr: "'294276-12-31 23:59:59.999999'::timestamp", typeName: 'timestamp', field: { stringValue: '294276-12-31 23:59:59.999999' } },
  { expr: "'2022-04-06 12:34:56+09'::timestamptz", typeName: 'timestamptz', field: { stringValue: '2022-04-06 03:34:56' } },
  { expr: "'2022-04-06 12:34:56.123456-03:30'::timestamptz", typeName: 'timestamptz', field: { stringValue: '2022-04-06 16:04:56.123456' } },
  { expr: "'0044-03-15 10:00:00 BC'::timestamptz", typeName: 'timestamptz', field: { stringValue: '0044-03-15 10:00:00 BC' } },
  { expr: "'infinity'::timestamptz", typeName: 'timestamptz', field: { stringValue: 'infinity' } },
  { expr: "'-infinity'::timestamp", typeName: 'timestamp', field: { stringValue: '-infinity' } },
  { expr: "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", typeName: 'uuid', field: { stringValue: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' } },
  { expr: `'{"b": 1, "a": [1, 2]}'::json`, typeName: 'json', field: { stringValue: '{"b": 1, "a": [1, 2]}' } },
  { expr: `'{"b": 1, "a": [1, 2]}'::jsonb`, typeName: 'jsonb', field: { stringValue: '{"a": [1, 2], "b": 1}' } },
  { expr: 'null::int4', typeName: 'int4', field: { isNull: true } },
  { expr: 'array[1, null, 3]::int4[]', typeName: '_int4', field: { arrayValue: { longValues: [1, null, 3] } } },
  { expr: "'{}'::int4[]", typeName: '_int4', field: { arrayValue: { longValues: [] } } },
  { expr: 'array[1, 2]::int2[]', typeName: '_int2', field: { arrayValue: { longValues: [1, 2] } } },
  { expr: 'array[9223372036854775807, -1]::int8[]', typeName: '_int8', field: { arrayValue: { stringValues: ['9223372036854775807', '-1'] } } },
  { expr: "'{{1,2},{3,4}}'::int4[]", typeName: '_int4', field: { arrayValue: { arrayValues: [{ longValues: [1, 2] }, { longValues: [3, 4] }] } } },
  {
    expr: `array['a b', 'NULL', 'null', '', null, 'x"y', 'a\\b', 'é', '{', '}', ',', ' lead', 'tab\tx', 'plain']::text[]`,
    typeName: '_text',
    field: { arrayValue: { stringValues: ['a b', 'NULL', 'null', '', null, 'x"y', 'a\\b', 'é', '{', '}', ',', ' lead', 'tab\tx', 'plain'] } },
  },
  { expr: "array['ab', null]::varchar(5)[]", typeName: '_varchar', field: { arrayValue: { stringValues: ['ab', null] } } },
  { expr: 'array[true, false, null]::bool[]', typeName: '_bool', field: { arrayValue: { booleanValues: [true, false, null] } } },
  { expr: "array['1.5', '0.1', '1e-7', null]::float4[]", typeName: '_float4', field: { arrayValue: { doubleValues: [1.5, 0.10000000149011612, 1.0000000116860974e-7, null] } } },
  { expr: "array['1e-7', '1e20', '-0.5']::float8[]", typeName: '_float8', field: { arrayValue: { doubleValues: [1e-7, 1e20, -0.5] } } },
  { expr: 'array[1.50, 2, null]::numeric[]', typeName: '_numeric', field: { arrayValue: { stringValues: ['1.50', '2', null] } } },
  { expr: "array['2020-01-01', null]::date[]", typeName: '_date', field: { arrayValue: { stringValues: ['2020-01-01', null] } } },
  { expr: "array['10:00:00.25']::time[]", typeName: '_time', field: { arrayValue: { stringValues: ['10:00:00.25'] } } },
  { expr: "array['2020-01-01 10:00:00.5']::timestamp[]", typeName: '_timestamp', field: { arrayValue: { stringValues: ['2020-01-01 10:00:00.5'] } } },
  { expr: "array['2020-01-01 10:00:00+02', null]::timestamptz[]", typeName: '_timestamptz', field: { arrayValue: { stringValues: ['2020-01-01 08:00:00', null] } } },
  { expr: "array['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']::uuid[]", typeName: '_uuid', field: { arrayValue: { stringValues: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'] } } },
  { expr: `array['{"a": 1}', '[1, "x y"]']::jsonb[]`, typeName: '_jsonb', field: { arrayValue: { stringValues: ['{"a": 1}', '[1, "x y"]'] } } },
  { expr: `array['{"a":1}']::json[]`, typeName: '_json', field: { arrayValue: { stringValues: ['{"a":1}'] } } },
];

const SEND_FUNCTIONS: Record<string, string> = {
  bool: 'boolsend', int2: 'int2send', int4: 'int4send', int8: 'int8send', oid: 'oidsend', float4: 'float4send',
  float8: 'float8send', numeric: 'numeric_send', text: 'textsend', varchar: 'varcharsend', bpchar: 'bpcharsend',
  name: 'namesend', bytea: 'byteasend', uuid: 'uuid_send', date: 'date_send', time: 'time_send',
  timestamp: 'timestamp_send', timestamptz: 'timestamptz_send', json: 'json_send', jsonb: 'jsonb_send',
};

describe('DataRow values against PostgreSQL output', () => {
  it('text output matches what PostgreSQL sends', async () => {
    const res = await rows(`select ${OUTPUT_CASES.map((c) => c.expr).join(', ')}`);
    OUTPUT_CASES.forEach((c, i) => {
      expect(fieldToText(c.field, resolveColumn({ typeName: c.typeName })), c.expr).toBe(res[0][i]);
    });
  });

  it('binary output matches the typsend bytes', async () => {
    const cases = OUTPUT_CASES.filter((c) => !('isNull' in c.field));
    const sends = cases.map((c) => {
      const column = resolveColumn({ typeName: c.typeName });
      expect(hasBinaryOutput(column.typeOid), c.expr).toBe(true);
      const fn = column.elementType ? 'array_send' : SEND_FUNCTIONS[column.type.name];
      return `encode(${fn}(${c.expr}), 'hex')`;
    });
    const res = await rows(`select ${sends.join(', ')}`);
    cases.forEach((c, i) => {
      const bytes = fieldToBinary(c.field, resolveColumn({ typeName: c.typeName }));
      expect(bytes?.toString('hex'), c.expr).toBe(res[0][i]);
    });
  });
});

describe('RowDescription type modifiers against a real table', () => {
  // pgJDBC's TypeInfoCache.getPrecision/getScale: what the Data API reports for a column.
  function jdbcPrecisionScale(oid: number, typmod: number): { precision: number; scale: number } {
    const secondSize = typmod === -1 ? 7 : typmod === 0 ? 0 : typmod === 1 ? 3 : typmod + 1;
    const temporalScale = typmod === -1 ? 6 : typmod;
    switch (oid) {
      case OID.numeric:
        return typmod === -1 ? { precision: 0, scale: 0 } : { precision: ((typmod - 4) >> 16) & 0xffff, scale: (typmod - 4) & 0xffff };
      case OID.varchar:
      case OID.bpchar:
        return { precision: typmod === -1 ? 2147483647 : typmod - 4, scale: 0 };
      case OID.bit:
        return { precision: typmod, scale: 0 };
      case OID.varbit:
        return { precision: typmod === -1 ? 2147483647 : typmod, scale: 0 };
      case OID.time:
        return { precision: 8 + secondSize, scale: temporalScale };
      case OID.timetz:
        return { precision: 14 + secondSize, scale: temporalScale };
      case OID.timestamp:
        return { precision: 22 + secondSize, scale: temporalScale };
      case OID.timestamptz:
        return { precision: 28 + secondSize, scale: temporalScale };
      case OID.int4:
        return { precision: 10, scale: 0 };
      default:
        return { precision: 2147483647, scale: 0 };
    }
  }

  it('rebuilds the typmods PostgreSQL reports', async () => {
    await client.query(`create temp table typmods (
      id serial, n numeric(10,2), n0 numeric(5), nn numeric, v varchar(20), vv varchar, c char(5), c1 char, t text,
      b bit(3), vb varbit(8), ts3 timestamp(3), ts0 timestamptz(0), tm2 time(2), tz5 timetz(5), ts1 timestamp(1),
      ts6 timestamp(6), ts timestamp, va varchar(7)[], na numeric(4,1)[])`);
    const res = await client.query('select * from typmods');
    const names = await rows(
      `select a.attname::text, t.typname::text from pg_attribute a join pg_type t on t.oid = a.atttypid
       where a.attrelid = 'typmods'::regclass and a.attnum > 0 order by a.attnum`,
    );
    expect(res.fields.length).toBe(names.length);
    res.fields.forEach((f, i) => {
      const typeName = names[i][0] === 'id' ? 'serial' : names[i][1]!;
      const base = typeByOid(f.dataTypeID)!;
      const { precision, scale } = jdbcPrecisionScale(base.elemOid || base.oid, f.dataTypeModifier);
      const column = resolveColumn({ typeName, precision, scale });
      // timestamp(6) reads like a bare timestamp in the metadata and is reported without modifier.
      const expectedTypmod = names[i][0] === 'ts6' ? -1 : f.dataTypeModifier;
      expect({ column: f.name, oid: column.typeOid, size: column.typeSize, typmod: column.typeModifier }).toEqual({
        column: f.name,
        oid: f.dataTypeID,
        size: f.dataTypeSize,
        typmod: expectedTypmod,
      });
    });
  });
});

describe('planned Bind parameters read back by PostgreSQL', () => {
  /** The SQL type the Data API binds each Field member as. */
  function boundAs(plan: ParameterPlan): { sql: string; value: string | null } {
    const v = plan.value;
    if (v.isNull) return { sql: 'text', value: null };
    if (v.longValue !== undefined) return { sql: 'int8', value: String(v.longValue) };
    if (v.doubleValue !== undefined) return { sql: 'float8', value: JSON.stringify(v.doubleValue) };
    if (v.booleanValue !== undefined) return { sql: 'bool', value: String(v.booleanValue) };
    if (v.blobValue !== undefined) return { sql: 'bytea', value: '\\x' + Buffer.from(v.blobValue).toString('hex') };
    return { sql: 'text', value: v.stringValue! };
  }

  async function readBack(plan: ParameterPlan): Promise<string | null> {
    const bound = boundAs(plan);
    const target = plan.sqlType ?? bound.sql;
    const res = await rows(`select CAST($1::${bound.sql} AS ${target})::text`, [bound.value]);
    return res[0][0];
  }

  const BINARY_CASES: [expr: string, typeName: string][] = [
    ['true', 'bool'],
    ['(-32768)::int2', 'int2'],
    ['2147483647::int4', 'int4'],
    ['9223372036854775807::int8', 'int8'],
    ['(-9007199254740993)::int8', 'int8'],
    ['42::int8', 'int8'],
    ['4294967295::oid', 'oid'],
    ["'0.1'::float4", 'float4'],
    ["'1e-45'::float4", 'float4'],
    ["'NaN'::float4", 'float4'],
    ["'-0'::float4", 'float4'],
    ["'-Infinity'::float8", 'float8'],
    ["'1.7976931348623157e308'::float8", 'float8'],
    ["'5e-324'::float8", 'float8'],
    ['123456.7890::numeric', 'numeric'],
    ['(-0.00000012)::numeric(12,10)', 'numeric'],
    ['123456789012345678901234567890.123456789::numeric', 'numeric'],
    ["'NaN'::numeric", 'numeric'],
    ["'-Infinity'::numeric", 'numeric'],
    ['0.000::numeric', 'numeric'],
    ["'héllo \"quoted\" \\\\ wörld'::text", 'text'],
    ["'abc'::varchar", 'varchar'],
    ["'ab'::char(4)", 'bpchar'],
    ["'pg_class'::name", 'name'],
    ["'\\x0001abff'::bytea", 'bytea'],
    ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", 'uuid'],
    [`'{"b": 1, "a": [1, 2]}'::json`, 'json'],
    [`'{"b": 1, "a": [1, 2]}'::jsonb`, 'jsonb'],
    ["'2024-02-29'::date", 'date'],
    ["'0044-03-15 BC'::date", 'date'],
    ["'-infinity'::date", 'date'],
    ["'23:59:59.999999'::time", 'time'],
    ["'12:00:01.5-05:30'::timetz", 'timetz'],
    ["'2022-04-06 22:58:48.99'::timestamp", 'timestamp'],
    ["'1900-02-28 23:59:59.999999'::timestamp", 'timestamp'],
    ["'294276-12-31 23:59:59.999999'::timestamp", 'timestamp'],
    ["'2022-04-06 12:34:56.123456+09'::timestamptz", 'timestamptz'],
    ["'0044-03-15 10:00:00 BC'::timestamptz", 'timestamptz'],
    ["'infinity'::timestamptz", 'timestamptz'],
    ["'1 day 02:03:04'::interval", 'interval'],
    ["'-1 mon +2 days -00:00:00.5'::interval", 'interval'],
    ["'-1 mon'::interval", 'interval'],
    ["'-3 days'::interval", 'interval'],
    ["'-00:00:00.000001'::interval", 'interval'],
    ["'178000000 years'::interval", 'interval'],
    ["'-2562047788:00:54.775807'::interval", 'interval'],
    ["'1 year 2 mons 3 days 04:05:06.789'::interval", 'interval'],
    ['array[1, null, 3]::int4[]', '_int4'],
    ["'[0:1]={1,2}'::int4[]", '_int4'],
    ["'{{1,2},{3,4}}'::int2[]", '_int2'],
    ["'{}'::int8[]", '_int8'],
    [`array['a b', 'NULL', '', null, 'x"y', 'a\\b', '{,}']::text[]`, '_text'],
    ['array[1.5, null, 0.001]::numeric[]', '_numeric'],
    ["array['0.1', 'NaN']::float4[]", '_float4'],
    ['array[true, false]::bool[]', '_bool'],
    ["array['2020-01-01 10:00:00+02', 'infinity']::timestamptz[]", '_timestamptz'],
    ["array['2020-01-01', null]::date[]", '_date'],
    ["array['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']::uuid[]", '_uuid'],
    [`array['{"a": 1}']::jsonb[]`, '_jsonb'],
    ["array['\\x01ff'::bytea, null]", '_bytea'],
    ["array['1 day 02:03:04', null, '-1 mon -00:00:01']::interval[]", '_interval'],
  ];

  it('decodes binary parameters (typsend bytes) to values PostgreSQL reads as the original', async () => {
    const sends = BINARY_CASES.map(([expr, typeName]) => {
      const fn = typeName.startsWith('_') ? 'array_send' : SEND_FUNCTIONS[typeName] ?? `${typeName}_send`;
      return `encode(${fn}(${expr}), 'hex'), (${expr})::text`;
    });
    const res = (await rows(`select ${sends.join(', ')}`))[0];
    for (let i = 0; i < BINARY_CASES.length; i++) {
      const [expr, typeName] = BINARY_CASES[i];
      const typeOid = resolveColumn({ typeName }).typeOid;
      const plan = planParameter({ number: 1, value: Buffer.from(res[2 * i]!, 'hex'), format: 1, typeOid });
      expect(await readBack(plan), expr).toBe(res[2 * i + 1]);
    }
  });

  it('decodes binary intervals to text that every IntervalStyle reads as the original', async () => {
    // The originals are kept as values (read under the default style), since sql_standard
    // reads a literal such as '-3 days 04:00:00' differently.
    const intervals = ["'-1 mon +2 days -00:00:00.5'", "'-1 mon 2 days 03:00:00'", "'-3 days 04:00:00'", "'1 year -2 mons'", "'-00:00:01'"];
    await client.query(
      `create temp table interval_originals as select * from (values ${intervals.map((v, i) => `(${i}, ${v}::interval)`).join(', ')}) as o(k, v)`,
    );
    const sends = await rows("select encode(interval_send(v), 'hex') from interval_originals order by k");
    try {
      for (const style of ['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601']) {
        await client.query(`set intervalstyle = ${style}`);
        for (let i = 0; i < intervals.length; i++) {
          const plan = planParameter({ number: 1, value: Buffer.from(sends[i][0]!, 'hex'), format: 1, typeOid: OID.interval });
          const [[same]] = await rows(
            'select CAST($1::text AS interval)::text = (select v::text from interval_originals where k = $2)',
            [plan.value.stringValue, i],
          );
          expect(same, `${intervals[i]} under ${style}`).toBe('t');
        }
      }
    } finally {
      await client.query('reset intervalstyle; drop table interval_originals');
    }
  });

  it('plans text parameters that PostgreSQL reads as the original', async () => {
    const cases: [text: string, typeName: string][] = [
      ['42', 'int4'],
      [' -7', 'int2'],
      ['9223372036854775807', 'int8'],
      ['0.1', 'float8'],
      ['-0', 'float8'],
      ['1.5e300', 'float8'],
      ['Infinity', 'float8'],
      ['0.1', 'float4'],
      ['12.50', 'numeric'],
      ['yes', 'bool'],
      ['\\x00ff', 'bytea'],
      ['a\\\\b\\001', 'bytea'],
      ['2024-01-02 10:00:00+09', 'timestamptz'],
      ['2024-01-02 10:00:00.123', 'timestamp'],
      ['infinity', 'date'],
      ['{1,NULL,3}', '_int4'],
      ['{"a b","c"}', '_text'],
      ['{"a": 1}', 'jsonb'],
      ['1 day 02:00:00', 'interval'],
      ['192.168.0.0/16', 'cidr'],
      ['-1', 'oid'],
    ];
    for (const [text, typeName] of cases) {
      const column = resolveColumn({ typeName });
      const plan = planParameter({ number: 1, value: Buffer.from(text), format: 0, typeOid: column.typeOid });
      const expected = (await rows(`select CAST($1::text AS ${column.type.castName})::text`, [text]))[0][0];
      expect(await readBack(plan), `${text}::${typeName}`).toBe(expected);
    }
  });
});
