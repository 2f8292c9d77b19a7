// COPY ... FROM STDIN and COPY ... TO STDOUT over the Data API, which has no COPY of its own.
// FROM: the client's rows are parsed here and inserted with BatchExecuteStatement, in batches
// within the 4 MiB request limit, all in one transaction so the COPY succeeds or fails whole.
// TO: the query runs like any SELECT (paged through a cursor when large) and each row is
// formatted as COPY would print it.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import {
  encodeCommandComplete,
  encodeCopyData,
  encodeCopyDone,
  encodeCopyInResponse,
  encodeCopyOutResponse,
} from '../../protocol/backend-encoder.js';
import { decodeFrontendMessage } from '../../protocol/frontend-decoder.js';
import { ProtocolViolation } from '../../protocol/errors.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { innerStatement, parseStatement, quoteIdentifier, quoteLiteral, type ClassifiedStatement, type ParsedStatement } from '../sql/index.js';
import { CopyInParser, CopyOutFormatter } from '../copy/index.js';
import type { ClientWriter } from './client-writer.js';
import { ResultShape, textStyleOf } from './results.js';
import type { SessionSettings } from './settings.js';
import { beginWithSettings, runStatement, StatementError, type RunnerContext } from './statement-runner.js';

type CopyStatement = Extract<ClassifiedStatement, { kind: 'copy' }>;

export interface CopyContext {
  ctx: RunnerContext;
  out: ClientWriter;
  nextFrame(): Promise<{ type: number; body: Buffer }>;
  settings: SessionSettings;
}

/** Keep each BatchExecuteStatement request well under the Data API's 4 MiB cap. */
const MAX_BATCH_BYTES = 3 * 1024 * 1024;
const MAX_BATCH_ROWS = 5000;
const PARAMETER_OVERHEAD_BYTES = 48;
const PAGE_ROWS = 1000;

export async function runCopy(c: CopyContext, parsed: ParsedStatement): Promise<void> {
  const statement = parsed.classified;
  if (statement.kind !== 'copy') throw new StatementError(SqlState.INTERNAL_ERROR, 'not a COPY statement');
  if (statement.endpoint.type !== 'client') {
    // A server-side file or program: the database decides (Aurora refuses both).
    const outcome = await runStatement(c.ctx, parsed, null);
    c.out.send(encodeCommandComplete(outcome.tag(outcome.affected)));
    return;
  }
  if (statement.options.format === 'binary') {
    throw new StatementError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY BINARY is not supported by aurora-pg-proxy in Data API mode');
  }
  if (statement.direction === 'from') await copyFrom(c, statement);
  else await copyTo(c, statement, parsed);
}

interface TargetColumn {
  name: string;
  type: string;
}

async function targetColumns(c: CopyContext, statement: CopyStatement): Promise<{ table: string; columns: TargetColumn[] }> {
  if (statement.source.type !== 'table') throw new StatementError(SqlState.SYNTAX_ERROR, 'COPY FROM needs a table');
  // Hook (issue 9): a temp table's name qualified by the session's schema (session-objects.ts).
  const table = c.ctx.sessionObjects?.qualifyRelation(statement.source.table.text) ?? statement.source.table.text;
  const out = await c.ctx.tx.execute(
    {
      sql:
        'SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a ' +
        `WHERE a.attrelid = CAST(${quoteLiteral(table)} AS pg_catalog.regclass) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ` +
        'ORDER BY a.attnum',
    },
    c.ctx.onResuming,
  );
  const all = (out.records ?? []).map((r) => ({ name: r[0]?.stringValue ?? '', type: r[1]?.stringValue ?? 'text' }));
  const wanted = statement.source.columns;
  if (!wanted) return { table, columns: all };
  const columns = wanted.map((name) => {
    const col = all.find((a) => a.name === name);
    if (!col) throw new StatementError(SqlState.UNDEFINED_COLUMN, `column "${name}" of relation "${statement.source.type === 'table' ? statement.source.table.parts.at(-1) : ''}" does not exist`);
    return col;
  });
  return { table, columns };
}

