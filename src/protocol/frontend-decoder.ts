import { InvalidStartupLength, ProtocolViolation } from './errors.js';
import {
  CANCEL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  MAX_STARTUP_PACKET_LENGTH,
  SSL_REQUEST_CODE,
  type FormatCode,
  type FrontendMessage,
  type SaslInitialResponse,
  type StartupPacket,
} from './messages.js';
import { BufferReader, decodeUtf8 } from './reader.js';
import { SqlState } from './sqlstate.js';

// Decodes what clients send. Rules and wording follow PostgreSQL's ProcessStartupPacket
// (backend_startup.c) and the exec_*_message functions of postgres.c.

const SUPPORTED_MAJOR = 3;
const SUPPORTED_NEWEST_MINOR = 0;
const CANCEL_REQUEST_BODY_LENGTH = 12;
const NEGOTIATION_BODY_LENGTH = 4;
const PROTOCOL_OPTION_PREFIX = '_pq_.';

/** Decodes a startup-phase packet body (everything after its int32 length). */
export function decodeStartupPacket(body: Buffer): StartupPacket {
  if (body.length < 4 || body.length + 4 > MAX_STARTUP_PACKET_LENGTH) {
    throw new InvalidStartupLength();
  }
  const code = body.readUInt32BE(0);
  switch (code) {
    case SSL_REQUEST_CODE:
      requireBodyLength(body, NEGOTIATION_BODY_LENGTH);
      return { kind: 'SSLRequest' };
    case GSSENC_REQUEST_CODE:
      requireBodyLength(body, NEGOTIATION_BODY_LENGTH);
      return { kind: 'GSSENCRequest' };
    case CANCEL_REQUEST_CODE: {
      requireBodyLength(body, CANCEL_REQUEST_BODY_LENGTH);
      return { kind: 'CancelRequest', processId: body.readInt32BE(4), secretKey: body.readInt32BE(8) };
    }
    default:
      return decodeStartupMessage(code, body);
  }
}

function requireBodyLength(body: Buffer, expected: number): void {
  if (body.length !== expected) throw new InvalidStartupLength();
}

function decodeStartupMessage(protocolVersion: number, body: Buffer): StartupPacket {
  const major = protocolVersion >>> 16;
  const minor = protocolVersion & 0xffff;
  if (major !== SUPPORTED_MAJOR) {
    throw new ProtocolViolation(
      `unsupported frontend protocol ${major}.${minor}: ` +
        `server supports ${SUPPORTED_MAJOR}.0 to ${SUPPORTED_MAJOR}.${SUPPORTED_NEWEST_MINOR}`,
      SqlState.FEATURE_NOT_SUPPORTED,
    );
  }

  const parameters: Record<string, string> = {};
  const protocolOptions: string[] = [];
  let offset = 4;
  for (;;) {
    const nameEnd = body.indexOf(0, offset);
    if (nameEnd < 0) throw badLayout();
    if (nameEnd === offset) {
      // The empty name terminates the list and must be the packet's last byte.
      if (nameEnd !== body.length - 1) throw badLayout();
      break;
    }
    const valueEnd = body.indexOf(0, nameEnd + 1);
    if (valueEnd < 0) throw badLayout();
    const name = decodeUtf8(body.subarray(offset, nameEnd));
    const value = decodeUtf8(body.subarray(nameEnd + 1, valueEnd));
    if (name.startsWith(PROTOCOL_OPTION_PREFIX)) {
      if (!protocolOptions.includes(name)) protocolOptions.push(name);
    } else {
      // defineProperty, not assignment: a parameter named "__proto__" must stay plain data.
      Object.defineProperty(parameters, name, { value, enumerable: true, writable: true, configurable: true });
    }
    offset = valueEnd + 1;
  }

  if (!Object.hasOwn(parameters, 'user') || parameters.user === '') {
    throw new ProtocolViolation(
      'no PostgreSQL user name specified in startup packet',
      SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
    );
  }
  return { kind: 'StartupMessage', protocolVersion, parameters, protocolOptions };
}

function badLayout(): ProtocolViolation {
  return new ProtocolViolation('invalid startup packet layout: expected terminator as last byte');
}

