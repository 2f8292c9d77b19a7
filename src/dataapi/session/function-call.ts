// The fast-path function call (FunctionCall message): libpq's large-object functions use it, so
// pg_dump and pg_restore do for a database with large objects. The function is named by OID;
// the proxy reads its name and argument types from pg_proc and runs it as a SELECT with the
// arguments as typed parameters. A large-object descriptor lives only in its transaction, which
// the client holds open around such calls, as it must with PostgreSQL too.
import { ProtocolViolation } from '../../protocol/errors.js';
import type { FormatCode } from '../../protocol/messages.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import { parseStatement } from '../sql/index.js';
import { encodeField, type TextStyle } from '../types/index.js';
import { ResultShape } from './results.js';
import { runStatement, type RunnerContext } from './statement-runner.js';

export interface FunctionCallMessage {
  functionOid: number;
  args: (Buffer | null)[];
  argFormats: FormatCode[];
  resultFormat: FormatCode;
}

/** Reads a FunctionCall body; a malformed one is a protocol violation, as on PostgreSQL. */
export function parseFunctionCall(body: Buffer): FunctionCallMessage {
  let at = 0;
  const need = (n: number) => {
    if (at + n > body.length) throw new ProtocolViolation('invalid function call message: message too short');
  };
  const int16 = () => {
    need(2);
    at += 2;
    return body.readInt16BE(at - 2);
  };
  const int32 = () => {
    need(4);
    at += 4;
    return body.readInt32BE(at - 4);
  };
  const functionOid = int32() >>> 0;
  const formats: number[] = [];
  for (let n = int16(); n > 0; n--) formats.push(int16());
  const args: (Buffer | null)[] = [];
  for (let n = int16(); n > 0; n--) {
    const len = int32();
    if (len === -1) {
      args.push(null);
      continue;
    }
    if (len < 0) throw new ProtocolViolation(`invalid argument size ${len} in function call message`);
    need(len);
    args.push(body.subarray(at, at + len));
    at += len;
  }
  const resultFormat = int16();
  if (at !== body.length) throw new ProtocolViolation('invalid function call message: extra data');
  if (formats.length > 1 && formats.length !== args.length) {
    throw new ProtocolViolation(`function call message has ${formats.length} argument formats but ${args.length} arguments`);
  }
  for (const f of [...formats, resultFormat]) {
    if (f !== 0 && f !== 1) throw new ClientFacingError(SqlState.INVALID_PARAMETER_VALUE, `unsupported format code: ${f}`, {}, 'ERROR');
  }
  const argFormats = args.map((_, i) => (formats.length === 0 ? 0 : (formats[formats.length === 1 ? 0 : i] as FormatCode)));
  return { functionOid, args, argFormats, resultFormat: resultFormat as FormatCode };
}

/** Runs the call; returns the value for FunctionCallResponse (null for SQL NULL). */
export async function runFunctionCall(ctx: RunnerContext, call: FunctionCallMessage, style: TextStyle): Promise<Buffer | null> {
  const lookup =
    'SELECT pg_catalog.quote_ident(n.nspname) || \'.\' || pg_catalog.quote_ident(p.proname), ' +
    'ARRAY(SELECT a.t::pg_catalog.int8 FROM unnest(p.proargtypes) WITH ORDINALITY AS a(t, i) ORDER BY a.i) ' +
    `FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = ${call.functionOid}`;
  const found = await runStatement(ctx, parseStatement(lookup), null);
  const row = (await found.rows?.next(2))?.[0];
  const name = row?.[0]?.stringValue;
  if (name === undefined) {
    throw new ClientFacingError(SqlState.UNDEFINED_FUNCTION, `function with OID ${call.functionOid} does not exist`, {}, 'ERROR');
  }
  const argTypes = (row?.[1]?.arrayValue?.longValues ?? []).map(Number);
  if (argTypes.length !== call.args.length) {
    throw new ClientFacingError(
      SqlState.PROTOCOL_VIOLATION,
      `function call message contains ${call.args.length} arguments but function requires ${argTypes.length}`,
      {},
      'ERROR',
    );
  }
  const sql = `SELECT ${name}(${argTypes.map((_, i) => `$${i + 1}`).join(', ')})`;
  const bound = { values: call.args, formats: call.argFormats, types: argTypes };
  const outcome = await runStatement(ctx, parseStatement(sql), bound);
  if (!outcome.columns || !outcome.rows) return null;
  const record = (await outcome.rows.next(2))[0];
  const column = new ResultShape(outcome.columns, style).columns[0];
  if (!record || !column) return null;
  return encodeField(record[0] ?? { isNull: true }, column, call.resultFormat, style);
}
