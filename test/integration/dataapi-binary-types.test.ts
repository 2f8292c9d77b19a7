// Binary formats of the types asyncpg (and pgJDBC, pgx, tokio-postgres) read and send in binary,
// compared byte for byte between PostgreSQL and the proxy in Data API mode. For every value,
// `select $1::T` runs with the parameter's type declared in Parse:
//   1. text parameter, binary result: PostgreSQL's typsend bytes, the reference;
//   2. the same through the proxy: its binary output must be those bytes;
//   3. the reference bytes as a binary parameter, binary result, on both sides: the proxy's
//      binary input and output together must give the same bytes back (or the same SQLSTATE
//      where PostgreSQL's typrecv refuses the value);
//   4. the reference bytes as a binary parameter, text result, on both sides: binary input alone.
import { describe, expect, it } from 'vitest';
import { typeByName, resolveTypeName } from '../../src/dataapi/types/index.js';
import { useDataApiStack } from './dataapi-fixture.js';
import { WireClient } from '../harness/wire-client.js';

/** Type (as written in the cast) -> text values, NULL included for every type below. */
const VALUES: Record<string, (string | null)[]> = {
  '"char"': ['a', 'Z', '', '\\351', '\\'],
  interval: [
    '1 year 2 mons -3 days 04:05:06.789',
    '0',
    '-178000000 years',
    '178000000 years 1 mon',
    '-1 days +00:00:01',
    '1000000:00:00',
    '-00:00:00.000001',
    '-2147483648 days',
    '2562047788:00:54.775807',
  ],
  inet: ['10.0.0.1', '10.0.0.1/8', '0.0.0.0/0', '::1', '2001:db8::1/64', '::ffff:1.2.3.4', 'fe80::1:2:3:4', '255.255.255.255'],
  cidr: ['10.0.0.0/8', '192.168.1.1/32', '0.0.0.0/0', '2001:db8::/32', '::/0', '::1/128'],
  macaddr: ['08:00:2b:01:02:03', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00'],
  macaddr8: ['08:00:2b:01:02:03:04:05', '08:00:2b:01:02:03', 'ff:ff:ff:ff:ff:ff:ff:ff'],
  xid: ['0', '12345', '4294967295'],
  cid: ['0', '4294967295'],
  xid8: ['0', '18446744073709551615', '4294967296'],
  tid: ['(0,1)', '(0,0)', '(4294967295,65535)'],
  '"bit"': ['1', '0', '101', '1010101011110000', '10101010111100001'],
  varbit: ['', '1', '10101010101010101010'],
  money: ['0', '12.34', '-12.34', '1234567.89', '92233720368547758.07', '-92233720368547758.08'],
  pg_lsn: ['0/0', '16/B374D848', 'FFFFFFFF/FFFFFFFF'],
  int2vector: ['1 2 3', '-32768 32767', '0', ''],
  oidvector: ['1 2', '4294967295', ''],
  line: ['{1,-1,0}', '{1.5,2.25,-3e+100}', '{0,1,-0}', '{1,0,Infinity}'],
  lseg: ['[(0,0),(1,1)]', '[(-1.5,2),(1e-300,Infinity)]'],
  path: ['((0,0),(1,1),(2,0))', '[(0,0),(1,1)]', '((1,2))', '[(1e+300,-1e-300),(NaN,3)]'],
  polygon: ['((0,0),(1,1),(2,0))', '((1,2))', '((-0.5,1e+20),(3,4))'],
  circle: ['<(0,0),1>', '<(1.5,-2.5),0>', '<(1e+300,-0),3.25>'],
  jsonpath: ['$', '$.a[*] ? (@ > 1)', 'strict $."key with space"', 'lax $.x.double() + 1'],
  xml: [
    '<a>b</a>',
    'just text',
    '<?xml version="1.0"?><a x="1"/>',
    '<?xml version="1.0"?>\n<a/>',
    '<?xml version="1.1" encoding="UTF-8" standalone="yes"?><a/>',
    "<?xml version='1.0' standalone='no' ?><a/>",
  ],
  int4range: ['empty', '[1,10)', '(,5]', '[3,)', '(,)', '[-2147483648,2147483646]', '(1,2)'],
  int8range: ['[-9223372036854775808,9223372036854775806]', 'empty', '(,0)'],
  numrange: ['[1.5,2.25]', '(,)', '[-0.0000000001,0)', 'empty', '(1,1e20]'],
  daterange: ['[2020-01-01,infinity)', '[-infinity,2020-01-02]', 'empty', '[2000-01-01,2000-01-01]', '[4713-01-01 BC,5874897-12-30]'],
  tsrange: ['["2020-01-01 00:00:00","2020-01-02 03:04:05.678")', '[,"2000-01-01 00:00:00")', '(-infinity,infinity)', 'empty'],
  tstzrange: ['["2020-01-01 00:00:00+00","2020-06-01 12:00:00+02")', '(,infinity]', '["1999-12-31 23:59:59.999999+00",)'],
  // Arrays: empty, with NULLs, two-dimensional.
  'int4range[]': ['{}', '{"[1,2)",empty,NULL}', '{{"[1,2)","[3,4)"},{empty,NULL}}'],
  'interval[]': ['{}', '{"1 day",NULL,"-00:00:01"}'],
  'inet[]': ['{10.0.0.1,NULL,::1/64}', '{}'],
  'cidr[]': ['{10.0.0.0/8,NULL}'],
  '"char"[]': ['{a,"",b,NULL}'],
  '"bit"[]': ['{1,0,NULL}'],
  'varbit[]': ['{101,"",NULL}'],
  'macaddr[]': ['{08:00:2b:01:02:03,NULL}'],
  'macaddr8[]': ['{08:00:2b:01:02:03:04:05}'],
  'money[]': ['{1.00,NULL,-2.50}'],
  'tid[]': ['{"(0,1)",NULL}'],
  'xid[]': ['{1,NULL}'],
  'xid8[]': ['{1,18446744073709551615}'],
  'cid[]': ['{7}'],
  'pg_lsn[]': ['{0/1,NULL}'],
  'circle[]': ['{"<(0,0),1>",NULL}'],
  'line[]': ['{"{1,2,3}"}'],
  'lseg[]': ['{"[(0,0),(1,1)]"}'],
  'path[]': ['{"((0,0),(1,1))","[(2,2),(3,3)]"}'],
  'polygon[]': ['{"((0,0),(1,1),(1,0))"}'],
  'int2vector[]': ['{"1 2",NULL}'],
  'oidvector[]': ['{"1 2"}'],
  'jsonpath[]': ['{$.a,NULL}'],
  'xml[]': ['{<a/>,NULL}'],
  'numrange[]': ['{"[1,2]","(,)"}'],
  'daterange[]': ['{"[2020-01-01,2020-02-01)"}'],
  'tsrange[]': ['{"[\\"2020-01-01 00:00:00\\",)"}'],
  'tstzrange[]': ['{"[\\"2020-01-01 00:00:00+00\\",)",NULL}'],
  'int8range[]': ['{"[1,2)"}'],
};

/** The OID of a type as written in the cast. */
function oidOf(typeText: string): number {
  const unquoted = typeText.replace(/"/g, '');
  const t = resolveTypeName(unquoted) ?? typeByName(unquoted);
  if (!t) throw new Error(`unknown type ${typeText}`);
  return t.oid;
}

const stack = useDataApiStack();

async function withClients<T>(work: (direct: WireClient, proxy: WireClient) => Promise<T>): Promise<T> {
  const s = stack();
  const direct = await WireClient.open(s.db.host, s.db.port, s.db.user, s.db.database);
  const proxy = await WireClient.open(s.proxy.host, s.proxy.port, 'postgres', 'postgres');
  try {
    return await work(direct, proxy);
  } finally {
    direct.end();
    proxy.end();
  }
}

describe('binary formats through the Data API mode, byte for byte against PostgreSQL', () => {
  for (const [typeText, values] of Object.entries(VALUES)) {
    it(typeText, async () => {
      const oid = oidOf(typeText);
      const sql = `select $1::${typeText}`;
      await withClients(async (direct, proxy) => {
        for (const text of [...values, null]) {
          const label = `${typeText} ${JSON.stringify(text)}`;
          const reference = await direct.run(sql, oid, text, true);
          if (!('value' in reference)) throw new Error(`${label}: PostgreSQL refused the test value: ${reference.message}`);
          expect(await proxy.run(sql, oid, text, true), `${label}: binary output`).toEqual(reference);
          expect(await proxy.run(sql, oid, text, false), `${label}: text output`).toEqual(await direct.run(sql, oid, text, false));

          const bytes = reference.value === null ? null : Buffer.from(reference.value, 'hex');
          const directRoundTrip = await direct.run(sql, oid, bytes, true);
          const proxyRoundTrip = await proxy.run(sql, oid, bytes, true);
          if ('error' in directRoundTrip) {
            // PostgreSQL's typrecv refuses what its typsend wrote (an empty int2vector).
            expect('error' in proxyRoundTrip && proxyRoundTrip.error, `${label}: binary input refused`).toBe(directRoundTrip.error);
            continue;
          }
          expect(proxyRoundTrip, `${label}: binary input then binary output`).toEqual(directRoundTrip);
          expect(await proxy.run(sql, oid, bytes, false), `${label}: binary input, text output`).toEqual(
            await direct.run(sql, oid, bytes, false),
          );
        }
      });
    });
  }

  it('refuses binary output of the reg* types with 0A000 (their OIDs are not in the Data API result)', async () => {
    await withClients(async (_direct, proxy) => {
      const outcome = await proxy.run('select $1::regclass', 25, 'pg_class', true);
      expect(outcome).toMatchObject({ error: '0A000', message: expect.stringMatching(/regclass.*text format/) as unknown });
    });
  });

  it('refuses binary input that PostgreSQL refuses, with its SQLSTATE', async () => {
    const malformed: [string, string][] = [
      ['inet', '04200004' + '0a000001'], // family 4
      ['inet', '02210004' + '0a000001'], // 33 bits
      ['cidr', '02080104' + '0a000001'], // host bits right of the mask
      ['circle', '0'.repeat(32) + 'bff0000000000000'], // radius -1
      ['line', '0'.repeat(48)], // A = B = 0
      ['path', '01' + '00000000'], // no points
      ['"bit"', 'ffffffff'], // negative length
      ['int2vector', '00000001000000000000001500000001' + '00000001' + '00000002' + '0001'], // lower bound 1
      ['"char"', '4142'], // two bytes
      ['int4range', '02' + '00000004' + '00000005' + '00000004' + '00000001'], // lower above upper
    ];
    await withClients(async (direct, proxy) => {
      for (const [typeText, hex] of malformed) {
        const oid = oidOf(typeText);
        const sql = `select $1::${typeText}`;
        const expected = await direct.run(sql, oid, Buffer.from(hex, 'hex'), true);
        expect('error' in expected, `${typeText} ${hex} is refused by PostgreSQL`).toBe(true);
        const got = await proxy.run(sql, oid, Buffer.from(hex, 'hex'), true);
        expect('error' in got && got.error, `${typeText} ${hex}`).toBe('error' in expected && expected.error);
      }
    });
  });
});
