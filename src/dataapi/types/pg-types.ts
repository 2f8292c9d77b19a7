// The built-in types of PostgreSQL 15 as a client sees them on the wire: OID, typlen (the
// "type size" of RowDescription), array type and element type. The Data API names types but
// never numbers them, so the proxy has to know the numbers itself. The table mirrors
// `select oid, typname, typlen, typarray from pg_type` of a stock PostgreSQL 15 (checked by a
// test against a real server); built-in OIDs are fixed at initdb and never change.

/** How a column's declared modifier is encoded in a RowDescription type modifier. */
export type TypmodRule =
  | 'none'
  /** numeric(p,s): ((p << 16) | s) + 4 */
  | 'numeric'
  /** varchar(n), bpchar(n): n + 4 */
  | 'charLength'
  /** bit(n), varbit(n): n */
  | 'bitLength'
  /** time(p), timetz(p), timestamp(p), timestamptz(p): p */
  | 'fractionalSeconds'
  /** interval fields and precision: not recoverable from Data API metadata */
  | 'interval';

export interface PgType {
  /** pg_type.typname; arrays carry a leading underscore (`_int4`). */
  readonly name: string;
  readonly oid: number;
  /** pg_type.typlen: 1, 2, 4, 6, 8, 12, 16, 24, 32, 64 for fixed width, -1 varlena, -2 C string. */
  readonly typlen: number;
  /** OID of the array type whose elements are this type; 0 when there is none. */
  readonly arrayOid: number;
  /** For an array type, the OID of its element type; 0 for every other type. */
  readonly elemOid: number;
  /** The spelling to use in `CAST(x AS …)`: `int4`, `"char"`, `int4[]`. */
  readonly castName: string;
  /** Element separator inside this type's array literals (`;` only for box). */
  readonly delimiter: string;
  readonly typmodRule: TypmodRule;
}

type BaseRow = readonly [name: string, oid: number, typlen: number, arrayOid: number, rule?: TypmodRule];

