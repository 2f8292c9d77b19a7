// The COPY codec against a real PostgreSQL 15: the same bytes go to PostgreSQL's own
// COPY … FROM STDIN (over the raw protocol, in one CopyData message) and to CopyInParser (whole,
// byte by byte and in random pieces); the stored rows, or the error with its SQLSTATE, hint and
// CONTEXT, must be the same. For COPY TO, PostgreSQL's CopyData bytes for stored values must equal
// CopyOutFormatter's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import pg from 'pg';
import { parse, serialize } from 'pg-protocol';
import { startPostgres, type ThrowawayPostgres } from '../../harness/postgres.js';
import { classifyStatement } from '../../../src/dataapi/sql/index.js';
import type { CopyOptions } from '../../../src/dataapi/sql/statement-types.js';
import { CopyFormatError, CopyInParser, CopyOutFormatter, type CopyRow } from '../../../src/dataapi/copy/index.js';

interface ServerError {
  code?: string;
  message: string;
  hint?: string;
  where?: string;
}

interface Message {
  name: string;
  chunk?: Buffer;
}

/** Just enough of the frontend protocol for COPY, which node-postgres does not speak. */
class RawSession {
  private readonly queue: Message[] = [];
  private readonly waiters: ((m: Message) => void)[] = [];

  private constructor(private readonly socket: Socket) {
    void parse(socket, (msg) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(msg as unknown as Message);
      else this.queue.push(msg as unknown as Message);
    });
  }

  static async open(port: number): Promise<RawSession> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const session = new RawSession(socket);
    socket.write(serialize.startup({ user: 'postgres', database: 'postgres', client_encoding: 'UTF8' }));
    await session.untilReady();
    return session;
  }

  private next(): Promise<Message> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Messages up to ReadyForQuery; the first error, if any. */
  private async untilReady(onMessage: (m: Message) => void = () => {}): Promise<ServerError | null> {
    let error: ServerError | null = null;
    for (;;) {
      const msg = await this.next();
      if (msg.name === 'error' && !error) error = msg as unknown as ServerError;
      else if (msg.name === 'readyForQuery') return error;
      else onMessage(msg);
    }
  }

  async copyIn(sql: string, data: Buffer): Promise<ServerError | null> {
    this.socket.write(serialize.query(sql));
    const first = await this.next();
    if (first.name === 'error') {
      await this.untilReady();
      return first as unknown as ServerError;
    }
    expect(first.name).toBe('copyInResponse');
    if (data.length > 0) this.socket.write(serialize.copyData(data));
    this.socket.write(serialize.copyDone());
    return this.untilReady();
  }

  async copyOut(sql: string): Promise<Buffer> {
    this.socket.write(serialize.query(sql));
    const chunks: Buffer[] = [];
    const error = await this.untilReady((m) => {
      if (m.name === 'copyData') chunks.push(Buffer.from(m.chunk!));
    });
    if (error) throw new Error(`COPY TO failed: ${error.message}`);
    return Buffer.concat(chunks);
  }

  close(): void {
    this.socket.end(serialize.end());
  }
}

/** A small deterministic PRNG so failures reproduce. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chunkings(data: Buffer, seed: number): { label: string; chunks: Buffer[] }[] {
  const out = [{ label: 'whole', chunks: [data] }];
  const bytes: Buffer[] = [];
  for (let i = 0; i < data.length; i++) bytes.push(data.subarray(i, i + 1));
  out.push({ label: 'byte by byte', chunks: bytes });
  const random = mulberry32(seed);
  for (let round = 0; round < 3; round++) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; ) {
      const size = 1 + Math.floor(random() * 7);
      chunks.push(data.subarray(i, i + size));
      i += size;
    }
    out.push({ label: `random pieces #${round}`, chunks });
  }
  return out;
}

type ParseOutcome = { rows: CopyRow[]; rowsSeen: number } | { error: ServerError };

function runParser(options: CopyOptions, columns: string[], chunks: Buffer[]): ParseOutcome {
  const parser = new CopyInParser(options, columns, 't');
  const rows: CopyRow[] = [];
  try {
    for (const chunk of chunks) rows.push(...parser.push(chunk));
    rows.push(...parser.finish());
  } catch (err) {
    if (!(err instanceof CopyFormatError)) throw err;
    return { error: { code: err.sqlstate, message: err.message, hint: err.hint, where: err.where } };
  }
  return { rows, rowsSeen: parser.rowsSeen };
}

function copyOptionsOf(sql: string): CopyOptions {
  const statement = classifyStatement(sql);
  if (statement.kind !== 'copy') throw new Error(`not a COPY: ${sql} (${statement.kind})`);
  return statement.options;
}

let db: ThrowawayPostgres;
let raw: RawSession;
let client: pg.Client;

beforeAll(async () => {
  db = await startPostgres();
  raw = await RawSession.open(db.port);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY, a text, b text, c text)');
});

afterAll(async () => {
  raw?.close();
  await client?.end();
  await db?.stop();
});

interface InCase {
  name: string;
  data: string | Buffer;
  /** The COPY's WITH clause, e.g. `(FORMAT csv, HEADER match)`. */
  with?: string;
  columns?: string[];
}

