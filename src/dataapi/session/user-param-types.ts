// After a Describe of a statement, the parameters whose types are not built in (enums, domains)
// are looked up in pg_type, so that their binary Bind values can be read (types/user-types.ts).
// One catalogue read per Describe that meets such a type; nothing when all types are built in.
import type { Field } from '@aws-sdk/client-rds-data';
import { OID, typeByOid } from '../types/pg-types.js';
import type { UserTypeWire } from '../types/user-types.js';

type RunSql = (sql: string) => Promise<{ records?: Field[][] }>;

/** Domains over domains are followed this many levels at most. */
const MAX_DOMAIN_DEPTH = 4;

export async function lookUpUserTypes(paramTypes: readonly number[], run: RunSql): Promise<Map<number, UserTypeWire> | undefined> {
  const wanted = [...new Set(paramTypes.filter((oid) => oid !== 0 && typeByOid(oid) === undefined))];
  if (wanted.length === 0) return undefined;
  const rows = new Map<number, { typtype: string; base: number; name: string }>();
  let pending = wanted;
  for (let depth = 0; pending.length > 0 && depth <= MAX_DOMAIN_DEPTH; depth++) {
    const out = await run(
      'SELECT t.oid::int8, t.typtype::text, t.typbasetype::int8, pg_catalog.format_type(t.oid, NULL) ' +
        `FROM pg_catalog.pg_type t WHERE t.oid IN (${pending.map((n) => String(Math.trunc(n))).join(', ')})`,
    );
    const next: number[] = [];
    for (const r of out.records ?? []) {
      const oid = Number(r[0]?.longValue ?? r[0]?.stringValue);
      const row = { typtype: r[1]?.stringValue ?? '', base: Number(r[2]?.longValue ?? r[2]?.stringValue ?? 0), name: r[3]?.stringValue ?? '' };
      rows.set(oid, row);
      if (row.typtype === 'd' && typeByOid(row.base) === undefined && !rows.has(row.base)) next.push(row.base);
    }
    pending = next;
  }
  const wireOf = (oid: number, depth: number): number | undefined => {
    if (typeByOid(oid)) return oid;
    const row = rows.get(oid);
    if (!row || depth > MAX_DOMAIN_DEPTH) return undefined;
    if (row.typtype === 'e') return OID.text;
    return row.typtype === 'd' ? wireOf(row.base, depth + 1) : undefined;
  };
  const wires = new Map<number, UserTypeWire>();
  for (const oid of wanted) {
    const wireOid = wireOf(oid, 0);
    const name = rows.get(oid)?.name;
    if (wireOid !== undefined && name) wires.set(oid, { wireOid, castName: name });
  }
  return wires.size > 0 ? wires : undefined;
}
