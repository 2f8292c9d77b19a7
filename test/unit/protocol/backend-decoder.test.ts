import { describe, expect, it } from 'vitest';
import { decodeBackendMessage, type BackendMessage } from '../../../src/protocol/backend-decoder.js';
import {
  encodeAuthenticationCleartextPassword,
  encodeAuthenticationMD5Password,
  encodeAuthenticationOk,
  encodeAuthenticationSASL,
  encodeAuthenticationSASLContinue,
  encodeAuthenticationSASLFinal,
  encodeBackendKeyData,
  encodeCommandComplete,
  encodeDataRow,
  encodeErrorResponse,
  encodeNegotiateProtocolVersion,
  encodeNoticeResponse,
  encodeParameterStatus,
  encodeReadyForQuery,
} from '../../../src/protocol/backend-encoder.js';
import { ProtocolViolation } from '../../../src/protocol/errors.js';
import { FrameReader } from '../../../src/protocol/framer.js';
import type { NoticeFields } from '../../../src/protocol/messages.js';

function decodeAll(...buffers: Buffer[]): BackendMessage[] {
  const reader = new FrameReader({ maxMessageLength: 1 << 20 });
  for (const b of buffers) reader.push(b);
  const out: BackendMessage[] = [];
  for (let f = reader.nextMessage(); f; f = reader.nextMessage()) out.push(decodeBackendMessage(f.type, f.body));
  expect(reader.bufferedBytes).toBe(0);
  return out;
}

function decodeOne(buffer: Buffer): BackendMessage {
  const [message, ...rest] = decodeAll(buffer);
  expect(rest).toEqual([]);
  return message;
}

