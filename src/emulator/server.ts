// The HTTP face of the emulator: rest-json over POST, one path per operation, errors named in
// `x-amzn-ErrorType` with a `{"message": ...}` body, a request id on every response.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.js';
import { ApiError, serializationError, toApiError } from './errors.js';
import { toJson } from './json-writer.js';
import { batchExecuteStatement } from './operations/batch.js';
import { describeSize } from './operations/common.js';
import { executeStatement } from './operations/execute.js';
import { beginTransaction, commitTransaction, rollbackTransaction } from './operations/transactions.js';
import type { OperationName } from './options.js';
import { verifySignature } from './sigv4.js';

type Handler = (ctx: EmulatorContext, body: Record<string, unknown>) => Promise<string>;

const ROUTES: Record<string, { operation: OperationName; handler: Handler }> = {
  '/Execute': { operation: 'ExecuteStatement', handler: executeStatement },
  '/BatchExecute': { operation: 'BatchExecuteStatement', handler: batchExecuteStatement },
  '/BeginTransaction': { operation: 'BeginTransaction', handler: beginTransaction },
  '/CommitTransaction': { operation: 'CommitTransaction', handler: commitTransaction },
  '/RollbackTransaction': { operation: 'RollbackTransaction', handler: rollbackTransaction },
};

/** Bodies beyond this are not even read to the end; the socket is closed instead. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

export function createRequestHandler(
  ctx: EmulatorContext,
  countCall: (operation: OperationName) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = randomUUID();
    const started = Date.now();
    handle(ctx, req, countCall)
      .then((body) => send(res, requestId, 200, body))
      .catch((err: unknown) => {
        const apiError = toApiError(err);
        if (!(err instanceof ApiError)) {
          ctx.options.logger?.warn({ err: err instanceof Error ? err.stack : String(err), path: req.url }, 'request failed');
        }
        send(res, requestId, apiError.status, toJson({ message: apiError.message, ...apiError.members }), apiError.errorType);
      })
      .finally(() => {
        ctx.options.logger?.info({ path: req.url, status: res.statusCode, ms: Date.now() - started }, 'rds-data request');
      });
  };
}

async function handle(
  ctx: EmulatorContext,
  req: IncomingMessage,
  countCall: (operation: OperationName) => void,
): Promise<string> {
  const raw = await readBody(req, ctx.options.maxBatchRequestBytes - headerBytes(req));
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = req.method === 'POST' ? ROUTES[path] : undefined;
  if (!route) throw new ApiError('UnknownOperationException', 404, 'Unknown operation');
  if (raw === null) {
    throw new ApiError(
      'RequestEntityTooLargeException',
      413,
      `Request size exceeds the limit of ${describeSize(ctx.options.maxBatchRequestBytes)}`,
    );
  }
  if (ctx.options.credentials) {
    await verifySignature(
      { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body: raw },
      { ...ctx.options.credentials, region: ctx.options.region },
    );
  }
  countCall(route.operation);
  return route.handler(ctx, parseBody(raw));
}

function parseBody(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw serializationError('Unable to parse the request body as JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw serializationError('The request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function headerBytes(req: IncomingMessage): number {
  let total = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    total += req.rawHeaders[i].length + req.rawHeaders[i + 1].length + 4;
  }
  return total;
}

/** The body, or null when it is larger than `limit` (read to the end so the client sees the reply). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_LIMIT) {
        req.destroy();
        return;
      }
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

function send(res: ServerResponse, requestId: string, status: number, body: string, errorType?: string): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  };
  if (errorType) headers['x-amzn-ErrorType'] = errorType;
  res.writeHead(status, headers);
  res.end(body);
}
