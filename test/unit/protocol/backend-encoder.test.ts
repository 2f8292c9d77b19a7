import { describe, expect, it } from 'vitest';
import { Parser } from 'pg-protocol/dist/parser.js';
import type {
  AuthenticationMD5Password,
  BackendKeyDataMessage,
  CommandCompleteMessage,
  CopyDataMessage,
  CopyResponse,
  DataRowMessage,
  DatabaseError,
  NoticeMessage,
  NotificationResponseMessage,
  ParameterDescriptionMessage,
  ParameterStatusMessage,
  ReadyForQueryMessage,
  RowDescriptionMessage,
} from 'pg-protocol/dist/messages.js';
import {
  encodeAuthenticationCleartextPassword,
  encodeAuthenticationMD5Password,
  encodeAuthenticationOk,
  encodeAuthenticationSASL,
  encodeAuthenticationSASLContinue,
  encodeAuthenticationSASLFinal,
  encodeBackendKeyData,
  encodeBindComplete,
  encodeCloseComplete,
  encodeCommandComplete,
  encodeCopyData,
  encodeCopyDone,
  encodeCopyInResponse,
  encodeCopyOutResponse,
  encodeDataRow,
  encodeEmptyQueryResponse,
  encodeErrorResponse,
  encodeFunctionCallResponse,
  encodeNegotiateProtocolVersion,
  encodeNoData,
  encodeNoticeResponse,
  encodeNotificationResponse,
  encodeParameterDescription,
  encodeParameterStatus,
  encodeParseComplete,
  encodePortalSuspended,
  encodeReadyForQuery,
  encodeRowDescription,
} from '../../../src/protocol/backend-encoder.js';
import type { NoticeFields } from '../../../src/protocol/messages.js';

// What our backend encoder writes must read back through pg-protocol's Parser, an independent
// implementation, with equal values.

type PgMessage = { name: string; length: number };

function parseAll(...buffers: Buffer[]): PgMessage[] {
  const parser = new Parser();
  const out: PgMessage[] = [];
  parser.parse(Buffer.concat(buffers), (m) => out.push(m as PgMessage));
  return out;
}

function parseOne<T>(buffer: Buffer): T & PgMessage {
  const messages = parseAll(buffer);
  expect(messages).toHaveLength(1);
  const [message] = messages;
  // The length field counts itself and the body, never the type byte.
  expect(message.length).toBe(buffer.length - 1);
  expect(buffer.readInt32BE(1)).toBe(buffer.length - 1);
  return message as T & PgMessage;
}

const UNICODE = 'héllo ✓ 日本';

const ALL_FIELDS: NoticeFields = {
  severity: 'ERROR',
  code: '23505',
  message: `duplicate key value violates unique constraint "t_pkey" ${UNICODE}`,
  detail: 'Key (id)=(1) already exists.',
  hint: 'Use another key.',
  position: 42,
  internalPosition: 7,
  internalQuery: 'SELECT 1',
  where: 'PL/pgSQL function f() line 3',
  schema: 'public',
  table: 'tâble',
  column: 'id',
  dataType: 'int4',
  constraint: 't_pkey',
  file: 'nbtinsert.c',
  line: 666,
  routine: '_bt_check_unique',
};