// Every base, pseudo, range and multirange type of PostgreSQL 15 with an OID below 10000.
const BASE_TYPES: readonly BaseRow[] = [
  ['bool', 16, 1, 1000],
  ['bytea', 17, -1, 1001],
  ['char', 18, 1, 1002],
  ['name', 19, 64, 1003],
  ['int8', 20, 8, 1016],
  ['int2', 21, 2, 1005],
  ['int2vector', 22, -1, 1006],
  ['int4', 23, 4, 1007],
  ['regproc', 24, 4, 1008],
  ['text', 25, -1, 1009],
  ['oid', 26, 4, 1028],
  ['tid', 27, 6, 1010],
  ['xid', 28, 4, 1011],
  ['cid', 29, 4, 1012],
  ['oidvector', 30, -1, 1013],
  ['pg_ddl_command', 32, 8, 0],
  ['json', 114, -1, 199],
  ['xml', 142, -1, 143],
  ['pg_node_tree', 194, -1, 0],
  ['table_am_handler', 269, 4, 0],
  ['index_am_handler', 325, 4, 0],
  ['point', 600, 16, 1017],
  ['lseg', 601, 32, 1018],
  ['path', 602, -1, 1019],
  ['box', 603, 32, 1020],
  ['polygon', 604, -1, 1027],
  ['line', 628, 24, 629],
  ['cidr', 650, -1, 651],
  ['float4', 700, 4, 1021],
  ['float8', 701, 8, 1022],
  ['unknown', 705, -2, 0],
  ['circle', 718, 24, 719],
  ['macaddr8', 774, 8, 775],
  ['money', 790, 8, 791],
  ['macaddr', 829, 6, 1040],
  ['inet', 869, -1, 1041],
  ['aclitem', 1033, 12, 1034],
  ['bpchar', 1042, -1, 1014, 'charLength'],
  ['varchar', 1043, -1, 1015, 'charLength'],
  ['date', 1082, 4, 1182],
  ['time', 1083, 8, 1183, 'fractionalSeconds'],
  ['timestamp', 1114, 8, 1115, 'fractionalSeconds'],
  ['timestamptz', 1184, 8, 1185, 'fractionalSeconds'],
  ['interval', 1186, 16, 1187, 'interval'],
  ['timetz', 1266, 12, 1270, 'fractionalSeconds'],
  ['bit', 1560, -1, 1561, 'bitLength'],
  ['varbit', 1562, -1, 1563, 'bitLength'],
  ['numeric', 1700, -1, 1231, 'numeric'],
  ['refcursor', 1790, -1, 2201],
  ['regprocedure', 2202, 4, 2207],
  ['regoper', 2203, 4, 2208],
  ['regoperator', 2204, 4, 2209],
  ['regclass', 2205, 4, 2210],
  ['regtype', 2206, 4, 2211],
  ['record', 2249, -1, 2287],
  ['cstring', 2275, -2, 1263],
  ['any', 2276, 4, 0],
  ['anyarray', 2277, -1, 0],
  ['void', 2278, 4, 0],
  ['trigger', 2279, 4, 0],
  ['language_handler', 2280, 4, 0],
  ['internal', 2281, 8, 0],
  ['anyelement', 2283, 4, 0],
  ['anynonarray', 2776, 4, 0],
  ['uuid', 2950, 16, 2951],
  ['txid_snapshot', 2970, -1, 2949],
  ['fdw_handler', 3115, 4, 0],
  ['pg_lsn', 3220, 8, 3221],
  ['tsm_handler', 3310, 4, 0],
  ['pg_ndistinct', 3361, -1, 0],
  ['pg_dependencies', 3402, -1, 0],
  ['anyenum', 3500, 4, 0],
  ['tsvector', 3614, -1, 3643],
  ['tsquery', 3615, -1, 3645],
  ['gtsvector', 3642, -1, 3644],
  ['regconfig', 3734, 4, 3735],
  ['regdictionary', 3769, 4, 3770],
  ['jsonb', 3802, -1, 3807],
  ['anyrange', 3831, -1, 0],
  ['event_trigger', 3838, 4, 0],
  ['int4range', 3904, -1, 3905],
  ['numrange', 3906, -1, 3907],
  ['tsrange', 3908, -1, 3909],
  ['tstzrange', 3910, -1, 3911],
  ['daterange', 3912, -1, 3913],
  ['int8range', 3926, -1, 3927],
  ['jsonpath', 4072, -1, 4073],
  ['regnamespace', 4089, 4, 4090],
  ['regrole', 4096, 4, 4097],
  ['regcollation', 4191, 4, 4192],
  ['int4multirange', 4451, -1, 6150],
  ['nummultirange', 4532, -1, 6151],
  ['tsmultirange', 4533, -1, 6152],
  ['tstzmultirange', 4534, -1, 6153],
  ['datemultirange', 4535, -1, 6155],
  ['int8multirange', 4536, -1, 6157],
  ['anymultirange', 4537, -1, 0],
  ['anycompatiblemultirange', 4538, -1, 0],
  ['pg_brin_bloom_summary', 4600, -1, 0],
  ['pg_brin_minmax_multi_summary', 4601, -1, 0],
  ['pg_mcv_list', 5017, -1, 0],
  ['pg_snapshot', 5038, -1, 5039],
  ['xid8', 5069, 8, 271],
  ['anycompatible', 5077, 4, 0],
  ['anycompatiblearray', 5078, -1, 0],
  ['anycompatiblenonarray', 5079, 4, 0],
  ['anycompatiblerange', 5080, -1, 0],
];

/** OIDs the codec refers to by name. */
export const OID = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  regproc: 24,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  point: 600,
  box: 603,
  cidr: 650,
  float4: 700,
  float8: 701,
  unknown: 705,
  money: 790,
  macaddr: 829,
  inet: 869,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  bit: 1560,
  varbit: 1562,
  numeric: 1700,
  regclass: 2205,
  regtype: 2206,
  record: 2249,
  void: 2278,
  uuid: 2950,
  tsvector: 3614,
  jsonb: 3802,
  jsonpath: 4072,
  // arrays used by the codec itself
  textArray: 1009,
} as const;

// Names that must be quoted to mean the catalogue type in SQL: a bare `char` is character(1),
// a bare `bit` is bit(1) (which would cut a longer bit string a parameter carries).
const QUOTED_CAST_NAMES = new Set(['char', 'bit', 'any', 'trigger', 'internal']);

