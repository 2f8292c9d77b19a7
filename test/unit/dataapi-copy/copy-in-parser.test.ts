// CopyInParser on its own: the streaming contract (rows as soon as their line is complete, any
// chunking gives the same outcome, bounded memory), option checks and its error plumbing.
// Byte-exact agreement with PostgreSQL is in copy-differential.test.ts.
import { describe, expect, it } from 'vitest';
import type { CopyOptions } from '../../../src/dataapi/sql/statement-types.js';
import { CSV_COPY, TEXT_COPY } from '../copy-option-defaults.js';
import { CopyFormatError, CopyInParser, copyErrorContext, limitPrintoutLength, type CopyRow } from '../../../src/dataapi/copy/index.js';

const TEXT = TEXT_COPY;
const CSV = CSV_COPY;
const COLUMNS = ['a', 'b', 'c'];

function caught(work: () => unknown): CopyFormatError {
  try {
    work();
  } catch (err) {
    expect(err).toBeInstanceOf(CopyFormatError);
    return err as CopyFormatError;
  }
  throw new Error('expected a CopyFormatError');
}

type Outcome = { rows: CopyRow[]; lines: number[] } | { error: string; sqlstate: string; where?: string };

function parseInPieces(options: CopyOptions, data: Buffer, cuts: number[]): Outcome {
  const parser = new CopyInParser(options, COLUMNS, 't');
  const rows: CopyRow[] = [];
  const lines: number[] = [];
  try {
    let at = 0;
    for (const cut of [...cuts, data.length]) {
      rows.push(...parser.push(data.subarray(at, cut)));
      lines.push(...parser.lastRowLineNumbers);
      at = cut;
    }
    rows.push(...parser.finish());
    lines.push(...parser.lastRowLineNumbers);
  } catch (err) {
    if (!(err instanceof CopyFormatError)) throw err;
    return { error: err.message, sqlstate: err.sqlstate, where: err.where };
  }
  return { rows, lines };
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('CopyInParser streaming', () => {
  it('returns a row as soon as its newline arrives', () => {
    const parser = new CopyInParser(TEXT, COLUMNS, 't');
    expect(parser.push(Buffer.from('1\t2'))).toEqual([]);
    expect(parser.push(Buffer.from('\t3\n4\t5'))).toEqual([['1', '2', '3']]);
    expect(parser.rowsSeen).toBe(1);
    expect(parser.push(Buffer.from('\t6\n'))).toEqual([['4', '5', '6']]);
    expect(parser.finish()).toEqual([]);
    expect(parser.rowsSeen).toBe(2);
    expect(parser.done).toBe(true);
  });

  it('waits for the byte after a CR to tell CR from CRLF', () => {
    const parser = new CopyInParser(TEXT, COLUMNS, 't');
    expect(parser.push(Buffer.from('1\t2\t3\r'))).toEqual([]);
    expect(parser.push(Buffer.from('\n'))).toEqual([['1', '2', '3']]);
    // Now CRLF is the style, so a lone LF is an error.
    const err = caught(() => parser.push(Buffer.from('4\t5\t6\n')));
    expect(err.message).toBe('literal newline found in data');
    expect(err.hint).toBe('Use "\\n" to represent newline.');
    expect(err.where).toBe('COPY t, line 2');
  });

  it('puts a UTF-8 character cut across three messages back together', () => {
    const bytes = Buffer.from('日\t本\t語\n');
    const parser = new CopyInParser(TEXT, COLUMNS, 't');
    const rows: CopyRow[] = [];
    for (let i = 0; i < bytes.length; i++) rows.push(...parser.push(bytes.subarray(i, i + 1)));
    rows.push(...parser.finish());
    expect(rows).toEqual([['日', '本', '語']]);
  });

  it('gives the same outcome however the input is cut', () => {
    // Random inputs over an alphabet of the bytes that matter, in both formats; the reference is
    // the whole input in one piece.
    const alphabet = ['a', 'é', '日', '\t', ',', '"', '\\', '.', 'N', '\n', '\r', '\r\n', '\\.', '\\N', '\\x4', '\\30', '""'];
    const variants = [TEXT, CSV, { ...CSV, escape: '\\' }, { ...CSV, quote: '\\', escape: '\\' }];
    const random = mulberry32(42);
    for (let round = 0; round < 400; round++) {
      const options = variants[round % variants.length];
      let text = '';
      const length = 1 + Math.floor(random() * 40);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      const data = Buffer.from(text, 'utf8');
      const reference = parseInPieces(options, data, []);
      for (let attempt = 0; attempt < 4; attempt++) {
        const cuts: number[] = [];
        for (let at = 0; at < data.length; at += 1 + Math.floor(random() * 4)) cuts.push(at);
        expect({ text, outcome: parseInPieces(options, data, cuts) }).toEqual({ text, outcome: reference });
      }
    }
  });

  it('reports the line numbers of rows, counting quoted newlines', () => {
    const data = Buffer.from('x,y,z\n"multi\nline",b,c\n1,2,3\n');
    expect(parseInPieces(CSV, data, [])).toEqual({
      rows: [
        ['x', 'y', 'z'],
        ['multi\nline', 'b', 'c'],
        ['1', '2', '3'],
      ],
      lines: [1, 3, 4],
    });
  });

  it('keeps memory to about one row, not the whole input', () => {
    const parser = new CopyInParser(TEXT, COLUMNS, 't');
    const line = Buffer.from(`${'x'.repeat(90)}\t2\t3\n`);
    const block = Buffer.concat(new Array(100).fill(line)); // ~9.5 KB per CopyData message
    let rows = 0;
    for (let i = 0; i < 300; i++) rows += parser.push(block).length; // ~2.8 MB in all
    rows += parser.finish().length;
    expect(rows).toBe(30_000);
    const reader = Reflect.get(parser, 'reader') as object;
    const buffer = Reflect.get(reader, 'buf') as Buffer;
    expect(buffer.length).toBeLessThan(4 * block.length);
  });

  it('ignores everything after the end-of-data marker', () => {
    const parser = new CopyInParser(TEXT, COLUMNS, 't');
    expect(parser.push(Buffer.from('1\t2\t3\n\\.\n'))).toEqual([['1', '2', '3']]);
    expect(parser.done).toBe(true);
    expect(parser.push(Buffer.from('not\tvalid at all\n'))).toEqual([]);
    expect(parser.finish()).toEqual([]);
    expect(parser.rowsSeen).toBe(1);
  });

  it('keeps failing with the first error', () => {
    const parser = new CopyInParser(TEXT, COLUMNS, 't');
    const first = caught(() => parser.push(Buffer.from('1\t2\n')));
    expect(first.message).toBe('missing data for column "c"');
    expect(first.sqlstate).toBe('22P04');
    expect(first.where).toBe('COPY t, line 1: "1\t2"');
    expect(caught(() => parser.push(Buffer.from('1\t2\t3\n')))).toBe(first);
    expect(caught(() => parser.finish())).toBe(first);
  });

  it('reports an unterminated CSV quote only at the end of the data', () => {
    const parser = new CopyInParser(CSV, COLUMNS, 'items');
    expect(parser.push(Buffer.from('1,2,"three\n'))).toEqual([]);
    expect(parser.push(Buffer.from('still three\n'))).toEqual([]);
    const err = caught(() => parser.finish());
    expect(err.message).toBe('unterminated CSV quoted field');
    // Line 1: PostgreSQL counts quoted newlines only once the first line has fixed the newline style.
    expect(err.where).toBe('COPY items, line 1: "1,2,"three\nstill three\n"');
  });

  it('uses the null string for FORCE_NOT_NULL columns and null for quoted FORCE_NULL matches', () => {
    const parser = new CopyInParser({ ...CSV, forceNotNull: ['a'], forceNull: ['b'] }, COLUMNS, 't');
    expect([...parser.push(Buffer.from(',"",\n')), ...parser.finish()]).toEqual([['', null, null]]);
  });
});

describe('CopyInParser options', () => {
  it('rejects COPY BINARY', () => {
    const err = caught(() => new CopyInParser({ ...TEXT, format: 'binary' }, COLUMNS, 't'));
    expect(err.sqlstate).toBe('0A000');
    expect(err.message).toBe('COPY BINARY is not supported by aurora-pg-proxy in Data API mode');
  });

  it('rejects encodings other than UTF-8', () => {
    const err = caught(() => new CopyInParser({ ...TEXT, encoding: 'LATIN1' }, COLUMNS, 't'));
    expect(err.sqlstate).toBe('0A000');
    expect(() => new CopyInParser({ ...TEXT, encoding: 'UTF8' }, COLUMNS, 't')).not.toThrow();
  });

  it('rejects FORCE_NOT_NULL and FORCE_NULL columns the COPY does not read', () => {
    const notNull = caught(() => new CopyInParser({ ...CSV, forceNotNull: ['zz'] }, COLUMNS, 't'));
    expect([notNull.sqlstate, notNull.message]).toEqual(['42P10', 'FORCE_NOT_NULL column "zz" not referenced by COPY']);
    const forceNull = caught(() => new CopyInParser({ ...CSV, forceNull: ['a', 'd'] }, COLUMNS, 't'));
    expect([forceNull.sqlstate, forceNull.message]).toEqual(['42P10', 'FORCE_NULL column "d" not referenced by COPY']);
  });

  it('accepts only empty lines when the COPY has no columns', () => {
    const parser = new CopyInParser(TEXT, [], 't');
    expect(parser.push(Buffer.from('\n\n'))).toEqual([[], []]);
    expect(caught(() => parser.push(Buffer.from('x\n'))).message).toBe('extra data after last expected column');
  });

  it('carries the CONTEXT and hint into the ErrorResponse fields', () => {
    const err = caught(() => new CopyInParser(TEXT, COLUMNS, 't').push(Buffer.from('1\t2\t3\n1\t2\t3\r\n')));
    expect(err.toFields()).toEqual({
      severity: 'ERROR',
      code: '22P04',
      message: 'literal carriage return found in data',
      hint: 'Use "\\r" to represent carriage return.',
      where: 'COPY t, line 2',
    });
  });
});

describe('copyErrorContext', () => {
  it('formats the CONTEXT lines of CopyFromErrorCallback', () => {
    expect(copyErrorContext('t', 3, { column: 'b', value: 'abc' })).toBe('COPY t, line 3, column b: "abc"');
    expect(copyErrorContext('t', 3, { column: 'b', value: null })).toBe('COPY t, line 3, column b: null input');
    expect(copyErrorContext('t', 4, { lineText: '1\t2' })).toBe('COPY t, line 4: "1\t2"');
    expect(copyErrorContext('t', 5)).toBe('COPY t, line 5');
  });

  it('cuts long values at 100 bytes on a character boundary', () => {
    expect(limitPrintoutLength('x'.repeat(100))).toBe('x'.repeat(100));
    expect(limitPrintoutLength('x'.repeat(101))).toBe('x'.repeat(100) + '...');
    // 'x' and 49 two-byte 'é' make 99 bytes; a 50th 'é' would make 101.
    expect(limitPrintoutLength('x' + 'é'.repeat(60))).toBe('x' + 'é'.repeat(49) + '...');
  });
});
