// Binary parameters of enums and domains: read as what the type is made of, cast to the type.
import { describe, expect, it } from 'vitest';
import type { Field } from '@aws-sdk/client-rds-data';
import { planParameter } from '../../../src/dataapi/types/index.js';
import { lookUpUserTypes } from '../../../src/dataapi/session/user-param-types.js';

describe('binary parameters of types outside the catalogue', () => {
  it('reads an enum as its label and a domain as its base type, cast to the type', () => {
    const mood = { wireOid: 25, castName: 'public.mood' };
    expect(planParameter({ number: 1, value: Buffer.from('happy'), format: 1, typeOid: 16500, userType: mood })).toEqual({
      value: { stringValue: 'happy' },
      sqlType: 'public.mood',
    });
    const positive = { wireOid: 23, castName: 'positive' };
    expect(planParameter({ number: 2, value: Buffer.from('00000007', 'hex'), format: 1, typeOid: 16501, userType: positive })).toEqual({
      value: { longValue: 7 },
      sqlType: 'positive',
    });
    expect(planParameter({ number: 2, value: null, format: 1, typeOid: 16501, userType: positive })).toEqual({
      value: { isNull: true },
      sqlType: 'positive',
    });
  });

  it('still refuses a binary value of a type it could not look up', () => {
    expect(() => planParameter({ number: 3, value: Buffer.from('x'), format: 1, typeOid: 16502 })).toThrowError(
      expect.objectContaining({ sqlstate: '0A000' }),
    );
  });

  it('looks types up in pg_type, following a domain over a domain, and only when one is not built in', async () => {
    const catalogue = new Map<number, [string, number, string]>([
      [16500, ['e', 0, 'mood']],
      [16501, ['d', 16503, 'small_positive']],
      [16503, ['d', 23, 'positive']],
      [16504, ['c', 0, 'a_row']],
    ]);
    const queries: string[] = [];
    const run = (sql: string) => {
      queries.push(sql);
      const oids = /IN \(([^)]*)\)/.exec(sql)![1].split(', ').map(Number);
      const records: Field[][] = oids
        .filter((o) => catalogue.has(o))
        .map((o) => {
          const [typtype, base, name] = catalogue.get(o)!;
          return [{ longValue: o }, { stringValue: typtype }, { longValue: base }, { stringValue: name }];
        });
      return Promise.resolve({ records });
    };
    expect(await lookUpUserTypes([23, 25, 0], run)).toBeUndefined();
    expect(queries).toEqual([]);
    const wires = await lookUpUserTypes([16500, 16501, 16504, 23], run);
    expect(wires && Object.fromEntries(wires)).toEqual({
      16500: { wireOid: 25, castName: 'mood' },
      16501: { wireOid: 23, castName: 'small_positive' },
    });
    expect(queries).toHaveLength(2);
  });
});