function castNameOf(name: string): string {
  return QUOTED_CAST_NAMES.has(name) ? `"${name}"` : name;
}

function buildCatalogue(): { byOid: Map<number, PgType>; byName: Map<string, PgType> } {
  const byOid = new Map<number, PgType>();
  const byName = new Map<string, PgType>();
  const add = (t: PgType): void => {
    byOid.set(t.oid, t);
    byName.set(t.name, t);
  };
  for (const [name, oid, typlen, arrayOid, rule] of BASE_TYPES) {
    const delimiter = name === 'box' ? ';' : ',';
    const typmodRule = rule ?? 'none';
    add({ name, oid, typlen, arrayOid, elemOid: 0, castName: castNameOf(name), delimiter, typmodRule });
    if (arrayOid !== 0) {
      add({
        name: `_${name}`,
        oid: arrayOid,
        typlen: -1,
        arrayOid: 0,
        elemOid: oid,
        castName: `${castNameOf(name)}[]`,
        delimiter,
        // An array column reports its element's modifier (varchar(10)[] has typmod 14).
        typmodRule,
      });
    }
  }
  return { byOid, byName };
}

const CATALOGUE = buildCatalogue();

/** Every catalogue entry, base types and their arrays. */
export function allTypes(): PgType[] {
  return [...CATALOGUE.byOid.values()];
}

export function typeByOid(oid: number): PgType | undefined {
  return CATALOGUE.byOid.get(oid);
}

/** Exact pg_type.typname lookup (`int4`, `_int4`); see resolveTypeName for aliases. */
export function typeByName(name: string): PgType | undefined {
  return CATALOGUE.byName.get(name);
}

/** The catalogue entry for an OID the codec knows must exist. */
export function requireType(oid: number): PgType {
  const t = CATALOGUE.byOid.get(oid);
  if (!t) throw new Error(`type OID ${oid} is not in the catalogue`);
  return t;
}

/** The element type of an array type, or undefined when `t` is not an array. */
export function elementTypeOf(t: PgType): PgType | undefined {
  return t.elemOid === 0 ? undefined : CATALOGUE.byOid.get(t.elemOid);
}

// Spellings other than typname that a type name may arrive in: SQL-standard names, the serial
// pseudo-types (which pgJDBC, and so the Data API, report for auto-increment columns).
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['serial', 'int4'],
  ['serial4', 'int4'],
  ['bigserial', 'int8'],
  ['serial8', 'int8'],
  ['smallserial', 'int2'],
  ['serial2', 'int2'],
  ['int', 'int4'],
  ['integer', 'int4'],
  ['smallint', 'int2'],
  ['bigint', 'int8'],
  ['real', 'float4'],
  ['float', 'float8'],
  ['double precision', 'float8'],
  ['boolean', 'bool'],
  ['decimal', 'numeric'],
  ['character varying', 'varchar'],
  ['character', 'bpchar'],
  ['"char"', 'char'],
  ['bit varying', 'varbit'],
  ['timestamp without time zone', 'timestamp'],
  ['timestamp with time zone', 'timestamptz'],
  ['time without time zone', 'time'],
  ['time with time zone', 'timetz'],
]);

/**
 * A type name as a client or the Data API may spell it: typname (`int4`, `_int4`), the serial
 * family, SQL-standard names, `int4[]`. Case-insensitive; schema `pg_catalog.` is accepted.
 * Undefined for names that are not built-in (enums, domains, extension types).
 */
export function resolveTypeName(raw: string): PgType | undefined {
  let name = raw.trim().toLowerCase();
  if (name.startsWith('pg_catalog.')) name = name.slice('pg_catalog.'.length);
  if (name.endsWith('[]')) {
    const elem = resolveTypeName(name.slice(0, -2));
    return elem && elem.arrayOid !== 0 ? CATALOGUE.byOid.get(elem.arrayOid) : undefined;
  }
  const direct = CATALOGUE.byName.get(name);
  if (direct) return direct;
  if (name.startsWith('_')) {
    const elem = resolveTypeName(name.slice(1));
    return elem && elem.arrayOid !== 0 ? CATALOGUE.byOid.get(elem.arrayOid) : undefined;
  }
  const alias = ALIASES.get(name);
  return alias ? CATALOGUE.byName.get(alias) : undefined;
}
