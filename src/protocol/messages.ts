// Message shapes of the PostgreSQL v3 protocol as this proxy sees them. The codec
// (frontend-decoder.ts, backend-encoder.ts) turns bytes into these and back; nothing here does I/O.

/** Protocol 3.0 as a 32-bit number (major << 16 | minor). */
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
/** PostgreSQL's MAX_STARTUP_PACKET_LENGTH (src/include/libpq/pqcomm.h). */
export const MAX_STARTUP_PACKET_LENGTH = 10000;

// ---------------------------------------------------------------- startup phase (no type byte)

export type StartupPacket =
  | { kind: 'SSLRequest' }
  | { kind: 'GSSENCRequest' }
  | { kind: 'CancelRequest'; processId: number; secretKey: number }
  | {
      kind: 'StartupMessage';
      /** Requested protocol version (major << 16 | minor). */
      protocolVersion: number;
      /** Startup parameters in arrival order (user, database, options, GUCs...). */
      parameters: Record<string, string>;
      /** Parameters named `_pq_.*` (protocol extensions) that the client asked for. */
      protocolOptions: string[];
    };

// ---------------------------------------------------------------- frontend (client -> server)

/** Format code of a parameter or result column: 0 text, 1 binary. */
export type FormatCode = 0 | 1;

export type FrontendMessage =
  | { type: 'Query'; sql: string }
  | { type: 'Parse'; name: string; sql: string; paramTypes: number[] }
  | {
      type: 'Bind';
      portal: string;
      statement: string;
      /** As sent: empty (all text), one code (applies to all), or one per parameter. */
      paramFormats: FormatCode[];
      /** null for SQL NULL. */
      params: (Buffer | null)[];
      /** As sent: empty (all text), one code (applies to all), or one per column. */
      resultFormats: FormatCode[];
    }
  | { type: 'Describe'; target: 'S' | 'P'; name: string }
  | { type: 'Execute'; portal: string; maxRows: number }
  | { type: 'Sync' }
  | { type: 'Flush' }
  | { type: 'Close'; target: 'S' | 'P'; name: string }
  | { type: 'Terminate' }
  /** 'p': the body is a password, SASLInitialResponse or SASLResponse depending on the auth step. */
  | { type: 'PasswordLike'; body: Buffer }
  | { type: 'CopyData'; data: Buffer }
  | { type: 'CopyDone' }
  | { type: 'CopyFail'; message: string }
  | { type: 'FunctionCall'; body: Buffer };

export interface SaslInitialResponse {
  mechanism: string;
  /** null when the client sent length -1. */
  data: Buffer | null;
}

// ---------------------------------------------------------------- backend (server -> client)

/** Fields of ErrorResponse / NoticeResponse, by their one-letter codes' meaning. */
export interface NoticeFields {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: number;
  internalPosition?: number;
  internalQuery?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  file?: string;
  line?: number;
  routine?: string;
}

export interface FieldDescription {
  name: string;
  tableOid: number;
  columnAttr: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  format: FormatCode;
}

export type TransactionStatus = 'I' | 'T' | 'E';

/**
 * What backend-decoder.ts reads from a server: the messages the proxy acts on during login and
 * at transaction boundaries. Everything else stays raw bytes, to be relayed as is.
 */
export type BackendMessage =
  | {
      type: 'Authentication';
      /** 0 ok, 3 cleartext password, 5 MD5 (salt in data), 10 SASL, 11 SASL continue, 12 SASL final. */
      code: number;
      /** The body after the code. */
      data: Buffer;
    }
  | { type: 'ParameterStatus'; name: string; value: string }
  | { type: 'BackendKeyData'; processId: number; secretKey: number }
  | { type: 'ReadyForQuery'; status: TransactionStatus }
  | { type: 'ErrorResponse'; fields: NoticeFields }
  | { type: 'NoticeResponse'; fields: NoticeFields }
  | {
      type: 'NegotiateProtocolVersion';
      /** Minor part of the version the server offers (the wire carries major << 16 | minor). */
      newestMinor: number;
      /** `_pq_.` options the server did not recognise. */
      unrecognized: string[];
    }
  /** Any other message; code is its type byte. */
  | { type: 'Other'; code: number; body: Buffer };
