import type { FieldDescription, FormatCode, NoticeFields, TransactionStatus } from './messages.js';
import { buildMessage, type BufferWriter } from './writer.js';

// Builds complete server->client messages (type byte + length + body).

const PROTOCOL_MAJOR = 3;
const AUTH_OK = 0;
const AUTH_CLEARTEXT_PASSWORD = 3;
const AUTH_MD5_PASSWORD = 5;
const AUTH_SASL = 10;
const AUTH_SASL_CONTINUE = 11;
const AUTH_SASL_FINAL = 12;

function authentication(code: number, write?: (w: BufferWriter) => void): Buffer {
  return buildMessage('R', (w) => {
    w.int32(code);
    write?.(w);
  });
}

export function encodeAuthenticationOk(): Buffer {
  return authentication(AUTH_OK);
}

export function encodeAuthenticationCleartextPassword(): Buffer {
  return authentication(AUTH_CLEARTEXT_PASSWORD);
}

export function encodeAuthenticationMD5Password(salt: Buffer): Buffer {
  if (salt.length !== 4) throw new RangeError(`an MD5 salt is 4 bytes, got ${salt.length}`);
  return authentication(AUTH_MD5_PASSWORD, (w) => w.bytes(salt));
}

export function encodeAuthenticationSASL(mechanisms: string[]): Buffer {
  return authentication(AUTH_SASL, (w) => {
    for (const mechanism of mechanisms) w.cstring(mechanism);
    w.uint8(0);
  });
}

export function encodeAuthenticationSASLContinue(data: Buffer): Buffer {
  return authentication(AUTH_SASL_CONTINUE, (w) => w.bytes(data));
}

export function encodeAuthenticationSASLFinal(data: Buffer): Buffer {
  return authentication(AUTH_SASL_FINAL, (w) => w.bytes(data));
}

export function encodeParameterStatus(name: string, value: string): Buffer {
  return buildMessage('S', (w) => w.cstring(name).cstring(value));
}

export function encodeBackendKeyData(processId: number, secretKey: number): Buffer {
  return buildMessage('K', (w) => w.int32OrUint32(processId).int32OrUint32(secretKey));
}

export function encodeReadyForQuery(status: TransactionStatus): Buffer {
  return buildMessage('Z', (w) => w.uint8(status.charCodeAt(0)));
}

export function encodeRowDescription(fields: FieldDescription[]): Buffer {
  return buildMessage('T', (w) => {
    w.uint16(fields.length);
    for (const f of fields) {
      w.cstring(f.name)
        .int32OrUint32(f.tableOid)
        .int16(f.columnAttr)
        .int32OrUint32(f.typeOid)
        .int16(f.typeSize)
        .int32(f.typeModifier)
        .int16(f.format);
    }
  });
}

/** Strings are sent as their UTF-8 bytes; null is SQL NULL (length -1). */
export function encodeDataRow(values: (Buffer | string | null)[]): Buffer {
  // Rows are the hot path of every result: size the buffer exactly and write strings in place.
  const lengths: number[] = new Array(values.length);
  let size = 1 + 4 + 2;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const length = value === null ? -1 : typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
    lengths[i] = length;
    size += 4 + Math.max(length, 0);
  }
  return buildMessage(
    'D',
    (w) => {
      w.uint16(values.length);
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        w.int32(lengths[i]);
        if (typeof value === 'string') w.string(value);
        else if (value !== null) w.bytes(value);
      }
    },
    size,
  );
}

export function encodeCommandComplete(tag: string): Buffer {
  return buildMessage('C', (w) => w.cstring(tag));
}

export function encodeErrorResponse(fields: NoticeFields): Buffer {
  return buildMessage('E', (w) => writeNoticeFields(w, fields));
}

export function encodeNoticeResponse(fields: NoticeFields): Buffer {
  return buildMessage('N', (w) => writeNoticeFields(w, fields));
}

