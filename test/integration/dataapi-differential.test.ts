// Differential test of the Data API mode: one SQL corpus (test/integration/corpus) runs straight
// against PostgreSQL and through `aurora-pg-proxy data-api` -> emulator -> the same PostgreSQL,
// and every message the client receives is compared: message kinds in order, column names,
// type OIDs, sizes and modifiers, result formats, values byte for byte, command tags,
// ReadyForQuery status, notices and errors (SQLSTATE, message, position, hint).
//
// A raw protocol client (pg-protocol's serializer and Parser over a plain socket) is used
// because node-postgres converts values and would hide differences in their text.
//
// Every case runs in four ways: simple Query; extended Parse/Bind/Describe(portal)/Execute/Sync
// with text results; Parse/Describe(statement)/Bind/Execute/Sync (pgJDBC's order); and extended
// with binary results for every column whose type the proxy can send in binary.
//
// The known differences that follow from what the Data API can report are listed in
// corpus/README.md. Global ones are applied to every case below (GLOBAL_DIFFERENCES); the rest
// are named per case with `-- accept: <name>`, and an accepted difference that a case does not
// actually show makes the case fail, so the list stays true.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import type {
  CommandCompleteMessage,
  DatabaseError,
  NoticeMessage,
  ParameterDescriptionMessage,
  ParameterStatusMessage,
  ReadyForQueryMessage,
  RowDescriptionMessage,
} from 'pg-protocol/dist/messages.js';
import { findPlaceholders, splitStatements } from '../../src/dataapi/sql/index.js';
import { hasBinaryOutput, typeByOid } from '../../src/dataapi/types/index.js';
import { useDataApiStack } from './dataapi-fixture.js';

// ------------------------------------------------------------------ corpus

const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

type Mode = 'simple' | 'extended' | 'describe' | 'binary';
const ALL_MODES: Mode[] = ['simple', 'extended', 'describe', 'binary'];

interface Case {
  name: string;
  sql: string;
  /** Run straight against PostgreSQL (not compared) before each run of the case. */
  before: string[];
  /** Named known differences (see KNOWN_DIFFERENCES). */
  accept: string[];
  modes: Mode[];
  /** Text parameters $1, $2... for the statements that use them (extended protocol only). */
  params: (string | null)[] | null;
}

function readCorpus(file: string): Case[] {
  const cases: (Case & { body: string[] })[] = [];
  let current: (Case & { body: string[] }) | null = null;
  for (const line of readFileSync(CORPUS_DIR + file, 'utf8').split('\n')) {
    const start = /^-- case: (.+)$/.exec(line);
    if (start) {
      current = { name: start[1].trim(), sql: '', before: [], accept: [], modes: ALL_MODES, params: null, body: [] };
      cases.push(current);
      continue;
    }
    if (!current) continue;
    const directive = /^-- (before|accept|modes|params): (.*)$/.exec(line);
    if (directive) {
      const [, kind, value] = directive;
      if (kind === 'before') current.before.push(value);
      else if (kind === 'params') {
        current.params = JSON.parse(value) as (string | null)[];
        if (current.modes === ALL_MODES) current.modes = ALL_MODES.filter((m) => m !== 'simple');
      }
      else if (kind === 'accept') current.accept.push(...value.split(/[ ,]+/).filter(Boolean));
      else current.modes = value.split(/[ ,]+/).filter(Boolean) as Mode[];
      continue;
    }
    current.body.push(line);
  }
  return cases.map(({ body, ...c }) => ({ ...c, sql: body.join('\n').trim() }));
}

const CASES = readCorpus('cases.sql');

// ------------------------------------------------------------------ raw protocol client

interface ColumnInfo {
  name: string;
  tableOid: number;
  columnAttr: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  format: string;
}

interface Report {
  severity?: string;
  code?: string;
  message?: string;
  position?: string;
  hint?: string;
  detail?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
}

type Wire =
  | { t: 'RowDescription'; columns: ColumnInfo[] }
  | { t: 'DataRow'; values: (string | null)[] }
  | { t: 'CommandComplete'; tag: string }
  | { t: 'Error'; report: Report }
  | { t: 'Notice'; report: Report }
  | { t: 'ParameterDescription'; types: number[] }
  | { t: 'ParameterStatus'; name: string; value: string }
  | { t: 'ReadyForQuery'; status: string }
  | { t: 'ParseComplete' | 'BindComplete' | 'CloseComplete' | 'NoData' | 'EmptyQuery' | 'PortalSuspended' }
  | { t: 'Other'; name: string };

