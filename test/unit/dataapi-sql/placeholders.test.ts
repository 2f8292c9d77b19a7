import { describe, expect, it } from 'vitest';
import {
  NulCharacterError,
  findPlaceholders,
  offsetToPosition,
  positionToOffset,
  quoteIdentifier,
  quoteLiteral,
  renderPlaceholders,
} from '../../../src/dataapi/sql/index.js';

describe('findPlaceholders', () => {
  it('reports the highest index, the distinct indexes and every occurrence', () => {
    const sql = 'select $2, $1 + $2 from t where x = $10';
    const use = findPlaceholders(sql);
    expect(use.highest).toBe(10);
    expect(use.indexes).toEqual([1, 2, 10]);
    expect(use.occurrences.map((o) => [o.index, sql.slice(o.start, o.end)])).toEqual([
      [2, '$2'],
      [1, '$1'],
      [2, '$2'],
      [10, '$10'],
    ]);
  });

  it('ignores $n inside strings, quoted identifiers, dollar quotes and comments', () => {
    const sql = "select '$1', E'\\'$2', \"$3\", $$ $4 $$, $q$ $5 $q$ /* $6 /* $7 */ $8 */ -- $9\n, $11";
    expect(findPlaceholders(sql).indexes).toEqual([11]);
  });

  it('does not count identifier-embedded $ or trailing junk as parameters', () => {
    expect(findPlaceholders('select a$1, $1x, $2').indexes).toEqual([2]);
  });

  it('reports nothing for text without parameters', () => {
    expect(findPlaceholders('select 1')).toEqual({ highest: 0, indexes: [], occurrences: [] });
  });
});

describe('renderPlaceholders', () => {
  it('replaces each $n with the rendered text and leaves everything else alone', () => {
    const r = renderPlaceholders("select $1::int, '$1', $2 -- $3", (n) => `:p${n}`);
    expect(r.sql).toBe("select :p1::int, '$1', :p2 -- $3");
    expect(r.changed).toBe(true);
  });

  it('supports casts and inlined literals', () => {
    expect(renderPlaceholders('x = $1', (n) => `CAST(:p${n} AS int4)`).sql).toBe('x = CAST(:p1 AS int4)');
    expect(renderPlaceholders('x = $1', () => quoteLiteral("it's")).sql).toBe("x = 'it''s'");
  });

  it('adds a space where the rendered text would merge with a neighbour', () => {
    // `-` followed by `-5` would start a comment.
    expect(renderPlaceholders('select -$1', () => '-5').sql).toBe('select - -5');
    expect(renderPlaceholders('select $1.5', () => '1').sql).toBe('select 1 .5');
    expect(renderPlaceholders('select ($1)', () => '-5').sql).toBe('select (-5)');
  });

  it('reports unchanged text when there is nothing to render', () => {
    const r = renderPlaceholders('select 1', (n) => `:p${n}`);
    expect(r).toMatchObject({ sql: 'select 1', changed: false });
  });

  it('maps offsets in the rewritten text back to the original', () => {
    const sql = 'select $1, bogus_column';
    const r = renderPlaceholders(sql, () => 'CAST(:p1 AS int4)');
    const inRewritten = r.sql.indexOf('bogus_column');
    expect(r.originalOffset(inRewritten)).toBe(sql.indexOf('bogus_column'));
    expect(r.originalOffset(r.sql.indexOf(':p1'))).toBe(sql.indexOf('$1'));
    expect(r.originalOffset(r.sql.length)).toBe(sql.length);
  });
});

describe('quoteLiteral', () => {
  it('doubles quotes and uses E-syntax only when there is a backslash', () => {
    expect(quoteLiteral('abc')).toBe("'abc'");
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('C:\\dir\\')).toBe("E'C:\\\\dir\\\\'");
    expect(quoteLiteral("a\\'b")).toBe("E'a\\\\''b'");
    expect(quoteLiteral('')).toBe("''");
    expect(quoteLiteral('日本 😀')).toBe("'日本 😀'");
  });

  it('rejects NUL the way PostgreSQL does', () => {
    expect(() => quoteLiteral('a\0b')).toThrow(NulCharacterError);
    try {
      quoteLiteral('\0');
    } catch (e) {
      expect((e as NulCharacterError).sqlState).toBe('22021');
      expect((e as Error).message).toBe('invalid byte sequence for encoding "UTF8": 0x00');
    }
  });
});

describe('quoteIdentifier', () => {
  it('quotes only when PostgreSQL would', () => {
    expect(quoteIdentifier('public')).toBe('public');
    expect(quoteIdentifier('my_schema2')).toBe('my_schema2');
    expect(quoteIdentifier('MySchema')).toBe('"MySchema"');
    expect(quoteIdentifier('a b')).toBe('"a b"');
    expect(quoteIdentifier('$user')).toBe('"$user"');
    expect(quoteIdentifier('user')).toBe('"user"');
    expect(quoteIdentifier('select')).toBe('"select"');
    expect(quoteIdentifier('abort')).toBe('abort'); // unreserved keyword
    expect(quoteIdentifier('say "hi"')).toBe('"say ""hi"""');
    expect(quoteIdentifier('')).toBe('""');
  });
});

describe('PostgreSQL positions', () => {
  it('counts characters, not UTF-16 code units, and is 1-based', () => {
    const text = 'select 😀, x';
    const offset = text.indexOf('x');
    expect(offsetToPosition(text, 0)).toBe(1);
    expect(offsetToPosition(text, offset)).toBe(offset); // the emoji is two code units, one character
    expect(positionToOffset(text, offset)).toBe(offset);
    expect(positionToOffset(text, 1)).toBe(0);
    expect(positionToOffset(text, 1000)).toBe(text.length);
  });
});
