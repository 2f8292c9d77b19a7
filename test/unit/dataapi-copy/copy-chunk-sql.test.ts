// The SQL and the JSON parameter of set-based COPY chunks (no database: the statements' effect
// is checked against PostgreSQL's COPY in test/integration/dataapi-copy-differential.test.ts).
import { describe, expect, it } from 'vitest';
import { ChunkStatements, type PendingRow } from '../../../src/dataapi/session/copy-chunk-sql.js';
import type { CopyRow } from '../../../src/dataapi/copy/index.js';

const target = {
  table: 'public.t',
  relationName: 't',
  columns: [
    { name: 'id', type: 'integer', jsonLike: false },
    { name: 'Note', type: 'character varying(3)', jsonLike: false },
    { name: 'doc', type: 'public.jdom', jsonLike: true },
  ],
};

function pending(statements: ChunkStatements, values: CopyRow): PendingRow {
  return { json: statements.rowJson(values).json, values, line: 1, text: '' };
}

describe('set-based COPY chunk SQL', () => {
  it('reads each column with its type and typmod, json-like ones as text then cast', () => {
    const s = new ChunkStatements(target);
    expect(s.insert()).toBe(
      'INSERT INTO public.t (id, "Note", doc) OVERRIDING SYSTEM VALUE SELECT r."1", r."2", CAST(r."3" AS public.jdom) ' +
        'FROM pg_catalog.json_to_recordset(CAST(:rows AS pg_catalog.json)) AS r("1" integer, "2" character varying(3), "3" pg_catalog.text)',
    );
    expect(s.convertOnly(2)).toBe(
      'SELECT pg_catalog.count(ROW(r."1", r."2")) FROM pg_catalog.json_to_recordset(CAST(:rows AS pg_catalog.json)) AS r("1" integer, "2" character varying(3))',
    );
  });

  it('a WHERE condition sees the rows under the columns\' and the table\'s names', () => {
    const s = new ChunkStatements(target, "t.id > 1 AND \"Note\" <> 'x'");
    expect(s.insert()).toBe(
      'INSERT INTO public.t (id, "Note", doc) OVERRIDING SYSTEM VALUE SELECT t.id, t."Note", t.doc ' +
        'FROM (SELECT r."1" AS id, r."2" AS "Note", CAST(r."3" AS public.jdom) AS doc ' +
        'FROM pg_catalog.json_to_recordset(CAST(:rows AS pg_catalog.json)) AS r("1" integer, "2" character varying(3), "3" pg_catalog.text)) AS t ' +
        'WHERE t.id > 1 AND "Note" <> \'x\'',
    );
  });

  it('a table without columns takes one row per JSON element', () => {
    const s = new ChunkStatements({ ...target, columns: [] });
    expect(s.insert()).toBe('INSERT INTO public.t SELECT FROM pg_catalog.json_array_elements(CAST(:rows AS pg_catalog.json)) AS e');
    expect(s.rowJson([]).json).toBe('{}');
  });

  it('keeps null apart from the string "null" and carries escapes and non-ASCII text intact', () => {
    const s = new ChunkStatements(target);
    const rows: CopyRow[] = [
      ['1', null, 'null'],
      ['2', 'a"b\\c\n\t\u0001', '{"k": "v"}'],
      ['3', 'zoë 😀 \u2028', ''],
    ];
    const param = s.parameter(rows.map((r) => pending(s, r)));
    expect(param[0].name).toBe('rows');
    expect(JSON.parse(param[0].value!.stringValue!)).toEqual(rows.map((r) => ({ 1: r[0], 2: r[1], 3: r[2] })));
  });

  it('counts exactly the bytes a row adds to the request body', () => {
    const s = new ChunkStatements(target);
    const rows: CopyRow[] = [
      ['1', null, null],
      ['2', 'plain', 'x'],
      ['3', 'a"b\\c\n\t\u0001"', '\\\\'],
      ['4', 'zoë 😀 \u2028', '"'],
    ];
    const inBody = (text: string) => Buffer.byteLength(JSON.stringify(text));
    const all = s.parameter(rows.map((r) => pending(s, r)))[0].value!.stringValue!;
    // The array's brackets and quotes (4 bytes with the string's quotes), less the comma never written after the last row.
    const summed = rows.reduce((n, r) => n + s.rowJson(r).wireBytes, 0);
    expect(summed + 4 - 1).toBe(inBody(all));
  });
});