/** Decodes a regular frontend message given its type byte and body. */
export function decodeFrontendMessage(type: number, body: Buffer): FrontendMessage {
  const r = new BufferReader(body);
  let message: FrontendMessage;
  switch (type) {
    case 0x51 /* Q */:
      message = { type: 'Query', sql: r.cstring() };
      break;
    case 0x50 /* P */:
      message = decodeParse(r);
      break;
    case 0x42 /* B */:
      message = decodeBind(r);
      break;
    case 0x44 /* D */:
      message = { type: 'Describe', target: readTarget(r, 'DESCRIBE'), name: r.cstring() };
      break;
    case 0x45 /* E */:
      message = { type: 'Execute', portal: r.cstring(), maxRows: r.int32() };
      break;
    case 0x53 /* S */:
      message = { type: 'Sync' };
      break;
    case 0x48 /* H */:
      message = { type: 'Flush' };
      break;
    case 0x43 /* C */:
      message = { type: 'Close', target: readTarget(r, 'CLOSE'), name: r.cstring() };
      break;
    case 0x58 /* X */:
      message = { type: 'Terminate' };
      break;
    case 0x70 /* p */:
      message = { type: 'PasswordLike', body: r.rest() };
      break;
    case 0x64 /* d */:
      message = { type: 'CopyData', data: r.rest() };
      break;
    case 0x63 /* c */:
      message = { type: 'CopyDone' };
      break;
    case 0x66 /* f */:
      message = { type: 'CopyFail', message: r.cstring() };
      break;
    case 0x46 /* F */:
      message = { type: 'FunctionCall', body: r.rest() };
      break;
    default:
      throw new ProtocolViolation(`invalid frontend message type ${type}`);
  }
  r.end();
  return message;
}

function decodeParse(r: BufferReader): FrontendMessage {
  const name = r.cstring();
  const sql = r.cstring();
  // Counts are read unsigned, as pq_getmsgint(msg, 2) does.
  const count = r.uint16();
  const paramTypes: number[] = new Array(count);
  for (let i = 0; i < count; i++) paramTypes[i] = r.uint32();
  return { type: 'Parse', name, sql, paramTypes };
}

function decodeBind(r: BufferReader): FrontendMessage {
  const portal = r.cstring();
  const statement = r.cstring();
  const paramFormats = readFormatCodes(r);
  const paramCount = r.uint16();
  if (paramFormats.length > 1 && paramFormats.length !== paramCount) {
    throw new ProtocolViolation(
      `bind message has ${paramFormats.length} parameter formats but ${paramCount} parameters`,
    );
  }
  const params: (Buffer | null)[] = new Array(paramCount);
  for (let i = 0; i < paramCount; i++) {
    const length = r.int32();
    params[i] = length === -1 ? null : r.bytes(length);
  }
  const resultFormats = readFormatCodes(r);
  return { type: 'Bind', portal, statement, paramFormats, params, resultFormats };
}

function readFormatCodes(r: BufferReader): FormatCode[] {
  const count = r.uint16();
  const codes: FormatCode[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const code = r.int16();
    if (code !== 0 && code !== 1) {
      throw new ProtocolViolation(`unsupported format code: ${code}`, SqlState.INVALID_PARAMETER_VALUE);
    }
    codes[i] = code;
  }
  return codes;
}

function readTarget(r: BufferReader, command: 'DESCRIBE' | 'CLOSE'): 'S' | 'P' {
  const subtype = r.uint8();
  if (subtype === 0x53) return 'S';
  if (subtype === 0x50) return 'P';
  throw new ProtocolViolation(`invalid ${command} message subtype ${subtype}`);
}

/** The body of a 'p' message answering a cleartext or MD5 password request. */
export function decodePasswordMessage(body: Buffer): string {
  const nul = body.indexOf(0);
  if (nul < 0 || nul !== body.length - 1) throw new ProtocolViolation('invalid password packet size');
  return decodeUtf8(body.subarray(0, nul));
}

/** The body of the first 'p' message of a SASL exchange. */
export function decodeSaslInitialResponse(body: Buffer): SaslInitialResponse {
  const r = new BufferReader(body);
  const mechanism = r.cstring();
  const length = r.int32();
  const data = length === -1 ? null : r.bytes(length);
  r.end();
  return { mechanism, data };
}

/** The body of a later 'p' message of a SASL exchange: opaque mechanism data. */
export function decodeSaslResponse(body: Buffer): Buffer {
  return body;
}
