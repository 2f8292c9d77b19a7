import { describe, expect, it } from 'vitest';
import { identifierValue, stringValue, tokenize, type Token } from '../../../src/dataapi/sql/index.js';

/** Tokens without whitespace, as [kind, text] pairs. */
function significant(sql: string): Array<[string, string]> {
  return tokenize(sql)
    .filter((t) => t.kind !== 'whitespace')
    .map((t) => [t.kind, t.text]);
}

function only(sql: string): Token {
  const tokens = tokenize(sql);
  expect(tokens).toHaveLength(1);
  return tokens[0]!;
}

describe('tokenize', () => {
  it('tiles the input exactly, with correct offsets', () => {
    const sql = "SELECT a::int, 'x''y', E'\\'' , $$q$$ /* c */ -- d\n FROM \"T\" WHERE b = $1;";
    const tokens = tokenize(sql);
    expect(tokens.map((t) => t.text).join('')).toBe(sql);
    for (const t of tokens) expect(sql.slice(t.start, t.end)).toBe(t.text);
  });

  it('reads standard strings with doubled quotes', () => {
    const t = only("'it''s'");
    expect(t).toMatchObject({ kind: 'string', style: 'standard', terminated: true });
    expect(stringValue(t)).toBe("it's");
  });

  it('treats backslash as an ordinary character in standard strings', () => {
    expect(significant("'C:\\' , 'x'")).toEqual([
      ['string', "'C:\\'"],
      ['punctuation', ','],
      ['string', "'x'"],
    ]);
  });

  it('reads E strings with backslash escapes, including \\\'', () => {
    const t = only("E'it\\'s\\n\\t\\\\ \\x41\\101\\u00e9 \\q'");
    expect(t).toMatchObject({ kind: 'string', style: 'escape', terminated: true });
    expect(stringValue(t)).toBe("it's\n\t\\ AAé q");
    expect(only("e'a''b'")).toMatchObject({ kind: 'string', style: 'escape' });
    expect(stringValue(only("e'a''b'"))).toBe("a'b");
  });

  it('reads U&, B, X and N literals', () => {
    const u = only("U&'d\\0061t\\+000061 \\\\'");
    expect(u).toMatchObject({ kind: 'string', style: 'unicode' });
    expect(stringValue(u)).toBe('data \\');
    expect(only("B'1010'")).toMatchObject({ kind: 'string', style: 'bit' });
    expect(only("x'1F'")).toMatchObject({ kind: 'string', style: 'hex' });
    expect(stringValue(only("X'1F'"))).toBe('1F');
    expect(only("N'abc'")).toMatchObject({ kind: 'string', style: 'national' });
  });

  it('only treats a prefix as a literal prefix at the start of a word', () => {
    expect(significant("some'x'")).toEqual([
      ['identifier', 'some'],
      ['string', "'x'"],
    ]);
    expect(significant("u & 'x'")).toEqual([
      ['identifier', 'u'],
      ['operator', '&'],
      ['string', "'x'"],
    ]);
  });

  it('glues string continuation segments separated by a newline into one token', () => {
    const t = only("'a'\n  'b' -- c\n'c'");
    expect(t.kind).toBe('string');
    expect(stringValue(t)).toBe('abc');
    // Without a newline there is no continuation: two tokens.
    expect(significant("'a' 'b'").map(([k]) => k)).toEqual(['string', 'string']);
  });

  it('reads dollar quotes with and without tags', () => {
    const t = only('$$it\'s $1 -- ; $$');
    expect(t).toMatchObject({ kind: 'dollar-string', tag: '', terminated: true });
    expect(stringValue(t)).toBe("it's $1 -- ; ");
    const tagged = only('$fn$ body $$ inner $$ $fn$');
    expect(tagged).toMatchObject({ kind: 'dollar-string', tag: 'fn' });
    expect(stringValue(tagged)).toBe(' body $$ inner $$ ');
  });

  it('matches dollar tags case-sensitively and ends at the first matching delimiter', () => {
    expect(only('$a$ x $A$ y $a$')).toMatchObject({ kind: 'dollar-string', tag: 'a' });
    expect(stringValue(only('$a$$b$a$'))).toBe('$b');
  });

  it('does not take $1, identifier-embedded $ or a digit-led tag for a dollar quote', () => {
    expect(significant('$1 $23')).toEqual([
      ['parameter', '$1'],
      ['parameter', '$23'],
    ]);
    expect(tokenize('$12')[0]).toMatchObject({ kind: 'parameter', index: 12 });
    expect(significant('a$$b$$')).toEqual([['identifier', 'a$$b$$']]);
    expect(significant('$1a$')).toEqual([['other', '$1a$']]);
    expect(significant('$ x')).toEqual([
      ['other', '$'],
      ['identifier', 'x'],
    ]);
  });

  it('reads quoted identifiers with doubled quotes and U& identifiers', () => {
    const t = only('"My ""Table"""');
    expect(t).toMatchObject({ kind: 'quoted-identifier', terminated: true });
    expect(identifierValue(t)).toBe('My "Table"');
    expect(identifierValue(only('U&"\\0041b"'))).toBe('Ab');
  });

  it('folds bare identifiers to lower case (ASCII only)', () => {
    const t = only('MyTable');
    expect(t).toMatchObject({ kind: 'identifier', word: 'mytable' });
    expect(identifierValue(only('ÉcoleX'))).toBe('École' + 'x');
  });

  it('reads line comments up to (not including) CR or LF', () => {
    expect(significant('a -- x\rb')).toEqual([
      ['identifier', 'a'],
      ['comment', '-- x'],
      ['identifier', 'b'],
    ]);
  });

  it('reads nested block comments', () => {
    const t = tokenize('/* a /* b */ c */ d');
    expect(t[0]).toMatchObject({ kind: 'comment', style: 'block', text: '/* a /* b */ c */', terminated: true });
  });

  it('starts a comment even in the middle of an operator', () => {
    expect(significant('1+--x\n2')).toEqual([
      ['number', '1'],
      ['operator', '+'],
      ['comment', '--x'],
      ['number', '2'],
    ]);
    expect(significant('a */* c */ b').map(([k]) => k)).toEqual(['identifier', 'operator', 'comment', 'identifier']);
  });

  it('distinguishes ::, := and a lone colon', () => {
    expect(significant('a::int x := 1 [1:2]')).toEqual([
      ['identifier', 'a'],
      ['operator', '::'],
      ['identifier', 'int'],
      ['identifier', 'x'],
      ['operator', ':='],
      ['number', '1'],
      ['punctuation', '['],
      ['number', '1'],
      ['operator', ':'],
      ['number', '2'],
      ['punctuation', ']'],
    ]);
  });

  it('reads numbers, including 1..2 ranges and exponents', () => {
    expect(significant('1.5e-3 .5 1..2')).toEqual([
      ['number', '1.5e-3'],
      ['number', '.5'],
      ['number', '1'],
      ['punctuation', '..'],
      ['number', '2'],
    ]);
  });

  it('marks unterminated tokens and runs them to the end instead of throwing', () => {
    for (const [sql, kind] of [
      ["select 'abc", 'string'],
      ["select E'abc\\'", 'string'],
      ['select "abc', 'quoted-identifier'],
      ['select $$abc', 'dollar-string'],
      ['select $x$abc$$', 'dollar-string'],
      ['select /* a /* b */', 'comment'],
    ] as const) {
      const tokens = tokenize(sql);
      const last = tokens[tokens.length - 1]!;
      expect(last.kind).toBe(kind);
      expect(last.end).toBe(sql.length);
      expect('terminated' in last && last.terminated).toBe(false);
    }
  });

  it('never throws and always tiles the input on random tricky text', () => {
    // Deterministic pseudo-random strings built from the characters that matter to the lexer.
    const alphabet = ["'", '"', '$', '$a$', 'E', 'U&', '\\', '-', '/', '*', ':', ';', '(', ')', '1', 'x', ' ', '\n', 'é', '😀'];
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let n = 0; n < 500; n++) {
      let sql = '';
      const len = Math.floor(rand() * 30);
      for (let i = 0; i < len; i++) sql += alphabet[Math.floor(rand() * alphabet.length)];
      const tokens = tokenize(sql);
      expect(tokens.map((t) => t.text).join('')).toBe(sql);
    }
  });
});
