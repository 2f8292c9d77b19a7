// pg_type rows for the OIDs a result uses, cached per database. Built-in types never change;
// a user type (enum, extension type) is looked up the first time a result carries its OID.

import type pg from 'pg';

export interface PgType {
  oid: number;
  typname: string;
  /** b base, c composite, d domain, e enum, p pseudo, r range, m multirange */
  typtype: string;
  typelem: number;
  typcategory: string;
}

export class TypeCatalog {
  private readonly types = new Map<number, PgType>();

  get(oid: number): PgType | undefined {
    return this.types.get(oid);
  }

  /** Loads the missing OIDs and, for arrays, their element types; runs on the caller's connection. */
  async ensure(client: pg.ClientBase, oids: number[]): Promise<void> {
    let missing = unique(oids.filter((oid) => !this.types.has(oid)));
    for (let round = 0; round < 2 && missing.length > 0; round++) {
      const rows = await this.load(client, missing);
      missing = unique(rows.map((t) => t.typelem).filter((oid) => oid !== 0 && !this.types.has(oid)));
    }
  }

  private async load(client: pg.ClientBase, oids: number[]): Promise<PgType[]> {
    const list = oids.map((oid) => `${Math.trunc(oid)}::pg_catalog.oid`).join(',');
    const result = await client.query<Record<string, string>>(
      `SELECT oid::pg_catalog.int8 AS oid, typname::pg_catalog.text AS typname, typtype::pg_catalog.text AS typtype,
              typelem::pg_catalog.int8 AS typelem, typcategory::pg_catalog.text AS typcategory
         FROM pg_catalog.pg_type WHERE oid IN (${list})`,
    );
    const rows = result.rows.map((r) => ({
      oid: Number(r.oid),
      typname: r.typname,
      typtype: r.typtype,
      typelem: Number(r.typelem),
      typcategory: r.typcategory,
    }));
    for (const row of rows) this.types.set(row.oid, row);
    return rows;
  }
}

function unique(values: number[]): number[] {
  return [...new Set(values)];
}