/** Builds a backend message by hand, as a server other than ours would send it. */
function raw(type: string, ...parts: (Buffer | string)[]): Buffer {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
  const header = Buffer.alloc(5);
  header[0] = type.charCodeAt(0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
}

describe('backend decoder', () => {
  it('decodes every authentication request', () => {
    expect(decodeOne(encodeAuthenticationOk())).toEqual({ type: 'Authentication', code: 0, data: Buffer.alloc(0) });
    expect(decodeOne(encodeAuthenticationCleartextPassword())).toEqual({ type: 'Authentication', code: 3, data: Buffer.alloc(0) });
    const salt = Buffer.from([9, 8, 7, 6]);
    expect(decodeOne(encodeAuthenticationMD5Password(salt))).toEqual({ type: 'Authentication', code: 5, data: salt });
    expect(decodeOne(encodeAuthenticationSASL(['SCRAM-SHA-256']))).toEqual({
      type: 'Authentication',
      code: 10,
      data: Buffer.from('SCRAM-SHA-256\0\0'),
    });
    expect(decodeOne(encodeAuthenticationSASLContinue(Buffer.from('r=1')))).toEqual({
      type: 'Authentication',
      code: 11,
      data: Buffer.from('r=1'),
    });
    expect(decodeOne(encodeAuthenticationSASLFinal(Buffer.from('v=2')))).toEqual({
      type: 'Authentication',
      code: 12,
      data: Buffer.from('v=2'),
    });
  });

  it('decodes a login sequence as a server sends it', () => {
    expect(
      decodeAll(
        encodeAuthenticationOk(),
        encodeParameterStatus('server_version', '16.9 ✓'),
        encodeBackendKeyData(31337, -5),
        encodeNoticeResponse({ severity: 'NOTICE', code: '00000', message: 'welcome' }),
        encodeReadyForQuery('I'),
        encodeReadyForQuery('T'),
        encodeReadyForQuery('E'),
      ),
    ).toEqual([
      { type: 'Authentication', code: 0, data: Buffer.alloc(0) },
      { type: 'ParameterStatus', name: 'server_version', value: '16.9 ✓' },
      { type: 'BackendKeyData', processId: 31337, secretKey: -5 },
      { type: 'NoticeResponse', fields: { severity: 'NOTICE', code: '00000', message: 'welcome' } },
      { type: 'ReadyForQuery', status: 'I' },
      { type: 'ReadyForQuery', status: 'T' },
      { type: 'ReadyForQuery', status: 'E' },
    ]);
  });

  it('decodes ErrorResponse with every field, positions and lines as numbers', () => {
    const fields: NoticeFields = {
      severity: 'FATAL',
      code: '28P01',
      message: 'password authentication failed for user "ädmin"',
      detail: 'd',
      hint: 'h',
      position: 12,
      internalPosition: 3,
      internalQuery: 'q',
      where: 'w',
      schema: 's',
      table: 't',
      column: 'c',
      dataType: 'dt',
      constraint: 'n',
      file: 'auth.c',
      line: 323,
      routine: 'auth_failed',
    };
    expect(decodeOne(encodeErrorResponse(fields))).toEqual({ type: 'ErrorResponse', fields });
  });

  it('prefers the non-localized severity and skips unknown field codes', () => {
    const message = raw('E', 'SFEHLER\0', 'VERROR\0', 'C42P01\0', 'MRelation fehlt\0', 'Zfuture\0', 'Pnot-a-number\0', '\0');
    expect(decodeOne(message)).toEqual({
      type: 'ErrorResponse',
      fields: { severity: 'ERROR', code: '42P01', message: 'Relation fehlt' },
    });
    // Before 9.6 there is no 'V'.
    expect(decodeOne(raw('N', 'SWARNING\0', 'C01000\0', 'Mold\0', '\0'))).toEqual({
      type: 'NoticeResponse',
      fields: { severity: 'WARNING', code: '01000', message: 'old' },
    });
  });

  it('decodes NegotiateProtocolVersion', () => {
    expect(decodeOne(encodeNegotiateProtocolVersion(0, ['_pq_.a', '_pq_.b']))).toEqual({
      type: 'NegotiateProtocolVersion',
      newestMinor: 0,
      unrecognized: ['_pq_.a', '_pq_.b'],
    });
    expect(decodeOne(raw('v', int32((3 << 16) | 2), int32(0)))).toEqual({
      type: 'NegotiateProtocolVersion',
      newestMinor: 2,
      unrecognized: [],
    });
  });

  it('returns everything else raw', () => {
    const row = encodeDataRow(['a', null]);
    expect(decodeAll(encodeCommandComplete('SELECT 1'), row)).toEqual([
      { type: 'Other', code: 'C'.charCodeAt(0), body: Buffer.from('SELECT 1\0') },
      { type: 'Other', code: 'D'.charCodeAt(0), body: row.subarray(5) },
    ]);
  });

  it('refuses malformed messages with ProtocolViolation', () => {
    const cases: Buffer[] = [
      raw('R', Buffer.from([0, 0])), // truncated code
      raw('R', int32(5), Buffer.from([1, 2])), // short salt
      raw('S', 'name\0value'), // value without NUL
      raw('K', int32(1)), // no secret key
      raw('K', int32(1), int32(2), Buffer.from([0])), // trailing byte
      raw('Z', ''), // no status
      raw('Z', 'X'), // unknown status
      raw('Z', 'II'),
      raw('E', 'SERROR\0'), // no terminator
      raw('E', 'SERROR'), // unterminated value
      raw('v', int32(196608), int32(2), '_pq_.a\0'), // fewer names than counted
      raw('v', int32(196608), int32(-1)),
    ];
    for (const message of cases) {
      const reader = new FrameReader({ maxMessageLength: 1 << 20 });
      reader.push(message);
      const f = reader.nextMessage()!;
      let caught: unknown;
      try {
        decodeBackendMessage(f.type, f.body);
      } catch (error) {
        caught = error;
      }
      expect(caught, `message ${message.toString('hex')}`).toBeInstanceOf(ProtocolViolation);
    }
  });
});