async function copyFrom(c: CopyContext, statement: CopyStatement): Promise<void> {
  const { tx } = c.ctx;
  const { table, columns } = await targetColumns(c, statement);
  const names = columns.map((col) => col.name);
  // COPY writes identity columns as given, GENERATED ALWAYS ones too (pg_dump's data does).
  const insert =
    `INSERT INTO ${table} (${names.map(quoteIdentifier).join(', ')}) OVERRIDING SYSTEM VALUE VALUES (` +
    columns.map((col, i) => `CAST(:c${i + 1} AS ${col.type})`).join(', ') +
    ')';
  const parser = new CopyInParser(statement.options, names, statement.source.type === 'table' ? statement.source.table.parts.at(-1)! : '');
  // A table of no columns (CREATE TABLE t ()) takes rows with nothing in them, which no INSERT
  // ... VALUES can write: insert as many empty rows from a SELECT of no columns.
  const insertRows = async (sets: SqlParameter[][]): Promise<unknown> =>
    names.length === 0
      ? tx.execute({ sql: `INSERT INTO ${table} SELECT FROM pg_catalog.generate_series(1, ${sets.length})` }, c.ctx.onResuming)
      : tx.batchExecute(insert, sets, c.ctx.onResuming);

  c.out.send(encodeCopyInResponse(0, names.map(() => 0)));
  await c.out.flush();

  const ownTransaction = !tx.open;
  let batch: SqlParameter[][] = [];
  let batchBytes = 0;
  let inserted = 0;
  let sentBatches = 0;

  const sendBatch = async () => {
    if (batch.length === 0) return;
    if (!tx.open) await beginWithSettings(c.ctx, true);
    await insertRows(batch);
    inserted += batch.length;
    sentBatches++;
    batch = [];
    batchBytes = 0;
  };
  const addRows = async (rows: (string | null)[][]) => {
    for (const row of rows) {
      const set = row.map((v, i) => ({ name: `c${i + 1}`, value: v === null ? { isNull: true } : { stringValue: v } }) as SqlParameter);
      const bytes = row.reduce((n, v) => n + PARAMETER_OVERHEAD_BYTES + (v === null ? 0 : Buffer.byteLength(v) * 1.2), 0);
      if (batch.length > 0 && (batchBytes + bytes > MAX_BATCH_BYTES || batch.length >= MAX_BATCH_ROWS)) await sendBatch();
      batch.push(set);
      batchBytes += bytes;
    }
  };

  try {
    for (;;) {
      const frame = await c.nextFrame();
      const msg = decodeFrontendMessage(frame.type, frame.body);
      if (msg.type === 'CopyData') {
        await addRows(parser.push(msg.data));
      } else if (msg.type === 'CopyDone') {
        await addRows(parser.finish());
        break;
      } else if (msg.type === 'CopyFail') {
        throw new StatementError(SqlState.QUERY_CANCELED, `COPY from stdin failed: ${msg.message}`);
      } else if (msg.type === 'Flush' || msg.type === 'Sync') {
        continue;
      } else {
        throw new ProtocolViolation(`unexpected message type 0x${frame.type.toString(16).padStart(2, '0')} during COPY from stdin`);
      }
    }
    // A single batch outside a transaction is atomic on its own: no transaction needed.
    if (sentBatches === 0 && ownTransaction && !c.settings.hasServerSettings && batch.length > 0) {
      await insertRows(batch);
      inserted += batch.length;
      batch = [];
    } else {
      await sendBatch();
    }
    if (ownTransaction && tx.open) await tx.commit();
  } catch (err) {
    if (ownTransaction && tx.open) await tx.rollback().catch(() => undefined);
    throw err;
  }
  c.out.send(encodeCommandComplete(`COPY ${inserted}`));
}

async function copyTo(c: CopyContext, statement: CopyStatement, parsed: ParsedStatement): Promise<void> {
  const source = statement.source;
  // COPY (query) TO runs the query as written in the COPY: its tokens are already there.
  const query =
    source.type === 'query'
      ? innerStatement(parsed, source.queryOffset, source.query)
      : parseStatement(`SELECT ${source.columns ? source.columns.map(quoteIdentifier).join(', ') : '*'} FROM ${source.table.text}`);
  const outcome = await runStatement(c.ctx, query, null);
  if (!outcome.columns || !outcome.rows) {
    throw new StatementError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY query must have a RETURNING clause or return rows');
  }
  const shape = new ResultShape(outcome.columns, textStyleOf(c.settings));
  const formatter = new CopyOutFormatter(statement.options, shape.names);
  c.out.send(encodeCopyOutResponse(0, shape.columns.map(() => 0)));
  const header = formatter.header();
  if (header) c.out.send(encodeCopyData(header));
  let count = 0;
  for (;;) {
    const rows = await outcome.rows.next(PAGE_ROWS);
    if (rows.length === 0) break;
    for (const record of rows) {
      const p = c.out.send(encodeCopyData(formatter.row(shape.textValues(record))));
      if (p) await p;
    }
    count += rows.length;
  }
  c.out.send(encodeCopyDone());
  c.out.send(encodeCommandComplete(`COPY ${count}`));
}
