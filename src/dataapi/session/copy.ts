// COPY ... FROM STDIN and COPY ... TO STDOUT over the Data API, which has no COPY of its own.
// FROM: the client's rows are parsed here and inserted set-based (copy-set-loader.ts): chunks of
// rows as one JSON parameter each, within the 4 MiB request limit, all in one transaction so the
// COPY succeeds or fails whole.
// TO: the query runs like any SELECT (paged through a cursor when large) and each row is
// formatted as COPY would print it.
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
import { innerStatement, parseStatement, quoteIdentifier, type ClassifiedStatement, type ParsedStatement } from '../sql/index.js';
import { CopyInParser, CopyOutFormatter, type CopyRow } from '../copy/index.js';
import type { ClientWriter } from './client-writer.js';
import { ResultShape, textStyleOf } from './results.js';
import type { SessionSettings } from './settings.js';
import { runStatement, StatementError, type RunnerContext } from './statement-runner.js';
import { loadCopyTarget } from './copy-target.js';
import { BinaryCopyParser } from '../copy/binary-copy-parser.js';
import { binaryValueToText } from '../types/param-input.js';
import { SetBasedCopyLoader } from './copy-set-loader.js';
import { BatchExecuteCopyLoader, batchLoaderRequested } from './copy-batch-loader.js';
import type { CopyRowSink } from './copy-row-sink.js';
import { copyInputSettings } from './copy-input-settings.js';

type CopyStatement = Extract<ClassifiedStatement, { kind: 'copy' }>;

export interface CopyContext {
  ctx: RunnerContext;
  out: ClientWriter;
  nextFrame(): Promise<{ type: number; body: Buffer }>;
  settings: SessionSettings;
}

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
  if (statement.options.format === 'binary' && statement.direction !== 'from') {
    throw new StatementError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY TO STDOUT in binary is not supported by aurora-pg-proxy in Data API mode; use text or CSV');
  }
  if (statement.direction === 'from') await copyFrom(c, statement);
  else await copyTo(c, statement, parsed);
}

async function copyFrom(c: CopyContext, statement: CopyStatement): Promise<void> {
  const target = await loadCopyTarget(c.ctx, statement);
  const names = target.columns.map((col) => col.name);
  const binary = statement.options.format === 'binary';
  // Binary data (asyncpg's copy_records_to_table) is decoded to each column's text form.
  const parser = binary
    ? new BinaryCopyParser(target.columns.map((col) => (value: Buffer) => binaryValueToText(value, col.wireOid ?? 0)), names, target.relationName)
    : new CopyInParser(statement.options, names, target.relationName);
  // The former path (bench only) has no WHERE: a COPY with one always loads set-based.
  const sink: CopyRowSink = batchLoaderRequested() && statement.where === null
    ? new BatchExecuteCopyLoader(c.ctx, target)
    : new SetBasedCopyLoader(c.ctx, target, c.settings.hasServerSettings, copyInputSettings(c.settings), statement.where);

  c.out.send(encodeCopyInResponse(binary ? 1 : 0, names.map(() => (binary ? 1 : 0))));
  await c.out.flush();

  const addRows = async (rows: CopyRow[]) => {
    const lines = parser.lastRowLineNumbers;
    const raw = parser instanceof CopyInParser ? parser.lastRowLineBytes : [];
    for (let i = 0; i < rows.length; i++) {
      const sent = sink.add(rows[i], lines[i], raw[i] ?? null);
      if (sent) await sent;
    }
  };
  let inserted: number;
  try {
    for (;;) {
      const frame = await c.nextFrame();
      const msg = decodeFrontendMessage(frame.type, frame.body);
      if (msg.type === 'CopyData') {
        await addRows(parser.push(msg.data));
        // Client messages already read come without a pause, which would keep the answer of
        // the call in flight waiting behind the whole COPY's parsing: let it in between.
        if (sink.callInFlight) await new Promise<void>((resolve) => setImmediate(resolve));
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
    inserted = await sink.finish();
  } catch (err) {
    await sink.abort();
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