const cases: InCase[] = [
  // text format
  { name: 'text: plain rows', data: '1\t2\t3\n4\t5\t6\n' },
  { name: 'text: last line without newline', data: '1\t2\t3\n4\t5\t6' },
  { name: 'text: empty input', data: '' },
  { name: 'text: backslash escapes', data: 'a\\tb\t\\n\\r\\b\\f\\v\t\\\\x\\q\\\t\n' },
  { name: 'text: octal and hex escapes', data: '\\101\\1010\\7\\18\t\\x41\\x4g\\xg\\x7E\t\\x\n' },
  { name: 'text: octal escape of NUL', data: '\\08\tb\tc\n' },
  { name: 'text: escapes that build UTF-8', data: '\\303\\251\t\\xc3\\xa9\t\\xe2\\x82\\xac!\n' },
  { name: 'text: escapes that build invalid UTF-8', data: 'ok\tok\tok\n\\377x\tb\tc\n' },
  { name: 'text: an escaped NUL', data: 'a\\000b\tb\tc\n' },
  { name: 'text: a cut-off escaped UTF-8 character', data: 'a\tb\t\\xe2\\x82\n' },
  { name: 'text: NULL versus escaped and empty', data: '\\N\t\\\\N\t\n\\N\t\\N\t\\N\n' },
  { name: 'text: custom NULL and delimiter', data: 'NULL|a\\|b|\\NULL\n|NULL|x\n', with: "(NULL 'NULL', DELIMITER '|')" },
  { name: 'text: empty NULL string', data: '\t\t\n', with: "(NULL '')" },
  { name: 'text: empty lines in a one-column COPY', data: '\n\nx\n', columns: ['a'] },
  { name: 'text: end marker', data: '1\t2\t3\n\\.\ngarbage \xff that is ignored\n' },
  { name: 'text: end marker after data on the line', data: '1\t2\t3\\.\n4\t5\t6\n' },
  { name: 'text: end marker without newline', data: '1\t2\t3\n\\.' },
  { name: 'text: corrupt end marker', data: '1\t2\t3\n\\.x\n' },
  { name: 'text: escaped backslash before a dot', data: '\\\\.\tb\tc\n' },
  { name: 'text: backslash before a newline', data: 'a\\\nb\tc\td\n' },
  { name: 'text: backslash at the end of input', data: '1\t2\t3\\' },
  { name: 'text: CRLF lines', data: '1\t2\t3\r\n4\t5\t6\r\n' },
  { name: 'text: CR lines', data: '1\t2\t3\r4\t5\t6\r' },
  { name: 'text: CRLF then LF', data: '1\t2\t3\r\n4\t5\t6\n' },
  { name: 'text: LF then CRLF', data: '1\t2\t3\n4\t5\t6\r\n' },
  { name: 'text: CR then LF', data: '1\t2\t3\r4\t5\t6\n' },
  { name: 'text: CRLF end marker', data: '1\t2\t3\r\n\\.\r\n' },
  { name: 'text: end marker in the wrong newline style', data: '1\t2\t3\r\n\\.\n' },
  { name: 'text: backslash before CR in CRLF data', data: 'a\\\r\nb\tc\n' },
  { name: 'text: extra column', data: '1\t2\t3\n1\t2\t3\t4\n' },
  { name: 'text: missing column', data: '1\t2\t3\n1\t2\n' },
  { name: 'text: empty line with three columns', data: '\n' },
  { name: 'text: header skipped', data: 'x\ty\tz\n1\t2\t3\n', with: '(HEADER true)' },
  { name: 'text: header only', data: 'a\tb\tc', with: '(HEADER match)' },
  { name: 'text: header match', data: 'a\tb\tc\n1\t2\t3\n', with: '(HEADER match)' },
  { name: 'text: header mismatch', data: 'a\tB\tc\n1\t2\t3\n', with: '(HEADER match)' },
  { name: 'text: header with too few names', data: 'a\tb\n', with: '(HEADER match)' },
  { name: 'text: header with a NULL', data: 'a\t\\N\tc\n', with: '(HEADER match)' },
  { name: 'text: header match on empty input', data: '', with: '(HEADER match)' },
  { name: 'text: unicode', data: 'héllo\t日本語\t😀 ∑\n' },
  { name: 'text: invalid UTF-8', data: Buffer.from('ok\tok\tok\nbad\xff\tx\ty\n', 'latin1') },
  { name: 'text: invalid UTF-8 continuation', data: Buffer.from([...Buffer.from('a\tb\tc'), 0xe6, 0x41, 0x42, 0x43, 0x0a]) },
  { name: 'text: UTF-8 cut off at the end', data: Buffer.from([...Buffer.from('a\tb\tc'), 0xe6, 0x97]) },
  { name: 'text: a NUL byte', data: Buffer.from('a\tb\0\tc\n', 'latin1') },
  { name: 'text: surrogate encoded in UTF-8', data: Buffer.from([0x61, 0x09, 0xed, 0xa0, 0x80, 0x09, 0x63, 0x0a]) },
  { name: 'text: invalid bytes after the end marker', data: Buffer.from([...Buffer.from('1\t2\t3\n\\.\n'), 0xff, 0xfe]) },
  { name: 'text: long line in CONTEXT', data: `1\t2\t${'é'.repeat(60)}\textra\n` },
  // CSV format
  { name: 'csv: plain rows', data: 'a,b,c\n1,2,3\n', with: '(FORMAT csv)' },
  { name: 'csv: quoted delimiters and newlines', data: '"x,y","line1\nline2",z\n', with: '(FORMAT csv)' },
  { name: 'csv: doubled quotes', data: '"he said ""hi""",b,""""\n', with: '(FORMAT csv)' },
  { name: 'csv: NULL versus empty string', data: ',"",x\n', with: '(FORMAT csv)' },
  { name: 'csv: empty line', data: '\n', columns: ['a'], with: '(FORMAT csv)' },
  { name: 'csv: FORCE_NOT_NULL', data: ',,\n"",x,\n', with: '(FORMAT csv, FORCE_NOT_NULL (a, c))' },
  { name: 'csv: FORCE_NULL', data: '"","", " "\n,x,\n', with: '(FORMAT csv, FORCE_NULL (b, c))' },
  { name: 'csv: FORCE_NULL and FORCE_NOT_NULL together', data: ',"",\n', with: '(FORMAT csv, FORCE_NULL (a, b), FORCE_NOT_NULL (a))' },
  { name: 'csv: FORCE_NULL with a NULL string', data: 'N,"N",N\n', with: "(FORMAT csv, NULL 'N', FORCE_NULL (b))" },
  { name: 'csv: custom escape', data: '"a\\"b","c\\\\d",e\\f\n"x\\y",\\,"q\\""\n', with: "(FORMAT csv, ESCAPE '\\')" },
  { name: 'csv: custom escape before an ordinary character', data: '"a\\x",b,c\n"\\\\",\\"q"\n', with: "(FORMAT csv, ESCAPE '\\')" },
  { name: 'csv: custom escape does not escape outside quotes', data: '"a",b,e\\"f"\n', with: "(FORMAT csv, ESCAPE '\\')" },
  { name: 'csv: custom quote', data: "'x,y',b,'it''s'\n", with: "(FORMAT csv, QUOTE '''')" },
  { name: 'csv: quotes inside a field', data: 'ab"c,d"e,f,g\n', with: '(FORMAT csv)' },
  { name: 'csv: end marker', data: 'a,b,c\n\\.\nmore,junk\n', with: '(FORMAT csv)' },
  { name: 'csv: backslash-dot as data', data: '\\.,b,c\nx\\.,y,z\n', with: '(FORMAT csv)' },
  { name: 'csv: quoted backslash-dot', data: '"\\."\n', columns: ['a'], with: '(FORMAT csv)' },
  { name: 'csv: end marker without newline', data: 'a,b,c\n\\.', with: '(FORMAT csv)' },
  { name: 'csv: backslash-dot then text in CRLF data', data: 'a,b,c\r\n\\.x,y,z\r\n', with: '(FORMAT csv)' },
  { name: 'csv: CRLF end marker in LF data', data: 'a,b,c\n\\.\r\n', with: '(FORMAT csv)' },
  { name: 'csv: unterminated quote', data: '1,2,3\n1,"abc\n', with: '(FORMAT csv)' },
  { name: 'csv: unterminated quote without newline', data: '1,2,"abc', with: '(FORMAT csv)' },
  { name: 'csv: quoted CRLF in CRLF data', data: 'a,"x\r\ny",c\r\nd,e,f\r\n', with: '(FORMAT csv)' },
  { name: 'csv: unquoted CR in LF data', data: 'a,b,c\nd,e\r,f\n', with: '(FORMAT csv)' },
  { name: 'csv: unquoted LF in CR data', data: 'a,b,c\rd,e\n,f\r', with: '(FORMAT csv)' },
  { name: 'csv: quoted newlines count as lines', data: '"a\nb\nc",x,y\n1,2\n', with: '(FORMAT csv)' },
  { name: 'csv: quoted newlines after the newline style is known', data: 'x,y,z\n"a\nb\nc",x,y\n1,2\n', with: '(FORMAT csv)' },
  { name: 'csv: quoted CRs in CR data', data: 'x,y,z\r"a\rb",x,y\r1,2\r', with: '(FORMAT csv)' },
  { name: 'csv: header match', data: 'a,b,c\n1,2,3\n', with: '(FORMAT csv, HEADER match)' },
  { name: 'csv: quoted header match', data: '"a","b","c"\n1,2,3\n', with: '(FORMAT csv, HEADER match)' },
  { name: 'csv: header with a NULL', data: ',b,c\n', with: '(FORMAT csv, HEADER match)' },
  { name: 'csv: header mismatch', data: 'a,b,"c "\n', with: '(FORMAT csv, HEADER match)' },
  { name: 'csv: header skipped', data: 'whatever\n1,2,3\n', with: '(FORMAT csv, HEADER)' },
  { name: 'csv: NULL string', data: 'NULL,"NULL",\n', with: "(FORMAT csv, NULL 'NULL')" },
  { name: 'csv: other delimiters', data: 'a;b;"c;d"\n', with: "(FORMAT csv, DELIMITER ';')" },
  { name: 'csv: tab delimiter', data: 'a\t"b\tc"\t\n', with: "(FORMAT csv, DELIMITER E'\\t')" },
  { name: 'csv: extra column', data: '1,2,3,4\n', with: '(FORMAT csv)' },
  { name: 'csv: missing column', data: '1,2\n', with: '(FORMAT csv)' },
  { name: 'csv: unicode', data: '"日本,語",😀,é\n', with: '(FORMAT csv)' },
  { name: 'csv: invalid UTF-8 in a quoted field', data: Buffer.from([...Buffer.from('1,2,3\n"a\n'), 0xc3, 0x28, 0x22, 0x0a]), with: '(FORMAT csv)' },
  { name: 'csv: legacy syntax', data: "'a'|'b'|\n", with: "CSV DELIMITER '|' QUOTE ''''" },
];

