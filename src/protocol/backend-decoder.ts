import { ProtocolViolation } from './errors.js';
import type { BackendMessage, NoticeFields, TransactionStatus } from './messages.js';
import { BufferReader } from './reader.js';

export type { BackendMessage } from './messages.js';

// Reads the server->client messages the proxy acts on (login, key data, transaction status,
// errors); the rest is returned raw. Malformed input is a ProtocolViolation, never a RangeError.

const MD5_SALT_LENGTH = 4;

export function decodeBackendMessage(type: number, body: Buffer): BackendMessage {
  const r = new BufferReader(body);
  let message: BackendMessage;
  switch (type) {
    case 0x52 /* R */: {
      const code = r.int32();
      const data = r.rest();
      if (code === 5 && data.length !== MD5_SALT_LENGTH) {
        throw new ProtocolViolation('invalid AuthenticationMD5Password message: the salt must be 4 bytes');
      }
      message = { type: 'Authentication', code, data };
      break;
    }
    case 0x53 /* S */:
      message = { type: 'ParameterStatus', name: r.cstring(), value: r.cstring() };
      break;
    case 0x4b /* K */:
      message = { type: 'BackendKeyData', processId: r.int32(), secretKey: r.int32() };
      break;
    case 0x5a /* Z */:
      message = { type: 'ReadyForQuery', status: readTransactionStatus(r) };
      break;
    case 0x45 /* E */:
      message = { type: 'ErrorResponse', fields: readNoticeFields(r) };
      break;
    case 0x4e /* N */:
      message = { type: 'NoticeResponse', fields: readNoticeFields(r) };
      break;
    case 0x76 /* v */:
      message = readNegotiateProtocolVersion(r);
      break;
    default:
      return { type: 'Other', code: type, body };
  }
  r.end();
  return message;
}

function readTransactionStatus(r: BufferReader): TransactionStatus {
  const status = String.fromCharCode(r.uint8());
  if (status !== 'I' && status !== 'T' && status !== 'E') {
    throw new ProtocolViolation(`invalid transaction status in ReadyForQuery: ${JSON.stringify(status)}`);
  }
  return status;
}

function readNegotiateProtocolVersion(r: BufferReader): BackendMessage {
  const version = r.int32();
  const count = r.int32();
  if (count < 0) throw new ProtocolViolation('invalid NegotiateProtocolVersion message: negative option count');
  const unrecognized: string[] = [];
  for (let i = 0; i < count; i++) unrecognized.push(r.cstring());
  return { type: 'NegotiateProtocolVersion', newestMinor: version & 0xffff, unrecognized };
}

type TextField = Exclude<keyof NoticeFields, 'severity' | 'code' | 'message' | 'position' | 'internalPosition' | 'line'>;

const TEXT_FIELDS: Readonly<Record<string, TextField>> = {
  D: 'detail',
  H: 'hint',
  q: 'internalQuery',
  W: 'where',
  s: 'schema',
  t: 'table',
  c: 'column',
  d: 'dataType',
  n: 'constraint',
  F: 'file',
  R: 'routine',
};

const NUMBER_FIELDS: Readonly<Record<string, 'position' | 'internalPosition' | 'line'>> = {
  P: 'position',
  p: 'internalPosition',
  L: 'line',
};

function readNoticeFields(r: BufferReader): NoticeFields {
  const raw = new Map<string, string>();
  for (;;) {
    const code = r.uint8();
    if (code === 0) break;
    raw.set(String.fromCharCode(code), r.cstring());
  }
  const fields: NoticeFields = {
    // 'V' is never localized; servers before 9.6 send only 'S'.
    severity: (raw.get('V') ?? raw.get('S') ?? '') as NoticeFields['severity'],
    code: raw.get('C') ?? '',
    message: raw.get('M') ?? '',
  };
  // Unknown field codes are skipped, as the protocol asks of clients.
  for (const [code, value] of raw) {
    const textKey = Object.hasOwn(TEXT_FIELDS, code) ? TEXT_FIELDS[code] : undefined;
    if (textKey !== undefined) {
      fields[textKey] = value;
      continue;
    }
    const numberKey = Object.hasOwn(NUMBER_FIELDS, code) ? NUMBER_FIELDS[code] : undefined;
    if (numberKey !== undefined && /^\d+$/.test(value)) fields[numberKey] = Number(value);
  }
  return fields;
}