function report(m: DatabaseError | NoticeMessage): Report {
  return {
    severity: m.severity,
    code: m.code,
    message: m.message,
    position: m.position,
    hint: m.hint,
    detail: m.detail,
    where: m.where,
    schema: m.schema,
    table: m.table,
    column: m.column,
    dataType: m.dataType,
    constraint: m.constraint,
  };
}

/** DataRow values: text columns as their UTF-8 text, binary ones (or invalid UTF-8) as `\x` hex. */
function rowValues(body: Buffer, binary: boolean): (string | null)[] {
  const count = body.readInt16BE(0);
  const values: (string | null)[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    const len = body.readInt32BE(at);
    at += 4;
    if (len < 0) {
      values.push(null);
      continue;
    }
    const raw = body.subarray(at, at + len);
    at += len;
    const text = raw.toString('utf8');
    values.push(binary || !Buffer.from(text, 'utf8').equals(raw) ? `hex:${raw.toString('hex')}` : text);
  }
  return values;
}

const SIMPLE_NAMES: Record<string, Wire['t']> = {
  parseComplete: 'ParseComplete',
  bindComplete: 'BindComplete',
  closeComplete: 'CloseComplete',
  noData: 'NoData',
  emptyQuery: 'EmptyQuery',
  portalSuspended: 'PortalSuspended',
};

function toWire(m: { name: string }): Wire {
  switch (m.name) {
    case 'rowDescription':
      return {
        t: 'RowDescription',
        columns: (m as RowDescriptionMessage).fields.map((f) => ({
          name: f.name,
          tableOid: f.tableID,
          columnAttr: f.columnID,
          typeOid: f.dataTypeID,
          typeSize: f.dataTypeSize,
          typeModifier: f.dataTypeModifier,
          format: f.format,
        })),
      };
    case 'commandComplete':
      return { t: 'CommandComplete', tag: (m as CommandCompleteMessage).text };
    case 'error':
      return { t: 'Error', report: report(m as DatabaseError) };
    case 'notice':
      return { t: 'Notice', report: report(m as NoticeMessage) };
    case 'parameterDescription':
      return { t: 'ParameterDescription', types: (m as ParameterDescriptionMessage).dataTypeIDs };
    case 'parameterStatus': {
      const p = m as ParameterStatusMessage;
      return { t: 'ParameterStatus', name: p.parameterName, value: p.parameterValue };
    }
    case 'readyForQuery':
      return { t: 'ReadyForQuery', status: (m as ReadyForQueryMessage).status };
    default:
      return SIMPLE_NAMES[m.name] ? ({ t: SIMPLE_NAMES[m.name] } as Wire) : { t: 'Other', name: m.name };
  }
}