describe('CopyInParser against PostgreSQL 15 COPY FROM STDIN', () => {
  cases.forEach((testCase, index) => {
    it(testCase.name, async () => {
      const columns = testCase.columns ?? ['a', 'b', 'c'];
      const sql = `COPY t (${columns.join(', ')}) FROM STDIN ${testCase.with ?? ''}`;
      const data = typeof testCase.data === 'string' ? Buffer.from(testCase.data, 'utf8') : testCase.data;

      await client.query('TRUNCATE t RESTART IDENTITY');
      const serverError = await raw.copyIn(sql, data);
      let expected: ParseOutcome;
      if (serverError) {
        expected = {
          error: { code: serverError.code, message: serverError.message, hint: serverError.hint, where: serverError.where },
        };
      } else {
        const stored = await client.query({ text: `SELECT ${columns.join(', ')} FROM t ORDER BY id`, rowMode: 'array' });
        expected = { rows: stored.rows as CopyRow[], rowsSeen: stored.rows.length };
      }

      const options = copyOptionsOf(sql);
      for (const { label, chunks } of chunkings(data, index + 1)) {
        expect({ label, outcome: runParser(options, columns, chunks) }).toEqual({ label, outcome: expected });
      }
    });
  });

  it('matches PostgreSQL on a zero-column table', async () => {
    await client.query('CREATE TABLE IF NOT EXISTS z ()');
    const check = async (text: string) => {
      await client.query('TRUNCATE z');
      const serverError = await raw.copyIn('COPY z FROM STDIN', Buffer.from(text));
      const ours = runParser(copyOptionsOf('COPY z FROM STDIN'), [], [Buffer.from(text)]);
      if (serverError) {
        expect(ours).toEqual({ error: { code: serverError.code, message: serverError.message, hint: serverError.hint, where: serverError.where?.replace('COPY z', 'COPY t') } });
      } else {
        const { rows } = await client.query('SELECT count(*)::int AS n FROM z');
        expect(ours).toEqual({ rows: new Array(rows[0].n).fill([]), rowsSeen: rows[0].n });
      }
    };
    await check('\n\n\n');
    await check('\nx\n');
  });
});

