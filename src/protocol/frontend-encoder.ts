import {
  CANCEL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  PROTOCOL_3_0,
  SSL_REQUEST_CODE,
  type FrontendMessage,
} from './messages.js';
import { buildMessage, buildStartupPacket } from './writer.js';

// Builds client->server messages: used by the DSQL upstream connector and by tests.

/** Sends exactly the given parameters (unlike pg-protocol, which appends client_encoding). */
export function encodeStartupMessage(params: Record<string, string>, protocolVersion: number = PROTOCOL_3_0): Buffer {
  return buildStartupPacket((w) => {
    w.int32OrUint32(protocolVersion);
    for (const [name, value] of Object.entries(params)) w.cstring(name).cstring(value);
    w.uint8(0);
  });
}

export function encodeSSLRequest(): Buffer {
  return buildStartupPacket((w) => w.int32(SSL_REQUEST_CODE));
}

export function encodeGSSENCRequest(): Buffer {
  return buildStartupPacket((w) => w.int32(GSSENC_REQUEST_CODE));
}

export function encodeCancelRequest(processId: number, secretKey: number): Buffer {
  return buildStartupPacket((w) => w.int32(CANCEL_REQUEST_CODE).int32OrUint32(processId).int32OrUint32(secretKey));
}

export function encodePasswordMessage(password: string): Buffer {
  return buildMessage('p', (w) => w.cstring(password));
}

/** First SASL message; data null is sent as length -1 (no initial response). */
export function encodeSASLInitialResponse(mechanism: string, data: Buffer | null): Buffer {
  return buildMessage('p', (w) => {
    w.cstring(mechanism);
    if (data === null) w.int32(-1);
    else w.int32(data.length).bytes(data);
  });
}

export function encodeSASLResponse(data: Buffer): Buffer {
  return buildMessage('p', (w) => w.bytes(data));
}

export function encodeQuery(sql: string): Buffer {
  return buildMessage('Q', (w) => w.cstring(sql));
}

export function encodeTerminate(): Buffer {
  return buildMessage('X');
}

export function encodeSync(): Buffer {
  return buildMessage('S');
}

export function encodeFlush(): Buffer {
  return buildMessage('H');
}

/** Close of a prepared statement whose name is given byte for byte (a latin1 string). */
export function encodeCloseStatement(name: string): Buffer {
  return buildMessage('C', (w) => w.uint8(0x53).bytes(Buffer.from(name, 'latin1')).uint8(0));
}

/** Any regular frontend message, the inverse of decodeFrontendMessage. */
export function encodeFrontendMessage(message: FrontendMessage): Buffer {
  switch (message.type) {
    case 'Query':
      return encodeQuery(message.sql);
    case 'Parse':
      return buildMessage('P', (w) => {
        w.cstring(message.name).cstring(message.sql).uint16(message.paramTypes.length);
        for (const oid of message.paramTypes) w.int32OrUint32(oid);
      });
    case 'Bind':
      return buildMessage('B', (w) => {
        w.cstring(message.portal).cstring(message.statement);
        w.uint16(message.paramFormats.length);
        for (const format of message.paramFormats) w.int16(format);
        w.uint16(message.params.length);
        for (const param of message.params) {
          if (param === null) w.int32(-1);
          else w.int32(param.length).bytes(param);
        }
        w.uint16(message.resultFormats.length);
        for (const format of message.resultFormats) w.int16(format);
      });
    case 'Describe':
      return buildMessage('D', (w) => w.uint8(message.target.charCodeAt(0)).cstring(message.name));
    case 'Execute':
      return buildMessage('E', (w) => w.cstring(message.portal).int32(message.maxRows));
    case 'Sync':
      return encodeSync();
    case 'Flush':
      return encodeFlush();
    case 'Close':
      return buildMessage('C', (w) => w.uint8(message.target.charCodeAt(0)).cstring(message.name));
    case 'Terminate':
      return encodeTerminate();
    case 'PasswordLike':
      return buildMessage('p', (w) => w.bytes(message.body));
    case 'CopyData':
      return buildMessage('d', (w) => w.bytes(message.data), 5 + message.data.length);
    case 'CopyDone':
      return buildMessage('c');
    case 'CopyFail':
      return buildMessage('f', (w) => w.cstring(message.message));
    case 'FunctionCall':
      return buildMessage('F', (w) => w.bytes(message.body));
  }
}