/** Optional fields in the order PostgreSQL's send_message_to_frontend writes them. */
const OPTIONAL_NOTICE_FIELDS: readonly [string, keyof NoticeFields][] = [
  ['D', 'detail'],
  ['H', 'hint'],
  ['P', 'position'],
  ['p', 'internalPosition'],
  ['q', 'internalQuery'],
  ['W', 'where'],
  ['s', 'schema'],
  ['t', 'table'],
  ['c', 'column'],
  ['d', 'dataType'],
  ['n', 'constraint'],
  ['F', 'file'],
  ['L', 'line'],
  ['R', 'routine'],
];

function writeNoticeFields(w: BufferWriter, fields: NoticeFields): void {
  const field = (code: string, value: string | number): void => {
    // Error text often quotes foreign data; a NUL would end the field early and desynchronise
    // the client, and failing to report an error is worse than altering one character.
    w.uint8(code.charCodeAt(0)).cstring(String(value).replaceAll('\0', '\uFFFD'));
  };
  // 'S' may be localized; 'V' (since 9.6) never is. We do not localize, so both are the same.
  field('S', fields.severity);
  field('V', fields.severity);
  field('C', fields.code);
  field('M', fields.message);
  for (const [code, key] of OPTIONAL_NOTICE_FIELDS) {
    const value = fields[key];
    if (value !== undefined) field(code, value);
  }
  w.uint8(0);
}

export function encodeEmptyQueryResponse(): Buffer {
  return buildMessage('I');
}

export function encodeParseComplete(): Buffer {
  return buildMessage('1');
}

export function encodeBindComplete(): Buffer {
  return buildMessage('2');
}

export function encodeCloseComplete(): Buffer {
  return buildMessage('3');
}

export function encodeNoData(): Buffer {
  return buildMessage('n');
}

export function encodeParameterDescription(oids: number[]): Buffer {
  return buildMessage('t', (w) => {
    w.uint16(oids.length);
    for (const oid of oids) w.int32OrUint32(oid);
  });
}

export function encodePortalSuspended(): Buffer {
  return buildMessage('s');
}

function copyResponse(type: string, overallFormat: FormatCode, columnFormats: FormatCode[]): Buffer {
  return buildMessage(type, (w) => {
    w.int8(overallFormat).uint16(columnFormats.length);
    for (const format of columnFormats) w.int16(format);
  });
}

export function encodeCopyInResponse(overallFormat: FormatCode, columnFormats: FormatCode[]): Buffer {
  return copyResponse('G', overallFormat, columnFormats);
}

export function encodeCopyOutResponse(overallFormat: FormatCode, columnFormats: FormatCode[]): Buffer {
  return copyResponse('H', overallFormat, columnFormats);
}

export function encodeCopyData(data: Buffer): Buffer {
  return buildMessage('d', (w) => w.bytes(data), 5 + data.length);
}

export function encodeCopyDone(): Buffer {
  return buildMessage('c');
}

/**
 * Tells a client asking for 3.x (x > newestMinor) or `_pq_.` options what this server supports.
 * The protocol documentation calls the first field the "newest minor version", but PostgreSQL
 * sends, and libpq checks, the full version number (3 << 16 | minor); so do we.
 */
export function encodeNegotiateProtocolVersion(newestMinor: number, unrecognizedOptions: string[]): Buffer {
  if (!Number.isInteger(newestMinor) || newestMinor < 0 || newestMinor > 0xffff) {
    throw new RangeError(`${newestMinor} is not a protocol minor version`);
  }
  return buildMessage('v', (w) => {
    w.int32((PROTOCOL_MAJOR << 16) | newestMinor).int32(unrecognizedOptions.length);
    for (const option of unrecognizedOptions) w.cstring(option);
  });
}

export function encodeNotificationResponse(processId: number, channel: string, payload: string): Buffer {
  return buildMessage('A', (w) => w.int32OrUint32(processId).cstring(channel).cstring(payload));
}

export function encodeFunctionCallResponse(value: Buffer | null): Buffer {
  return buildMessage('V', (w) => {
    if (value === null) w.int32(-1);
    else w.int32(value.length).bytes(value);
  });
}
