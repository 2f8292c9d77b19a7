import { describe, expect, it } from 'vitest';
import { canonicalEncoding, classifyStatement, commandTag, type ClassifiedStatement } from '../../../src/dataapi/sql/index.js';

function copy(sql: string): Extract<ClassifiedStatement, { kind: 'copy' }> {
  const c = classifyStatement(sql);
  if (c.kind !== 'copy') throw new Error(`${sql} classified as ${JSON.stringify(c)}`);
  return c;
}

const TEXT_DEFAULTS = {
  format: 'text',
  delimiter: '\t',
  null: '\\N',
  header: false,
  quote: null,
  escape: null,
  forceQuote: [],
  forceNotNull: [],
  forceNull: [],
  encoding: null,
  freeze: false,
};

describe('COPY', () => {
  it('parses COPY table FROM STDIN with text defaults', () => {
    expect(classifyStatement('COPY t FROM STDIN')).toEqual({
      kind: 'copy',
      direction: 'from',
      source: { type: 'table', table: { parts: ['t'], text: 't' }, columns: null },
      endpoint: { type: 'client' },
      options: TEXT_DEFAULTS,
      where: null,
      returnsRows: false,
    });
  });

  it('parses qualified names and column lists', () => {
    const c = copy('copy Public."My Table" (id, "Name") from stdin');
    expect(c.source).toEqual({ type: 'table', table: { parts: ['public', 'My Table'], text: 'Public."My Table"' }, columns: ['id', 'Name'] });
  });

  it('parses the WITH (option …) syntax and applies CSV defaults', () => {
    const c = copy("COPY t FROM STDIN WITH (FORMAT csv, HEADER true, NULL 'NA', FORCE_NOT_NULL (a), FORCE_NULL (b, c), ENCODING 'latin-1', FREEZE)");
    expect(c.options).toEqual({
      format: 'csv',
      delimiter: ',',
      null: 'NA',
      header: true,
      quote: '"',
      escape: '"',
      forceQuote: [],
      forceNotNull: ['a'],
      forceNull: ['b', 'c'],
      encoding: 'LATIN1',
      freeze: true,
    });
    expect(copy('COPY t FROM STDIN (FORMAT csv, HEADER match)').options.header).toBe('match');
    expect(copy("COPY t FROM STDIN (FORMAT csv, QUOTE '''', ESCAPE '\\')").options).toMatchObject({ quote: "'", escape: '\\' });
  });

  it('parses the legacy forms psql’s \\copy sends', () => {
    expect(copy("COPY t FROM STDIN WITH CSV HEADER DELIMITER ',' NULL ''").options).toMatchObject({
      format: 'csv',
      header: true,
      delimiter: ',',
      null: '',
    });
    expect(copy("copy t from stdin delimiter as '|' null as 'x'").options).toMatchObject({ format: 'text', delimiter: '|', null: 'x' });
    expect(copy("COPY t TO STDOUT WITH CSV QUOTE AS '\"' FORCE QUOTE a, b").options).toMatchObject({ forceQuote: ['a', 'b'] });
    expect(copy('COPY t TO STDOUT CSV FORCE QUOTE *').options.forceQuote).toBe('all');
    expect(copy('COPY t FROM STDIN CSV FORCE NOT NULL a FORCE NULL b').options).toMatchObject({ forceNotNull: ['a'], forceNull: ['b'] });
    expect(copy('COPY BINARY t FROM STDIN').options.format).toBe('binary');
    expect(copy('COPY t TO STDOUT WITH BINARY').options.format).toBe('binary');
    expect(copy("COPY t FROM STDIN USING DELIMITERS '|'").options.delimiter).toBe('|');
    expect(copy("COPY t FROM STDIN ENCODING 'UTF-8'").options.encoding).toBe('UTF8');
  });

  it('parses COPY (query) TO STDOUT', () => {
    const sql = "COPY (SELECT a, 'x;y' FROM t WHERE b > 1) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)";
    const c = copy(sql);
    expect(c.direction).toBe('to');
    expect(c.source).toEqual({ type: 'query', query: "SELECT a, 'x;y' FROM t WHERE b > 1", queryOffset: 6 });
    expect(c.options.forceQuote).toBe('all');
  });

  it('keeps the WHERE clause of COPY FROM', () => {
    expect(copy("COPY t FROM STDIN (FORMAT csv) WHERE a > 1 AND b <> ';'").where).toBe("a > 1 AND b <> ';'");
  });

  it('flags files and programs, and accepts STDIN/STDOUT either way round', () => {
    expect(copy("COPY t FROM '/tmp/data.csv' CSV").endpoint).toEqual({ type: 'file', path: '/tmp/data.csv' });
    expect(copy("COPY t TO PROGRAM 'gzip > /tmp/x.gz'").endpoint).toEqual({ type: 'program', command: 'gzip > /tmp/x.gz' });
    expect(copy('COPY t FROM STDOUT').endpoint).toEqual({ type: 'client' });
  });

  it('reports PostgreSQL’s errors for invalid option sets', () => {
    const cases: Array<[string, string, string]> = [
      ["COPY t FROM STDIN (FORMAT binary, DELIMITER ',')", '42601', 'cannot specify DELIMITER in BINARY mode'],
      ["COPY t FROM STDIN (FORMAT 'CSV')", '22023', 'COPY format "CSV" not recognized'],
      ['COPY t FROM STDIN (FORMAT csv, FORMAT text)', '42601', 'conflicting or redundant options'],
      ['COPY BINARY t FROM STDIN CSV', '42601', 'conflicting or redundant options'],
      ["COPY t FROM STDIN (DELIMITER ',,')", '0A000', 'COPY delimiter must be a single one-byte character'],
      ["COPY t FROM STDIN (DELIMITER 'é')", '0A000', 'COPY delimiter must be a single one-byte character'],
      ["COPY t FROM STDIN (DELIMITER 'a')", '22023', 'COPY delimiter cannot be "a"'],
      ["COPY t FROM STDIN (QUOTE '\"')", '0A000', 'COPY quote available only in CSV mode'],
      ["COPY t FROM STDIN (FORMAT csv, QUOTE ',')", '22023', 'COPY delimiter and quote must be different'],
      ['COPY t FROM STDIN (FORMAT csv, FORCE_QUOTE *)', '0A000', 'COPY force quote only available using COPY TO'],
      ['COPY t TO STDOUT (FORMAT csv, FORCE_NOT_NULL (a))', '0A000', 'COPY force not null only available using COPY FROM'],
      ['COPY t TO STDOUT (FORMAT csv, HEADER match)', '0A000', 'cannot use "match" with HEADER in COPY TO'],
      ['COPY t FROM STDIN (HEADER maybe)', '42601', 'header requires a Boolean value or "match"'],
      ['COPY t FROM STDIN (FREEZE 2)', '42601', 'freeze requires a Boolean value'],
      ["COPY t FROM STDIN (ENCODING 'klingon')", '22023', 'argument to option "encoding" must be a valid encoding name'],
      ['COPY t FROM STDIN (bogus 1)', '42601', 'option "bogus" not recognized'],
      ['COPY t FROM STDIN (DELIMITER)', '42601', 'delimiter requires a parameter'],
      ["COPY t FROM STDIN (NULL 'a,b', DELIMITER ',')", '0A000', 'COPY delimiter must not appear in the NULL specification'],
      ['COPY t TO STDOUT WHERE a > 1', '42601', 'WHERE clause not allowed with COPY TO'],
      ["COPY t FROM PROGRAM STDIN", '42601', 'STDIN/STDOUT not allowed with PROGRAM'],
      ['COPY (SELECT 1) FROM STDIN', '42601', 'syntax error at or near "FROM"'],
      ['COPY t', '42601', 'syntax error at end of input'],
    ];
    for (const [sql, sqlState, message] of cases) {
      expect({ sql, c: classifyStatement(sql) }).toMatchObject({ sql, c: { kind: 'invalid', sqlState, message } });
    }
  });

  it('tags COPY with the row count', () => {
    expect(commandTag(classifyStatement('COPY t FROM STDIN'), 42)).toBe('COPY 42');
  });
});

describe('canonicalEncoding', () => {
  it('normalises names the way pg_char_to_encoding does', () => {
    expect(canonicalEncoding('utf8')).toBe('UTF8');
    expect(canonicalEncoding('UTF-8')).toBe('UTF8');
    expect(canonicalEncoding('Unicode')).toBe('UTF8');
    expect(canonicalEncoding('iso_8859_1')).toBe('LATIN1');
    expect(canonicalEncoding('win1252')).toBe('WIN1252');
    expect(canonicalEncoding('SJIS')).toBe('SJIS');
    expect(canonicalEncoding('utf16')).toBeNull();
  });
});
