import { describe, expect, it } from 'vitest';
import { toDataApiSql } from '../../../src/dataapi/sql/index.js';

/**
 * A model of the Data API's named-parameter scanner (see reference/data-api.md): it skips
 * '…' (no escapes), "…", `--` to LF and non-nesting block comments, skips `::`, and takes `:`
 * followed by a name character as a parameter. It knows nothing of dollar quotes.
 */
function serviceParameters(sql: string): string[] {
  const separators = `"':&,;()|=+-*%/\\<>^]`;
  const names: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (sql.startsWith('::', i)) {
      i += 2;
    } else if (ch === ':') {
      let j = i + 1;
      while (j < sql.length && !separators.includes(sql[j]!) && !/\s/.test(sql[j]!)) j++;
      if (j > i + 1) names.push(sql.slice(i + 1, j));
      i = j;
    } else {
      i++;
    }
  }
  return names;
}

const render = (n: number) => `:p${n}`;

describe('the scanner model', () => {
  it('reproduces the documented failures of the real service', () => {
    expect(serviceParameters('SELECT $$a :b c$$')).toEqual(['b']);
    expect(serviceParameters('SELECT a[1:2]')).toEqual(['2']);
    expect(serviceParameters("SELECT ':x', \"y:z\", a::int -- :c")).toEqual([]);
  });
});

describe('toDataApiSql', () => {
  const hazards: Array<[string, string, string[]]> = [
    ['SELECT $$a :b c$$', "SELECT 'a :b c'", []],
    ["SELECT $f$it's :x$f$ AS v", "SELECT 'it''s :x' AS v", []],
    ['SELECT $$back\\slash :x$$', "SELECT E'back\\\\slash :x'", []],
    ['SELECT a[1:2], a[i:j], a[:2], a[1:]', 'SELECT a[1: 2], a[i: j], a[: 2], a[1: ]', []],
    ['SELECT a[$1:$2]', 'SELECT a[:p1: :p2]', ['p1', 'p2']],
    ["SELECT E'it\\'s :x', $1", "SELECT E'it''s :x', :p1", ['p1']],
    ["SELECT 'C:\\', ':y', $1", "SELECT E'C:\\\\', ':y', :p1", ['p1']],
    ['SELECT /* a /* b */ :c */ $1', 'SELECT /* a /+ b *+ :c */ :p1', ['p1']],
    ["SELECT 1 -- it's :x\rFROM t WHERE a = $1", "SELECT 1 -- it's :x\nFROM t WHERE a = :p1", ['p1']],
  ];

  it('rewrites what the service would misread into text it reads as PostgreSQL does', () => {
    for (const [input, expected, params] of hazards) {
      const r = toDataApiSql(input, { renderParameter: render });
      expect({ input, sql: r.sql }).toEqual({ input, sql: expected });
      expect(serviceParameters(r.sql)).toEqual(params);
      expect(r.changed).toBe(true);
    }
  });

  it('leaves safe text byte for byte alone', () => {
    const safe = [
      'SELECT 1',
      "SELECT ':x', \"a:b\", $$plain body$$, x::int, f(a := 1)",
      "SELECT '{\"a\":1}'::jsonb -> 'a'",
      'SELECT /* :x */ 1 -- :y',
      "SELECT E'a\\nb', E'\\\\'",
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      "SELECT 'it''s'",
    ];
    for (const sql of safe) {
      const r = toDataApiSql(sql);
      expect(r).toMatchObject({ sql, changed: false });
      expect(serviceParameters(r.sql)).toEqual([]);
    }
  });

  it('renders parameters only when asked to', () => {
    expect(toDataApiSql('SELECT $1').sql).toBe('SELECT $1');
    expect(toDataApiSql('SELECT $1', { renderParameter: (n) => `CAST(:p${n} AS int4)` }).sql).toBe('SELECT CAST(:p1 AS int4)');
  });

  it('rewrites a dollar-quoted function body whose text contains quotes or colons', () => {
    const sql = "CREATE FUNCTION f(a int[]) RETURNS int[] LANGUAGE sql AS $body$ SELECT a[1:2] || '{9}' $body$";
    const r = toDataApiSql(sql);
    expect(r.sql).toBe("CREATE FUNCTION f(a int[]) RETURNS int[] LANGUAGE sql AS ' SELECT a[1:2] || ''{9}'' '");
    expect(serviceParameters(r.sql)).toEqual([]);
  });

  it('separates a rewritten literal from a preceding word', () => {
    expect(toDataApiSql("SELECT text'C:\\'").sql).toBe("SELECT text E'C:\\\\'");
  });

  it('joins E-string continuation segments into one literal', () => {
    expect(toDataApiSql("SELECT E'a\\''\n'b\\''").sql).toBe("SELECT E'a''b'''");
  });

  it('leaves unterminated text alone for PostgreSQL to reject', () => {
    for (const sql of ["SELECT $$a :b", "SELECT 'C:\\", 'SELECT /* /* */']) {
      expect(toDataApiSql(sql).sql).toBe(sql);
    }
  });

  it('maps positions in the rewritten text back to the original', () => {
    const sql = 'SELECT $$x:y$$, a[1:2], nosuch';
    const r = toDataApiSql(sql);
    expect(r.sql).toBe("SELECT 'x:y', a[1: 2], nosuch");
    expect(r.originalOffset(r.sql.indexOf('nosuch'))).toBe(sql.indexOf('nosuch'));
    expect(r.originalOffset(r.sql.indexOf("'x:y'"))).toBe(sql.indexOf('$$x:y$$'));
    expect(r.originalOffset(0)).toBe(0);
  });
});
