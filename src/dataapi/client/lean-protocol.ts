// Puts the lean decoder (lean-decoder.ts) in front of the SDK's response deserializer for the
// two calls whose responses carry rows: ExecuteStatement and BatchExecuteStatement, when they
// succeed. Everything else stays the SDK's: signing, sending, the HTTP handler and its
// transport-failure tagging, and every error response (the service's exceptions keep the SDK's
// classes and names, which service-errors.ts relies on). The hook replaces one method of the
// client's protocol object; should a future SDK lack that method, the client keeps the SDK's
// deserializer and `installLeanDecoder` says so.
import { Readable } from 'node:stream';
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { BATCH_EXECUTE_STATEMENT_OUTPUT, EXECUTE_STATEMENT_OUTPUT, decodeResponseBody } from './lean-decoder.js';

interface HttpResponseLike {
  statusCode: number;
  headers: Record<string, string>;
  body?: unknown;
}

interface ProtocolLike {
  deserializeResponse(operationSchema: { name?: string }, context: unknown, response: HttpResponseLike): Promise<unknown>;
  deserializeMetadata(response: HttpResponseLike): Record<string, unknown>;
}

const OUTPUT_MEMBERS: Record<string, typeof EXECUTE_STATEMENT_OUTPUT> = {
  ExecuteStatement: EXECUTE_STATEMENT_OUTPUT,
  BatchExecuteStatement: BATCH_EXECUTE_STATEMENT_OUTPUT,
};

const INSTALLED = Symbol('aurora-pg-proxy.lean-decoder');

/** The whole body; a stream is read with plain events (an async iterator costs a promise per chunk). */
function readBody(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Promise.resolve(Buffer.alloc(0));
  if (body instanceof Uint8Array) return Promise.resolve(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  if (typeof body === 'string') return Promise.resolve(Buffer.from(body, 'utf8'));
  const stream = body as NodeJS.ReadableStream;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

export interface LeanDecoderOptions {
  /** Rewrites a successful ExecuteStatement body before it is decoded (exact-longs.ts). */
  executeBody?: (body: Buffer) => Buffer;
}

/** Whether `sdk` decodes row-carrying responses with the lean decoder. */
export function usesLeanDecoder(sdk: RDSDataClient): boolean {
  return (sdk.config.protocol as unknown as Record<symbol, unknown>)[INSTALLED] === true;
}

/** Hooks the lean decoder into `sdk`'s protocol; false when the SDK's shape does not allow it. */
export function installLeanDecoder(sdk: RDSDataClient, options: LeanDecoderOptions = {}): boolean {
  const protocol = sdk.config.protocol as unknown as ProtocolLike & Record<symbol, unknown>;
  if (typeof protocol?.deserializeResponse !== 'function' || typeof protocol.deserializeMetadata !== 'function') return false;
  if (protocol[INSTALLED]) return true;
  const sdkDeserialize = protocol.deserializeResponse.bind(protocol);
  protocol.deserializeResponse = async (operationSchema, context, response) => {
    const members = OUTPUT_MEMBERS[operationSchema?.name ?? ''];
    if (!members || response.statusCode >= 300) return sdkDeserialize(operationSchema, context, response);
    let bytes = await readBody(response.body);
    if (options.executeBody && operationSchema.name === 'ExecuteStatement') bytes = options.executeBody(bytes);
    const decoded = decodeResponseBody(members, bytes);
    if (decoded === null) {
      // Not an object: let the SDK say what it makes of it, from the same bytes.
      response.body = Readable.from([bytes]);
      return sdkDeserialize(operationSchema, context, response);
    }
    decoded.$metadata = protocol.deserializeMetadata(response);
    return decoded;
  };
  protocol[INSTALLED] = true;
  return true;
}