describe('CopyOutFormatter against PostgreSQL 15 COPY TO STDOUT', () => {
  const values: (string | null)[] = [
    'plain',
    '',
    null,
    'back\\slash',
    'tab\there',
    'new\nline',
    'carriage\rreturn',
    'ctl \b \f \v \x01 \x1f',
    'comma, and ; and | and "quotes" and \'apostrophes\'',
    '\\.',
    '\\N',
    'NULL',
    ' padded ',
    'unicode é 日本 😀',
    '"',
    '\\.x',
  ];

  beforeAll(async () => {
    await client.query('CREATE TABLE v (id int GENERATED ALWAYS AS IDENTITY, a text, b text, c text)');
    // Every value in every column position, so delimiters and quoting are exercised next to neighbours.
    for (let i = 0; i < values.length; i++) {
      await client.query('INSERT INTO v (a, b, c) VALUES ($1, $2, $3)', [
        values[i],
        values[(i + 1) % values.length],
        values[(i + 5) % values.length],
      ]);
    }
  });

  const outCases: { with: string; select?: string }[] = [
    { with: '' },
    { with: "(DELIMITER '|')" },
    { with: "(DELIMITER E'\\x01')" },
    { with: "(DELIMITER ',', NULL 'NULL')" },
    { with: '(HEADER)' },
    { with: '(FORMAT csv)' },
    { with: '(FORMAT csv, HEADER)' },
    { with: '(FORMAT csv, FORCE_QUOTE *)' },
    { with: '(FORMAT csv, FORCE_QUOTE (a, c))' },
    { with: "(FORMAT csv, QUOTE '''', ESCAPE '\\')" },
    { with: "(FORMAT csv, NULL 'NULL')" },
    { with: "(FORMAT csv, NULL '\\N', DELIMITER '|')" },
    { with: "(FORMAT csv, DELIMITER E'\\t')" },
    { with: '(FORMAT csv, HEADER)', select: 'SELECT a AS "x" FROM v ORDER BY id' },
    { with: '', select: 'SELECT a AS "x" FROM v ORDER BY id' },
    { with: '(FORMAT csv, HEADER)', select: 'SELECT a AS "col,1", b AS "col""2", c AS "c\\3" FROM v ORDER BY id' },
    { with: '(HEADER)', select: 'SELECT a AS "col\t1", b AS "c\\2", c FROM v ORDER BY id' },
    { with: 'CSV HEADER FORCE QUOTE b' },
  ];

  for (const outCase of outCases) {
    const select = outCase.select ?? 'SELECT a, b, c FROM v ORDER BY id';
    it(`${select} ${outCase.with}`, async () => {
      const sql = `COPY (${select}) TO STDOUT ${outCase.with}`;
      const expected = await raw.copyOut(sql);
      const result = await client.query({ text: select, rowMode: 'array' });
      const names = result.fields.map((f) => f.name);
      const formatter = new CopyOutFormatter(copyOptionsOf(sql), names);
      const parts: Buffer[] = [];
      const header = formatter.header();
      if (header) parts.push(header);
      for (const row of result.rows as (string | null)[][]) parts.push(formatter.row(row));
      expect(Buffer.concat(parts).toString('utf8')).toBe(expected.toString('utf8'));
      expect(Buffer.concat(parts).equals(expected)).toBe(true);
    });
  }

  it('round-trips through CopyInParser', async () => {
    for (const withClause of ['', '(FORMAT csv)', "(FORMAT csv, QUOTE '''', ESCAPE '\\')", "(DELIMITER '|')"]) {
      const result = await client.query({ text: 'SELECT a, b, c FROM v ORDER BY id', rowMode: 'array' });
      const formatter = new CopyOutFormatter(copyOptionsOf(`COPY v (a, b, c) TO STDOUT ${withClause}`), ['a', 'b', 'c']);
      const bytes = Buffer.concat((result.rows as (string | null)[][]).map((r) => formatter.row(r)));
      const parser = new CopyInParser(copyOptionsOf(`COPY v (a, b, c) FROM STDIN ${withClause}`), ['a', 'b', 'c'], 'v');
      const rows = [...parser.push(bytes), ...parser.finish()];
      expect(rows).toEqual(result.rows);
    }
  });
});