class WireClient {
  private pending: Buffer = Buffer.alloc(0);
  private frames: { type: number; body: Buffer; frame: Buffer }[] = [];
  private wake: (() => void) | null = null;
  private closed: Error | null = null;
  private readonly parser = new Parser();

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      while (this.pending.length >= 5) {
        const len = this.pending.readInt32BE(1);
        if (this.pending.length < len + 1) break;
        const frame = this.pending.subarray(0, len + 1);
        this.frames.push({ type: frame[0], body: frame.subarray(5), frame });
        this.pending = this.pending.subarray(len + 1);
      }
      this.wake?.();
    });
    const onEnd = (err?: Error) => {
      this.closed = err ?? new Error('the server closed the connection');
      this.wake?.();
    };
    socket.on('error', onEnd);
    socket.on('close', () => onEnd());
  }

  static async connect(host: string, port: number): Promise<WireClient> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const client = new WireClient(socket);
    // Both sides run with TimeZone UTC: the Data API always reports timestamptz in UTC.
    socket.write(serialize.startup({ user: 'postgres', database: 'postgres', client_encoding: 'UTF8', TimeZone: 'UTC' }));
    const hello = await client.readUntilReady(false);
    const bad = hello.find((m) => m.t === 'Error' || m.t === 'Other');
    if (bad) throw new Error(`startup failed: ${JSON.stringify(bad)}`);
    return client;
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  /** Messages up to and including the next ReadyForQuery. */
  async readUntilReady(binaryRows: boolean, timeoutMs = 20_000): Promise<Wire[]> {
    const out: Wire[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (!f) {
        if (this.closed) throw new Error(`${this.closed.message}; received so far: ${JSON.stringify(out)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ReadyForQuery within ${timeoutMs} ms; received so far: ${JSON.stringify(out)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        continue;
      }
      if (f.type === 0x44 /* D */) {
        out.push({ t: 'DataRow', values: rowValues(f.body, binaryRows) });
        continue;
      }
      if (f.type === 0x52 /* R: authentication */) {
        const code = f.body.readInt32BE(0);
        if (code !== 0) out.push({ t: 'Other', name: `authentication request ${code}` });
        continue;
      }
      if (f.type === 0x4b /* K */) continue;
      let msg: Wire | null = null;
      this.parser.parse(f.frame, (m) => (msg = toWire(m)));
      if (!msg) throw new Error(`unparsed message ${String.fromCharCode(f.type)}`);
      out.push(msg);
      if ((msg as Wire).t === 'ReadyForQuery') return out;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.end(serialize.end());
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      setTimeout(resolve, 2000).unref();
    });
  }
}

/**
 * A Bind of text parameters with one result format per column (pg-protocol's serializer sets
 * one format for all columns).
 */
function bindMessage(params: (string | null)[], resultFormats: number[]): Buffer {
  const values: Buffer[] = [];
  const count = Buffer.alloc(2);
  count.writeInt16BE(params.length);
  for (const p of params) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(p === null ? -1 : Buffer.byteLength(p));
    values.push(len);
    if (p !== null) values.push(Buffer.from(p, 'utf8'));
  }
  const formats = Buffer.alloc(2 + 2 * resultFormats.length);
  formats.writeInt16BE(resultFormats.length, 0);
  resultFormats.forEach((f, i) => formats.writeInt16BE(f, 2 + 2 * i));
  // portal "", statement "", no parameter format codes (all text), the values, the result formats.
  const body = Buffer.concat([Buffer.from([0, 0]), Buffer.from([0, 0]), count, ...values, formats]);
  const head = Buffer.alloc(5);
  head[0] = 0x42;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** The statements of a case as the extended protocol sends them: one Parse each. */
function statementsOf(sql: string): string[] {
  const pieces = splitStatements(sql).map((p) => p.text);
  return pieces.length > 0 ? pieces : [sql];
}

async function leaveTransaction(client: WireClient, run: Wire[]): Promise<void> {
  const last = run[run.length - 1];
  if (last?.t === 'ReadyForQuery' && last.status === 'I') return;
  client.send(serialize.query('ROLLBACK'));
  await client.readUntilReady(false);
}

async function runCase(client: WireClient, c: Case, mode: Mode, formats: number[][] = []): Promise<Wire[]> {
  const sql = c.sql;
  if (mode === 'simple') {
    client.send(serialize.query(sql));
    return client.readUntilReady(false);
  }
  const messages: Buffer[] = [];
  statementsOf(sql).forEach((text, i) => {
    messages.push(serialize.parse({ text }));
    if (mode === 'describe') messages.push(serialize.describe({ type: 'S' }));
    const params = (c.params ?? []).slice(0, findPlaceholders(text).highest);
    messages.push(bindMessage(params, mode === 'binary' ? (formats[i] ?? []) : []));
    if (mode !== 'describe') messages.push(serialize.describe({ type: 'P' }));
    messages.push(serialize.execute());
  });
  messages.push(serialize.sync());
  client.send(...messages);
  return client.readUntilReady(mode === 'binary');
}

/**
 * Per statement of an extended run, the result formats to ask for in binary mode: binary for
 * every column the proxy can send in binary, text for the rest. Null when no column qualifies.
 */
function binaryFormats(extendedRun: Wire[]): number[][] | null {
  const perStatement: number[][] = [];
  let index = -1;
  let any = false;
  for (const m of extendedRun) {
    if (m.t === 'ParseComplete') {
      index++;
      perStatement[index] = [];
    }
    if (m.t === 'RowDescription') {
      perStatement[index] = m.columns.map((c) => (hasBinaryOutput(c.typeOid) ? 1 : 0));
      any ||= perStatement[index].includes(1);
    }
  }
  return any ? perStatement : null;
}

// ------------------------------------------------------------------ known differences

type Normalizer = (direct: Wire[], proxy: Wire[]) => void;

function columnsOf(run: Wire[]): ColumnInfo[] {
  return run.flatMap((m) => (m.t === 'RowDescription' ? m.columns : []));
}

function reportsOf(run: Wire[]): Report[] {
  return run.flatMap((m) => (m.t === 'Error' || m.t === 'Notice' ? [m.report] : []));
}

/** Applied to every case; each is explained in corpus/README.md. */
const GLOBAL_DIFFERENCES: Record<string, Normalizer> = {
  // The Data API's columnMetadata names a table and the column's label, not its OID or attribute
  // number: the proxy resolves them from the catalogue where the label is that table's column,
  // and sends 0 for both where it cannot tell (an aliased column). Where it sends them they
  // must be PostgreSQL's.
  'table-oid-and-attnum': (direct, proxy) => {
    const sent = columnsOf(proxy);
    columnsOf(direct).forEach((c, i) => {
      const p = sent[i];
      if (p && p.tableOid === 0 && p.columnAttr === 0) {
        c.tableOid = 0;
        c.columnAttr = 0;
      }
    });
  },
  // DatabaseErrorException's text carries message, Hint, Position and Where, never Detail. (The
  // schema/table/column/data type/constraint fields the proxy recovers, and they are compared.)
  'error-detail': (direct, proxy) => {
    for (const r of [...reportsOf(direct), ...reportsOf(proxy)]) delete r.detail;
  },
  // PostgreSQL checks a statement at Parse (syntax, names) and plans it at Bind (constant
  // folding: 1/0), and reports an error right there. The proxy answers Parse and Bind without a
  // Data API call, so the same error comes at the statement's Describe or Execute. Only the
  // acknowledgements of the failing statement (ParseComplete, BindComplete, NoData,
  // ParameterDescription) differ; the error itself must match.
  'error-at-parse-or-bind': (direct, proxy) => {
    for (const run of [direct, proxy]) stripBeforeErrors(run, ACKNOWLEDGEMENTS);
  },
};

const ACKNOWLEDGEMENTS = new Set<Wire['t']>(['ParseComplete', 'BindComplete', 'NoData', 'ParameterDescription']);

/**
 * Removes the messages of the given kinds that come right before each error, and the
 * RowDescription that answers a Describe of a statement (it follows ParameterDescription).
 */
function stripBeforeErrors(run: Wire[], kinds: Set<Wire['t']>): void {
  for (let e = run.length - 1; e >= 0; e--) {
    if (run[e].t !== 'Error') continue;
    let from = e;
    for (;;) {
      const prev = run[from - 1];
      if (!prev) break;
      if (kinds.has(prev.t) || (prev.t === 'RowDescription' && run[from - 2]?.t === 'ParameterDescription')) from--;
      else break;
    }
    run.splice(from, e - from);
    e = from;
  }
}

/** Named per case with `-- accept:`. */
const KNOWN_DIFFERENCES: Record<string, Normalizer> = {
  // The case creates its table, so the direct run and the proxy run each make their own, with
  // OIDs of their own: a nonzero OID on both sides stands for the same table.
  'table-created-in-case': (direct, proxy) => {
    const p = columnsOf(proxy);
    columnsOf(direct).forEach((c, i) => {
      if (p[i] && p[i].tableOid !== 0 && c.tableOid !== 0) p[i].tableOid = c.tableOid;
    });
  },
  // The Data API's precision/scale cannot tell every type modifier apart (time(6) from time,
  // timestamp(6) from timestamp...): the proxy reports -1 there.
  typmod: (direct, proxy) => {
    const d = columnsOf(direct);
    const p = columnsOf(proxy);
    d.forEach((c, i) => {
      if (p[i] && p[i].typeModifier !== c.typeModifier) p[i].typeModifier = c.typeModifier;
    });
  },
  // The Data API does not return the notices a statement raises.
  notices: (direct, proxy) => {
    for (const run of [direct, proxy]) {
      for (let i = run.length - 1; i >= 0; i--) {
        const m = run[i];
        if (m.t === 'Notice' && m.report.severity === 'NOTICE') run.splice(i, 1);
      }
    }
  },
  // PostgreSQL sends the RowDescription and the rows computed before an error; a Data API call
  // that fails returns nothing but the error.
  'rows-before-error': (direct, proxy) => {
    for (const run of [direct, proxy]) stripBeforeErrors(run, new Set([...ACKNOWLEDGEMENTS, 'RowDescription', 'DataRow']));
  },
  // An array's lower bounds (`[0:2]={1,2,3}`) are not part of the Data API's arrayValue: the
  // proxy can only print the default bounds.
  'array-bounds': (direct) => {
    let columns: ColumnInfo[] = [];
    for (const m of direct) {
      if (m.t === 'RowDescription') columns = m.columns;
      if (m.t !== 'DataRow') continue;
      m.values = m.values.map((v, i) => {
        if (v === null) return v;
        const isArray = (typeByOid(columns[i]?.typeOid ?? 0)?.elemOid ?? 0) !== 0;
        if (!isArray) return v;
        if (!v.startsWith('hex:')) return v.replace(/^(\[-?\d+:-?\d+\])+=/, '');
        // Binary: ndim, flags, element OID, then (length, lower bound) per dimension.
        const b = Buffer.from(v.slice(4), 'hex');
        for (let d = 0; d < b.readInt32BE(0); d++) b.writeInt32BE(1, 16 + 8 * d);
        return `hex:${b.toString('hex')}`;
      });
    }
  },
  // PostgreSQL sees the `;` that ends a statement; the proxy sends each statement of a query
  // string on its own, without it, so a syntax error right before it is "at end of input".
  'statement-terminator': (direct) => {
    for (const r of reportsOf(direct)) {
      if (r.code === '42601' && r.message === 'syntax error at or near ";"') r.message = 'syntax error at end of input';
    }
  },
  // columnMetadata names a type (typname) but not its OID or schema. For a user-defined type
  // the proxy announces the type its values read as: text for an enum or a composite, text[]
  // for an array of them (the values are PostgreSQL's own text either way).
  'user-defined-type': (direct, proxy) => {
    const p = columnsOf(proxy);
    columnsOf(direct).forEach((c, i) => {
      if (c.typeOid >= FIRST_NORMAL_OBJECT_ID && p[i] && (p[i].typeOid === 25 || p[i].typeOid === 1009)) {
        p[i].typeOid = c.typeOid;
        p[i].typeSize = c.typeSize;
      }
    });
  },
  // PostgreSQL converts a text parameter at Bind ("unnamed portal parameter $1 = '...'"); the
  // proxy hands it to the Data API, where the statement converts it, so the error carries the
  // position of the conversion instead.
  'parameter-conversion-error': (direct, proxy) => {
    const d = reportsOf(direct);
    const p = reportsOf(proxy);
    d.forEach((r, i) => {
      if (!/^unnamed portal parameter \$\d+/.test(r.where ?? '') || !p[i]) return;
      delete r.where;
      delete p[i].position;
    });
  },
  // The Data API ends a transaction in which a result exceeds 1 MiB, so the proxy cannot page
  // such a result through a cursor in a transaction that already did something: it stops with
  // 54000 (and a hint) where PostgreSQL sends the rows. The proxy's answer is asserted here:
  // up to that point identical, then that error and ReadyForQuery.
  'result-over-1mib-in-transaction': (direct, proxy) => {
    const e = proxy.findIndex((m) => m.t === 'Error' && m.report.code === '54000');
    if (e < 0) return;
    let rows = e;
    while (direct[rows] && (ACKNOWLEDGEMENTS.has(direct[rows].t) || direct[rows].t === 'RowDescription')) rows++;
    let bytes = 0;
    for (let i = rows; i < direct.length && direct[i].t === 'DataRow'; i++) {
      for (const v of (direct[i] as { values: (string | null)[] }).values) bytes += v?.length ?? 0;
    }
    if (bytes <= 1024 * 1024) return;
    direct.splice(e, direct.length - e, ...proxy.slice(e));
  },
  // The proxy shows timestamptz in the client's TimeZone, but what the server computes from one
  // (::date, ::text, date_trunc) is computed in the Data API session's zone, UTC. The proxy's
  // rows are taken as they are; the case's comment says what PostgreSQL gives.
  'timezone-utc': (direct, proxy) => {
    for (let i = 0; i < direct.length; i++) {
      if (direct[i].t === 'DataRow' && proxy[i]?.t === 'DataRow') direct[i] = proxy[i];
    }
  },
  // Intervals are fetched as text from the Data API's own session, whose IntervalStyle is the
  // default (postgres): the proxy cannot print another style.
  'intervalstyle-postgres': (direct, proxy) => {
    const p = proxy.filter((m) => m.t === 'DataRow');
    let row = 0;
    let columns: ColumnInfo[] = [];
    for (const m of direct) {
      if (m.t === 'RowDescription') columns = m.columns;
      if (m.t !== 'DataRow') continue;
      const theirs = p[row++] as { values: (string | null)[] } | undefined;
      m.values = m.values.map((v, i) => {
        const other = theirs?.values[i];
        const postgresStyle = /^(-?\d+ (years?|mons?|days?) ?)*(-?\d\d:\d\d:\d\d(\.\d+)?)?$/;
        return columns[i]?.typeOid === 1186 && typeof other === 'string' && postgresStyle.test(other) ? other : v;
      });
    }
  },
  // A DateStyle other than ISO is refused with a clear error (the proxy prints dates itself).
  'datestyle-iso-only': (direct, proxy) => {
    const e = proxy.findIndex((m) => m.t === 'Error' && m.report.code === '0A000' && /DateStyle ISO/.test(m.report.message ?? ''));
    if (e < 0) return;
    let k = e;
    while (direct[k] && ACKNOWLEDGEMENTS.has(direct[k].t)) k++;
    if (direct[k]?.t === 'CommandComplete') direct.splice(e, direct.length - e, ...proxy.slice(e));
  },
};

/** OIDs from here on belong to objects created after initdb (pg_type's user-defined types). */
const FIRST_NORMAL_OBJECT_ID = 16384;

function clone(run: Wire[]): Wire[] {
  return JSON.parse(JSON.stringify(run)) as Wire[];
}

/** Both runs after the global and the named known differences. */
function normalize(direct: Wire[], proxy: Wire[], accepted: string[]): { direct: Wire[]; proxy: Wire[] } {
  const d = clone(direct);
  const p = clone(proxy);
  for (const n of Object.values(GLOBAL_DIFFERENCES)) n(d, p);
  for (const name of accepted) {
    const n = KNOWN_DIFFERENCES[name];
    if (!n) throw new Error(`unknown accepted difference "${name}"`);
    n(d, p);
  }
  return { direct: d, proxy: p };
}

// ------------------------------------------------------------------ the test

const stack = useDataApiStack();
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client(stack().directConfig());
  await admin.connect();
  await admin.query(readFileSync(CORPUS_DIR + 'setup.sql', 'utf8'));
});

afterAll(async () => {
  if (!admin) return;
  await admin.query(readFileSync(CORPUS_DIR + 'teardown.sql', 'utf8'));
  await admin.end();
});

describe('Data API mode matches PostgreSQL message for message', () => {
  it('has a corpus of at least 120 cases with unique names', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(120);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const s = stack();
      const direct = await WireClient.connect(s.db.host, s.db.port);
      const proxy = await WireClient.connect(s.proxy.host, s.proxy.port);
      try {
        let formats: number[][] | null = null;
        const shown: string[] = [];
        for (const mode of c.modes) {
          if (mode === 'binary' && !formats) continue;
          for (const b of c.before) await admin.query(b);
          const d = await runCase(direct, c, mode, formats ?? []);
          for (const b of c.before) await admin.query(b);
          const p = await runCase(proxy, c, mode, formats ?? []);
          // Each way of running starts outside a transaction, whatever the previous one left.
          await leaveTransaction(direct, d);
          await leaveTransaction(proxy, p);
          if (mode === 'extended') formats = binaryFormats(d);
          const n = normalize(d, p, c.accept);
          expect(n.proxy, `${mode} protocol`).toEqual(n.direct);
          // Each accepted difference must show in this case, or it is stale.
          for (const name of c.accept) {
            const without = normalize(d, p, c.accept.filter((a) => a !== name));
            if (JSON.stringify(without.proxy) !== JSON.stringify(without.direct)) shown.push(name);
          }
        }
        for (const name of c.accept) expect(shown, `accepted difference "${name}" never shows`).toContain(name);
      } finally {
        await direct.close();
        await proxy.close();
      }
    });
  }
});
