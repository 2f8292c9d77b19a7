// CopyOutFormatter on its own: escaping, quoting, NULLs, headers and option checks. Byte-exact
// agreement with PostgreSQL's COPY TO is in copy-differential.test.ts.
import { describe, expect, it } from 'vitest';
import type { CopyOptions } from '../../../src/dataapi/sql/statement-types.js';
import { CSV_COPY, TEXT_COPY } from '../copy-option-defaults.js';
import { CopyFormatError, CopyOutFormatter } from '../../../src/dataapi/copy/index.js';

const TEXT = TEXT_COPY;
const CSV = CSV_COPY;

function line(options: CopyOptions, columns: string[], values: (string | null)[]): string {
  return new CopyOutFormatter(options, columns).row(values).toString('utf8');
}

describe('CopyOutFormatter text format', () => {
  it('escapes backslash, the delimiter and control characters', () => {
    expect(line(TEXT, ['a', 'b'], ['a\\b\tc\nd\re', '\b\f\v\x01'])).toBe('a\\\\b\\tc\\nd\\re\t\\b\\f\\v\x01\n');
  });

  it('escapes a custom delimiter with a backslash, even a control character', () => {
    expect(line({ ...TEXT, delimiter: '|' }, ['a', 'b'], ['x|y', 'tab\there'])).toBe('x\\|y|tab\\there\n');
    expect(line({ ...TEXT, delimiter: '\x01' }, ['a', 'b'], ['x\x01y', 'z'])).toBe('x\\\x01y\x01z\n');
  });

  it('writes NULL as the null string and the empty string as nothing', () => {
    expect(line(TEXT, ['a', 'b', 'c'], [null, '', '\\N'])).toBe('\\N\t\t\\\\N\n');
    expect(line({ ...TEXT, null: 'NULL' }, ['a'], [null])).toBe('NULL\n');
  });

  it('writes a header only when asked', () => {
    expect(new CopyOutFormatter(TEXT, ['a', 'b']).header()).toBeNull();
    expect(new CopyOutFormatter({ ...TEXT, header: true }, ['a\tb', 'c']).header()?.toString()).toBe('a\\tb\tc\n');
  });

  it('writes UTF-8', () => {
    expect(new CopyOutFormatter(TEXT, ['a']).row(['日本 😀'])).toEqual(Buffer.from('日本 😀\n', 'utf8'));
  });
});

describe('CopyOutFormatter CSV format', () => {
  it('quotes values with the delimiter, quote, CR or LF, doubling quotes', () => {
    expect(line(CSV, ['a', 'b', 'c', 'd'], ['x,y', 'say "hi"', 'a\nb', 'c\rd'])).toBe('"x,y","say ""hi""","a\nb","c\rd"\n');
  });

  it('leaves NULL unquoted and quotes a value equal to the null string', () => {
    expect(line(CSV, ['a', 'b'], [null, ''])).toBe(',""\n');
    expect(line({ ...CSV, null: 'NULL' }, ['a', 'b', 'c'], [null, 'NULL', ''])).toBe('NULL,"NULL",\n');
  });

  it('quotes a lone \\. only in a one-column COPY', () => {
    expect(line(CSV, ['a'], ['\\.'])).toBe('"\\."\n');
    expect(line(CSV, ['a', 'b'], ['\\.', '\\.x'])).toBe('\\.,\\.x\n');
  });

  it('applies FORCE_QUOTE to the named columns or all, but not to NULLs or the header', () => {
    const some = new CopyOutFormatter({ ...CSV, header: true, forceQuote: ['b'] }, ['a', 'b']);
    expect(some.header()?.toString()).toBe('a,b\n');
    expect(some.row(['1', '2']).toString()).toBe('1,"2"\n');
    expect(some.row(['1', null]).toString()).toBe('1,\n');
    expect(line({ ...CSV, forceQuote: 'all' }, ['a', 'b'], ['1', '2'])).toBe('"1","2"\n');
  });

  it('escapes quotes and escapes with a separate escape character, which alone needs no quotes', () => {
    const options = { ...CSV, quote: "'", escape: '\\' };
    expect(line(options, ['a', 'b', 'c'], ["it's", 'back\\slash', "it's \\ both"])).toBe("'it\\'s',back\\slash,'it\\'s \\\\ both'\n");
  });
});

describe('CopyOutFormatter checks', () => {
  it('rejects COPY BINARY', () => {
    expect(() => new CopyOutFormatter({ ...TEXT, format: 'binary' }, ['a'])).toThrow(CopyFormatError);
  });

  it('rejects FORCE_QUOTE columns the COPY does not write', () => {
    try {
      new CopyOutFormatter({ ...CSV, forceQuote: ['a', 'x'] }, ['a', 'b']);
      throw new Error('expected an error');
    } catch (err) {
      expect(err).toBeInstanceOf(CopyFormatError);
      expect([(err as CopyFormatError).sqlstate, (err as CopyFormatError).message]).toEqual([
        '42P10',
        'FORCE_QUOTE column "x" not referenced by COPY',
      ]);
    }
  });

  it('refuses a row with the wrong number of values', () => {
    expect(() => new CopyOutFormatter(TEXT, ['a', 'b']).row(['1'])).toThrow('COPY TO row has 1 values for 2 columns');
  });

  it('writes an empty line for a row without columns', () => {
    expect(new CopyOutFormatter(TEXT, []).row([]).toString()).toBe('\n');
  });
});
