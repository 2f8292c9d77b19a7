// An error meant for the client: it carries what an ErrorResponse needs. Anything else that
// escapes a session is reported as an internal error without its stack or details.
import type { NoticeFields } from './messages.js';
import { encodeErrorResponse } from './backend-encoder.js';
import { SqlState } from './sqlstate.js';
import type { Duplex } from 'node:stream';

export class ClientFacingError extends Error {
  constructor(
    readonly sqlstate: string,
    message: string,
    readonly extra: Partial<Omit<NoticeFields, 'severity' | 'code' | 'message'>> = {},
    readonly severity: 'ERROR' | 'FATAL' = 'FATAL',
  ) {
    super(message);
  }

  toFields(): NoticeFields {
    return { severity: this.severity, code: this.sqlstate, message: this.message, ...this.extra };
  }
}

/** The ErrorResponse fields for any error, hiding internals of unexpected ones. */
export function errorFields(err: unknown, severity: 'ERROR' | 'FATAL' = 'FATAL'): NoticeFields {
  if (err instanceof ClientFacingError) return { ...err.toFields(), severity };
  const e = err as { sqlstate?: unknown; message?: unknown };
  if (typeof e?.sqlstate === 'string' && typeof e.message === 'string') {
    return { severity, code: e.sqlstate, message: e.message };
  }
  return { severity, code: SqlState.INTERNAL_ERROR, message: 'internal error in aurora-pg-proxy; see its log' };
}

/** Sends a FATAL ErrorResponse and closes the stream once it is flushed. */
export function sendFatalAndClose(stream: Duplex, err: unknown): void {
  if (stream.destroyed || !stream.writable) {
    stream.destroy();
    return;
  }
  stream.end(encodeErrorResponse(errorFields(err, 'FATAL')));
  // A client that never reads must not keep the socket open forever.
  setTimeout(() => stream.destroy(), 5000).unref();
}

/** Why the proxy ends a session on its own: given as the AbortSignal's reason. */
export class SessionTermination extends Error {
  constructor(readonly kind: 'shutdown' | 'idle') {
    super(kind);
  }
}

/** The FATAL a client gets when the proxy ends its session. */
export function terminationFields(reason: unknown): NoticeFields {
  if (reason instanceof SessionTermination && reason.kind === 'idle') {
    return { severity: 'FATAL', code: '57P05', message: 'terminating connection due to idle-session timeout' };
  }
  return { severity: 'FATAL', code: SqlState.ADMIN_SHUTDOWN, message: 'terminating connection due to administrator command' };
}
