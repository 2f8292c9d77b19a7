import { describe, expect, it } from 'vitest';
import {
  OID,
  allTypes,
  columnOfType,
  elementTypeOf,
  resolveColumn,
  resolveTypeName,
  typeByName,
  typeByOid,
  typmodFromMetadata,
} from '../../../src/dataapi/types/index.js';

describe('type catalogue', () => {
  it('knows the common OIDs, sizes and array types', () => {
    expect(typeByName('int4')).toMatchObject({ oid: 23, typlen: 4, arrayOid: 1007, elemOid: 0 });
    expect(typeByName('_int4')).toMatchObject({ oid: 1007, typlen: -1, elemOid: 23, castName: 'int4[]' });
    expect(typeByName('timestamptz')).toMatchObject({ oid: 1184, typlen: 8, arrayOid: 1185 });
    expect(typeByName('uuid')).toMatchObject({ oid: 2950, typlen: 16 });
    expect(typeByName('unknown')).toMatchObject({ oid: 705, typlen: -2, arrayOid: 0 });
    expect(typeByName('name')).toMatchObject({ oid: 19, typlen: 64, elemOid: 0 });
    expect(typeByOid(199)?.name).toBe('_json');
    expect(typeByOid(3807)?.name).toBe('_jsonb');
  });

  it('quotes "char" in casts so that it does not mean character(1)', () => {
    expect(typeByOid(OID.char)?.castName).toBe('"char"');
    expect(typeByOid(1002)?.castName).toBe('"char"[]');
    expect(typeByOid(OID.bpchar)?.castName).toBe('bpchar');
  });

  it('has a unique OID and name for every entry and links arrays both ways', () => {
    const types = allTypes();
    expect(new Set(types.map((t) => t.oid)).size).toBe(types.length);
    expect(new Set(types.map((t) => t.name)).size).toBe(types.length);
    for (const t of types) {
      if (t.arrayOid) expect(typeByOid(t.arrayOid)?.elemOid).toBe(t.oid);
      if (t.elemOid) expect(elementTypeOf(t)?.arrayOid).toBe(t.oid);
    }
  });

  it('resolves serial names, SQL spellings and array spellings', () => {
    expect(resolveTypeName('serial')?.oid).toBe(OID.int4);
    expect(resolveTypeName('bigserial')?.oid).toBe(OID.int8);
    expect(resolveTypeName('smallserial')?.oid).toBe(OID.int2);
    expect(resolveTypeName('_serial')?.oid).toBe(1007);
    expect(resolveTypeName('int4[]')?.oid).toBe(1007);
    expect(resolveTypeName('character varying')?.oid).toBe(OID.varchar);
    expect(resolveTypeName('timestamp with time zone')?.oid).toBe(OID.timestamptz);
    expect(resolveTypeName('INT8')?.oid).toBe(OID.int8);
    expect(resolveTypeName('pg_catalog.text')?.oid).toBe(OID.text);
    expect(resolveTypeName('mood')).toBeUndefined();
    expect(resolveTypeName('_mood')).toBeUndefined();
  });
});

describe('columnMetadata -> RowDescription type fields', () => {
  it('maps typeName to OID and type size', () => {
    expect(resolveColumn({ typeName: 'int4', type: 4, precision: 10, scale: 0 })).toMatchObject({
      typeOid: 23,
      typeSize: 4,
      typeModifier: -1,
    });
    expect(resolveColumn({ typeName: 'serial', type: 4 })).toMatchObject({ typeOid: 23, typeSize: 4 });
    expect(resolveColumn({ typeName: 'bigserial', type: -5 })).toMatchObject({ typeOid: 20, typeSize: 8 });
    expect(resolveColumn({ typeName: 'smallserial', type: 5 })).toMatchObject({ typeOid: 21, typeSize: 2 });
    const arr = resolveColumn({ typeName: '_int4', type: 2003 });
    expect(arr).toMatchObject({ typeOid: 1007, typeSize: -1 });
    expect(arr.elementType?.oid).toBe(23);
    expect(resolveColumn({ typeName: 'text', type: 12, precision: 2147483647 })).toMatchObject({
      typeOid: 25,
      typeModifier: -1,
    });
  });

  it('falls back on the java.sql type code for enums, domains and extension types', () => {
    expect(resolveColumn({ typeName: 'mood', type: 12 }).typeOid).toBe(OID.text);
    expect(resolveColumn({ typeName: 'posint', type: 4 }).typeOid).toBe(OID.int4);
    expect(resolveColumn({ typeName: 'money_domain', type: 2 }).typeOid).toBe(OID.numeric);
    expect(resolveColumn({ typeName: 'when_tz', type: 2014 }).typeOid).toBe(OID.timestamptz);
    expect(resolveColumn({ typeName: 'geometry', type: 1111 }).typeOid).toBe(OID.text);
    expect(resolveColumn({ typeName: '_mood', type: 2003 }).typeOid).toBe(1009);
    expect(resolveColumn({}).typeOid).toBe(OID.text);
    expect(resolveColumn(undefined).typeOid).toBe(OID.text);
  });

  it('rebuilds numeric, varchar, bpchar and bit typmods from precision and scale', () => {
    expect(resolveColumn({ typeName: 'numeric', precision: 10, scale: 2 }).typeModifier).toBe(((10 << 16) | 2) + 4);
    expect(resolveColumn({ typeName: 'numeric', precision: 0, scale: 0 }).typeModifier).toBe(-1);
    expect(resolveColumn({ typeName: 'numeric', precision: 131089, scale: 0 }).typeModifier).toBe(-1);
    expect(resolveColumn({ typeName: 'varchar', precision: 20 }).typeModifier).toBe(24);
    expect(resolveColumn({ typeName: 'varchar', precision: 2147483647 }).typeModifier).toBe(-1);
    expect(resolveColumn({ typeName: 'bpchar', precision: 1 }).typeModifier).toBe(5);
    expect(resolveColumn({ typeName: '_varchar', precision: 7 }).typeModifier).toBe(11);
    expect(resolveColumn({ typeName: 'bit', precision: 3 }).typeModifier).toBe(3);
    expect(resolveColumn({ typeName: 'int4', precision: 10 }).typeModifier).toBe(-1);
  });

  it('rebuilds time precision only when pgJDBC precision and scale agree', () => {
    const ts = typeByName('timestamp')!;
    expect(typmodFromMetadata(ts, 26, 3)).toBe(3); // 22 + point + 3 digits
    expect(typmodFromMetadata(ts, 22, 0)).toBe(0);
    expect(typmodFromMetadata(ts, 29, 6)).toBe(-1); // no modifier and (6) look alike
    expect(typmodFromMetadata(ts, 0, 0)).toBe(-1); // metadata that is not pgJDBC's
    expect(typmodFromMetadata(typeByName('timestamptz')!, 32, 3)).toBe(3);
    expect(typmodFromMetadata(typeByName('time')!, 11, 2)).toBe(2);
    expect(typmodFromMetadata(typeByName('time')!, 11, 1)).toBe(1); // pgJDBC counts 2 digits for (1)
  });

  it('builds a column from a bare OID', () => {
    expect(columnOfType(OID.jsonb)).toMatchObject({ typeOid: 3802, typeSize: -1, typeModifier: -1 });
    expect(columnOfType(999_999).typeOid).toBe(OID.text);
  });
});