describe('backend encoder, read back by pg-protocol', () => {
  it('encodes the authentication requests', () => {
    expect(parseOne(encodeAuthenticationOk()).name).toBe('authenticationOk');
    expect(parseOne(encodeAuthenticationCleartextPassword()).name).toBe('authenticationCleartextPassword');

    const salt = Buffer.from([0x01, 0xff, 0x00, 0x7f]);
    const md5 = parseOne<AuthenticationMD5Password>(encodeAuthenticationMD5Password(salt));
    expect(md5.name).toBe('authenticationMD5Password');
    expect(Buffer.from(md5.salt)).toEqual(salt);

    const sasl = parseOne<{ mechanisms: string[] }>(encodeAuthenticationSASL(['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']));
    expect(sasl.name).toBe('authenticationSASL');
    expect(sasl.mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']);

    const serverFirst = 'r=abc,s=c2FsdA==,i=4096';
    const cont = parseOne<{ data: string }>(encodeAuthenticationSASLContinue(Buffer.from(serverFirst)));
    expect(cont.name).toBe('authenticationSASLContinue');
    expect(cont.data).toBe(serverFirst);

    const final = parseOne<{ data: string }>(encodeAuthenticationSASLFinal(Buffer.from('v=c2lnbmF0dXJl')));
    expect(final.name).toBe('authenticationSASLFinal');
    expect(final.data).toBe('v=c2lnbmF0dXJl');
  });

  it('rejects an MD5 salt that is not 4 bytes', () => {
    expect(() => encodeAuthenticationMD5Password(Buffer.alloc(3))).toThrow(RangeError);
  });

  it('encodes ParameterStatus with multi-byte UTF-8', () => {
    const m = parseOne<ParameterStatusMessage>(encodeParameterStatus('application_name', UNICODE));
    expect(m.name).toBe('parameterStatus');
    expect(m.parameterName).toBe('application_name');
    expect(m.parameterValue).toBe(UNICODE);
  });

  it('encodes BackendKeyData, accepting signed and unsigned 32-bit keys', () => {
    const m = parseOne<BackendKeyDataMessage>(encodeBackendKeyData(12345, -2));
    expect(m.name).toBe('backendKeyData');
    expect(m.processID).toBe(12345);
    expect(m.secretKey).toBe(-2);
    // 0xdeadbeef and its signed reading are the same four bytes.
    const unsigned = parseOne<BackendKeyDataMessage>(encodeBackendKeyData(7, 0xdeadbeef));
    expect(unsigned.secretKey).toBe(0xdeadbeef | 0);
    expect(() => encodeBackendKeyData(2 ** 32, 1)).toThrow(RangeError);
  });

  it('encodes ReadyForQuery for every transaction status', () => {
    for (const status of ['I', 'T', 'E'] as const) {
      const m = parseOne<ReadyForQueryMessage>(encodeReadyForQuery(status));
      expect(m.name).toBe('readyForQuery');
      expect(m.status).toBe(status);
    }
  });

  it('encodes RowDescription', () => {
    const m = parseOne<RowDescriptionMessage>(
      encodeRowDescription([
        { name: 'id', tableOid: 16384, columnAttr: 1, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 },
        { name: UNICODE, tableOid: 4_000_000_000, columnAttr: -2, typeOid: 17, typeSize: -1, typeModifier: 68, format: 1 },
      ]),
    );
    expect(m.name).toBe('rowDescription');
    expect(m.fieldCount).toBe(2);
    expect(m.fields.map((f) => ({ ...f }))).toEqual([
      { name: 'id', tableID: 16384, columnID: 1, dataTypeID: 23, dataTypeSize: 4, dataTypeModifier: -1, format: 'text' },
      {
        name: UNICODE,
        tableID: 4_000_000_000,
        columnID: -2,
        dataTypeID: 17,
        dataTypeSize: -1,
        dataTypeModifier: 68,
        format: 'binary',
      },
    ]);
  });

  it('encodes an empty RowDescription', () => {
    const m = parseOne<RowDescriptionMessage>(encodeRowDescription([]));
    expect(m.fieldCount).toBe(0);
    expect(m.fields).toEqual([]);
  });

  it('encodes DataRow with NULL, empty, multi-byte and Buffer values', () => {
    const buffer = encodeDataRow(['1', null, '', UNICODE, Buffer.from('bytes ✓', 'utf8')]);
    const m = parseOne<DataRowMessage>(buffer);
    expect(m.name).toBe('dataRow');
    expect(m.fieldCount).toBe(5);
    expect(m.fields).toEqual(['1', null, '', UNICODE, 'bytes ✓']);
    // Lengths are UTF-8 byte counts: 'héllo ✓ 日本' is 10 characters but 17 bytes.
    const expectedLength = 4 + 2 + (4 + 1) + 4 + 4 + (4 + 17) + (4 + 9);
    expect(buffer.length - 1).toBe(expectedLength);
  });

  it('encodes a DataRow with no columns and one with only NULLs', () => {
    expect(parseOne<DataRowMessage>(encodeDataRow([])).fields).toEqual([]);
    expect(parseOne<DataRowMessage>(encodeDataRow([null, null])).fields).toEqual([null, null]);
  });

  it('encodes CommandComplete', () => {
    const m = parseOne<CommandCompleteMessage>(encodeCommandComplete('INSERT 0 3'));
    expect(m.name).toBe('commandComplete');
    expect(m.text).toBe('INSERT 0 3');
  });

  it('encodes ErrorResponse with every field', () => {
    const buffer = encodeErrorResponse(ALL_FIELDS);
    const m = parseOne<DatabaseError>(buffer);
    expect(m.name).toBe('error');
    expect({
      message: m.message,
      severity: m.severity,
      code: m.code,
      detail: m.detail,
      hint: m.hint,
      position: m.position,
      internalPosition: m.internalPosition,
      internalQuery: m.internalQuery,
      where: m.where,
      schema: m.schema,
      table: m.table,
      column: m.column,
      dataType: m.dataType,
      constraint: m.constraint,
      file: m.file,
      line: m.line,
      routine: m.routine,
    }).toEqual({ ...ALL_FIELDS, position: '42', internalPosition: '7', line: '666' });
    // Like PostgreSQL: S, then the non-localized V, then C and M.
    expect(buffer.subarray(5, 7).toString()).toBe('SE');
    expect(buffer.includes(Buffer.from('\0VERROR\0C23505\0M'))).toBe(true);
  });

  it('encodes ErrorResponse with only the required fields', () => {
    const m = parseOne<DatabaseError>(encodeErrorResponse({ severity: 'FATAL', code: '28P01', message: 'nope' }));
    expect([m.severity, m.code, m.message, m.detail, m.position]).toEqual(['FATAL', '28P01', 'nope', undefined, undefined]);
  });

  it('keeps framing intact when error text contains a NUL character', () => {
    const buffer = encodeErrorResponse({ severity: 'ERROR', code: '22000', message: 'bad\0value' });
    const messages = parseAll(buffer, encodeReadyForQuery('I'));
    expect(messages.map((m) => m.name)).toEqual(['error', 'readyForQuery']);
    expect((messages[0] as unknown as DatabaseError).message).toBe('bad\uFFFDvalue');
  });

  it('encodes NoticeResponse', () => {
    const m = parseOne<NoticeMessage>(
      encodeNoticeResponse({ severity: 'WARNING', code: '01000', message: UNICODE, hint: 'h', position: 3 }),
    );
    expect(m.name).toBe('notice');
    expect([m.severity, m.code, m.message, m.hint, m.position]).toEqual(['WARNING', '01000', UNICODE, 'h', '3']);
  });

  it('encodes the bodiless messages', () => {
    const cases: [Buffer, string][] = [
      [encodeEmptyQueryResponse(), 'emptyQuery'],
      [encodeParseComplete(), 'parseComplete'],
      [encodeBindComplete(), 'bindComplete'],
      [encodeCloseComplete(), 'closeComplete'],
      [encodeNoData(), 'noData'],
      [encodePortalSuspended(), 'portalSuspended'],
      [encodeCopyDone(), 'copyDone'],
    ];
    for (const [buffer, name] of cases) {
      expect(buffer.length).toBe(5);
      expect(parseOne(buffer).name).toBe(name);
    }
  });

  it('encodes ParameterDescription with unsigned OIDs', () => {
    const m = parseOne<ParameterDescriptionMessage>(encodeParameterDescription([23, 25, 0, 4_294_967_295]));
    expect(m.name).toBe('parameterDescription');
    expect(m.parameterCount).toBe(4);
    expect(m.dataTypeIDs).toEqual([23, 25, 0, 4_294_967_295]);
  });

  it('encodes CopyInResponse and CopyOutResponse', () => {
    const copyIn = parseOne<CopyResponse>(encodeCopyInResponse(0, [0, 0, 0]));
    expect(copyIn.name).toBe('copyInResponse');
    expect(copyIn.binary).toBe(false);
    expect(copyIn.columnTypes).toEqual([0, 0, 0]);

    const copyOut = parseOne<CopyResponse>(encodeCopyOutResponse(1, [1, 1]));
    expect(copyOut.name).toBe('copyOutResponse');
    expect(copyOut.binary).toBe(true);
    expect(copyOut.columnTypes).toEqual([1, 1]);
  });

  it('encodes CopyData', () => {
    const data = Buffer.from(`1\t${UNICODE}\n`);
    const m = parseOne<CopyDataMessage>(encodeCopyData(data));
    expect(m.name).toBe('copyData');
    expect(Buffer.from(m.chunk)).toEqual(data);
  });

  it('encodes NotificationResponse', () => {
    const m = parseOne<NotificationResponseMessage>(encodeNotificationResponse(4242, 'chän', UNICODE));
    expect(m.name).toBe('notification');
    expect([m.processId, m.channel, m.payload]).toEqual([4242, 'chän', UNICODE]);
  });

  it('encodes a stream of messages that parses in order', () => {
    const messages = parseAll(
      encodeAuthenticationOk(),
      encodeParameterStatus('server_version', '15.0'),
      encodeBackendKeyData(1, 2),
      encodeReadyForQuery('I'),
      encodeRowDescription([{ name: 'x', tableOid: 0, columnAttr: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0 }]),
      encodeDataRow(['a']),
      encodeDataRow([null]),
      encodeCommandComplete('SELECT 2'),
      encodeReadyForQuery('T'),
    );
    expect(messages.map((m) => m.name)).toEqual([
      'authenticationOk',
      'parameterStatus',
      'backendKeyData',
      'readyForQuery',
      'rowDescription',
      'dataRow',
      'dataRow',
      'commandComplete',
      'readyForQuery',
    ]);
  });
});

// pg-protocol does not know these two, so their bytes are checked by hand against the protocol docs.
describe('backend encoder, messages pg-protocol does not parse', () => {
  it('encodes NegotiateProtocolVersion with the full version number, as PostgreSQL does', () => {
    const buffer = encodeNegotiateProtocolVersion(0, ['_pq_.foo', '_pq_.bär']);
    const body = Buffer.concat([
      Buffer.from([0, 3, 0, 0]), // 3 << 16 | 0
      Buffer.from([0, 0, 0, 2]),
      Buffer.from('_pq_.foo\0_pq_.bär\0', 'utf8'),
    ]);
    const length = Buffer.alloc(4);
    length.writeInt32BE(4 + body.length);
    expect(buffer).toEqual(Buffer.concat([Buffer.from('v'), length, body]));
    expect(encodeNegotiateProtocolVersion(2, []).subarray(5, 9)).toEqual(Buffer.from([0, 3, 0, 2]));
  });

  it('encodes FunctionCallResponse with a value and with NULL', () => {
    expect(encodeFunctionCallResponse(Buffer.from([1, 2, 3]))).toEqual(
      Buffer.from([0x56, 0, 0, 0, 11, 0, 0, 0, 3, 1, 2, 3]),
    );
    expect(encodeFunctionCallResponse(null)).toEqual(Buffer.from([0x56, 0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff]));
  });
});
