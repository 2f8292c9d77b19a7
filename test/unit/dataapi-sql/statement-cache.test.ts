// The per-process cache of parsed statements (src/dataapi/sql/statement-cache.ts): the same
// statements as parseStatements, shared safely (frozen, a fresh array per caller), bounded.
import { describe, expect, it } from 'vitest';
import { ParsedStatementCache, parseStatements, parseStatementsCached } from '../../../src/dataapi/sql/index.js';

const TEXTS = [
  'select 1',
  'SELECT $1::int, $2 -- trailing comment',
  "insert into t (a, b) values ($1, 'x;y'); update t set a = $2 where b = E'\\''",
  'begin isolation level serializable; commit',
  'set search_path to app, public',
  "copy t (a) from stdin with (format csv, null 'NULL')",
  "select 'unterminated",
  '   ;  ; ',
  'declare c cursor with hold for select * from t; fetch 10 from c',
];

describe('parsed statement cache', () => {
  it('answers what parseStatements answers, the first time and from the cache', () => {
    const cache = new ParsedStatementCache();
    for (const text of TEXTS) {
      const expected = parseStatements(text);
      expect(cache.parse(text), text).toEqual(expected);
      expect(cache.parse(text), text).toEqual(expected);
    }
    expect(parseStatementsCached(TEXTS[2]!)).toEqual(parseStatements(TEXTS[2]!));
  });

  it('gives each caller its own array of shared, frozen statements', () => {
    const cache = new ParsedStatementCache();
    const text = 'select $1, $2; select $3';
    const first = cache.parse(text);
    first.shift();
    first.push(first[0]!);
    const second = cache.parse(text);
    expect(second.map((s) => s.text)).toEqual(['select $1, $2', 'select $3']);
    expect(second[0]).toBe(cache.parse(text)[0]);
    const statement = second[0]!;
    expect(() => ((statement as { text: string }).text = 'select 2')).toThrow(TypeError);
    expect(() => (statement.tokens as unknown[]).push(null)).toThrow(TypeError);
    expect(() => ((statement.tokens[0] as { end: number }).end = 0)).toThrow(TypeError);
    expect(() => ((statement.classified as { kind: string }).kind = 'empty')).toThrow(TypeError);
    expect(() => (statement.placeholders.indexes as number[]).sort((a, b) => b - a)).toThrow(TypeError);
    expect(cache.parse(text)).toEqual(parseStatements(text));
  });

  it('keeps at most maxEntries texts, the least recently used leaving first', () => {
    const cache = new ParsedStatementCache({ maxEntries: 3, maxTextLength: 100, maxTotalLength: 1000 });
    const a = cache.parse('select 1')[0];
    cache.parse('select 2');
    cache.parse('select 3');
    cache.parse('select 1'); // used again: now the most recent
    cache.parse('select 4'); // evicts select 2
    expect(cache.size).toBe(3);
    expect(cache.parse('select 1')[0]).toBe(a);
    const before = cache.parse('select 3')[0];
    expect(cache.parse('select 3')[0]).toBe(before);
    // select 2 was parsed again: a new object, not the evicted one.
    const two = cache.parse('select 2')[0];
    expect(two).toEqual(parseStatements('select 2')[0]);
    expect(cache.size).toBe(3);
  });

  it('does not keep texts longer than maxTextLength, nor more text than maxTotalLength', () => {
    const cache = new ParsedStatementCache({ maxEntries: 100, maxTextLength: 20, maxTotalLength: 40 });
    const long = `select '${'x'.repeat(30)}'`;
    const once = cache.parse(long);
    expect(once).toEqual(parseStatements(long));
    expect(cache.size).toBe(0);
    expect(cache.parse(long)[0]).not.toBe(once[0]);
    for (let i = 0; i < 10; i++) cache.parse(`select ${1000 + i}`); // 11 characters each
    expect(cache.size).toBe(3);
  });
});
