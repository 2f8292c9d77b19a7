// Moves bytes between a client and its upstream connection (DSQL, RDS) once both are logged in. Backpressure is
// the streams' own (pipe pauses a writer whose reader is slow); the only per-chunk work is a
// header scan that counts queries and times them, with no copy of any payload.
import type { Duplex } from 'node:stream';
import { BoundaryScanner } from '../protocol/boundary-scanner.js';
import { encodeErrorResponse } from '../protocol/backend-encoder.js';
import type { NoticeFields } from '../protocol/messages.js';
import type { SessionCounters } from '../server/types.js';

export interface RelayObserver {
  queryFinished?(seconds: number): void;
  bytes?(direction: 'client_to_upstream' | 'upstream_to_client', n: number): void;
  /** An ErrorResponse from the cluster, by SQLSTATE. */
  queryError?(sqlstate: string): void;
  /** ReadyForQuery moved from idle into a transaction, and back (or the session ended in one). */
  transactionOpened?(): void;
  transactionClosed?(): void;
}

const QUERY = 'Q'.charCodeAt(0);
const SYNC = 'S'.charCodeAt(0);
const TERMINATE = 'X'.charCodeAt(0);
const READY_FOR_QUERY = 'Z'.charCodeAt(0);
const ERROR_RESPONSE = 'E'.charCodeAt(0);
const TX_IN_BLOCK = 'T'.charCodeAt(0);
const TX_FAILED = 'E'.charCodeAt(0);
const CAPTURED_TYPES = new Set([READY_FOR_QUERY, ERROR_RESPONSE]);

/** The `C` field of an ErrorResponse body (field-type byte, C string, ..., final zero byte). */
function sqlstateOf(body: Buffer): string | undefined {
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1);
    if (end === -1) return undefined;
    if (body[i] === 0x43) return body.toString('latin1', i + 1, end);
    i = end + 1;
  }
  return undefined;
}

/** Told to a client whose upstream connection ended without the server saying why. */
function upstreamLost(upstreamName: string): NoticeFields {
  return {
    severity: 'FATAL',
    code: '08006',
    message: `aurora-pg-proxy lost its connection to ${upstreamName}`,
    hint: 'The server closed the connection or the network failed. Reconnect; the proxy signs a fresh token for the new connection.',
  };
}

export interface RelayHandle {
  /** Resolves when either side has closed and both are torn down. */
  done: Promise<void>;
  /** Ends the session with a final error to the client, at a message boundary when possible. */
  terminate(fields: NoticeFields): void;
  /** Sends an asynchronous NoticeResponse to the client between two messages of the cluster. */
  notice(fields: NoticeFields, encode: (f: NoticeFields) => Buffer): void;
}

export function startRelay(
  client: Duplex,
  upstream: Duplex,
  counters: SessionCounters,
  observer: RelayObserver = {},
  /** How the lost-connection error names the server: 'the DSQL cluster', 'the RDS database'. */
  upstreamName = 'the DSQL cluster',
): RelayHandle {
  // Each Query or Sync opens a round trip that ReadyForQuery closes; their start times queue up
  // because clients may pipeline several before the first answer.
  const started: number[] = [];
  let clientSaidGoodbye = false;
  let lastUpstreamType = 0;
  const fromClient = new BoundaryScanner((type) => {
    if (type === QUERY || type === SYNC) {
      started.push(performance.now());
      if (type === QUERY) counters.queries++;
    }
    if (type === TERMINATE) clientSaidGoodbye = true;
  });
  let inTransaction = false;
  const fromUpstream = new BoundaryScanner(
    (type) => {
      lastUpstreamType = type;
      if (type === READY_FOR_QUERY) {
        const t0 = started.shift();
        if (t0 !== undefined) observer.queryFinished?.((performance.now() - t0) / 1000);
      }
    },
    {
      types: CAPTURED_TYPES,
      // PostgreSQL sends the SQLSTATE among the first fields; DSQL's are short too.
      maxBytes: 256,
      onBody: (type, body) => {
        if (type === ERROR_RESPONSE) {
          const code = sqlstateOf(body);
          if (code) observer.queryError?.(code);
          return;
        }
        const now = body[0] === TX_IN_BLOCK || body[0] === TX_FAILED;
        if (now === inTransaction) return;
        inTransaction = now;
        if (now) observer.transactionOpened?.();
        else observer.transactionClosed?.();
      },
    },
  );
  let pendingNotice: Buffer | null = null;

  client.on('data', (chunk: Buffer) => {
    counters.bytesFromClient += chunk.length;
    observer.bytes?.('client_to_upstream', chunk.length);
    fromClient.scan(chunk);
  });
  upstream.on('data', (chunk: Buffer) => {
    counters.bytesToClient += chunk.length;
    observer.bytes?.('upstream_to_client', chunk.length);
    fromUpstream.scan(chunk);
    if (pendingNotice && fromUpstream.atBoundary) {
      client.write(pendingNotice);
      pendingNotice = null;
    }
  });
  client.pipe(upstream);
  // Not ended by the pipe: when the cluster goes away, the client may still need an explanation.
  upstream.pipe(client, { end: false });

  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let closed = false;
  /** Set once the client is being ended (by us); later upstream events change nothing. */
  let ending = false;
  const teardown = () => {
    if (closed) return;
    closed = true;
    if (inTransaction) {
      inTransaction = false;
      observer.transactionClosed?.();
    }
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.destroy();
    upstream.destroy();
    finish();
  };
  /**
   * Ends the client with optional last words. Whatever the client still sends is read and
   * dropped, because closing a socket with unread input resets it and could lose those words;
   * the client's own close (or a 2 s limit) then tears the session down.
   */
  const endClient = (lastWords?: Buffer) => {
    ending = true;
    upstream.unpipe(client);
    client.unpipe(upstream);
    if (!client.writable) {
      teardown();
      return;
    }
    if (lastWords) client.end(lastWords);
    else client.end();
    client.resume();
    setTimeout(teardown, 2000).unref();
  };
  // A half-close from either side ends the session: PostgreSQL connections are not half-duplex.
  client.once('close', teardown);
  client.once('end', () => setImmediate(teardown));
  client.on('error', teardown);
  // The cluster ended the connection. If it said why (a FATAL ErrorResponse), the client has
  // that already; if not (network failure, a dropped socket), the client gets an ErrorResponse
  // rather than a bare close. A client that sent Terminate expects only the close.
  const upstreamGone = () => {
    if (closed || ending) return;
    const explain = !clientSaidGoodbye && lastUpstreamType !== ERROR_RESPONSE && fromUpstream.atBoundary;
    endClient(explain ? encodeErrorResponse(upstreamLost(upstreamName)) : undefined);
  };
  upstream.once('end', upstreamGone);
  upstream.once('close', upstreamGone);
  upstream.on('error', upstreamGone);

  return {
    done,
    terminate(fields) {
      if (closed || ending) return;
      ending = true;
      upstream.unpipe(client);
      client.unpipe(upstream);
      upstream.destroy();
      // Mid-message, an extra frame would corrupt the stream; then closing is all we can do.
      if (fromUpstream.atBoundary && client.writable) endClient(encodeErrorResponse(fields));
      else teardown();
    },
    notice(fields, encode) {
      if (closed) return;
      const msg = encode(fields);
      if (fromUpstream.atBoundary) client.write(msg);
      else pendingNotice = msg;
    },
  };
}
