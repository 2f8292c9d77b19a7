// Moves bytes between a client and its DSQL connection once both are logged in. Backpressure is
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
}

const QUERY = 'Q'.charCodeAt(0);
const SYNC = 'S'.charCodeAt(0);
const READY_FOR_QUERY = 'Z'.charCodeAt(0);

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
): RelayHandle {
  // Each Query or Sync opens a round trip that ReadyForQuery closes; their start times queue up
  // because clients may pipeline several before the first answer.
  const started: number[] = [];
  const fromClient = new BoundaryScanner((type) => {
    if (type === QUERY || type === SYNC) {
      started.push(performance.now());
      if (type === QUERY) counters.queries++;
    }
  });
  const fromUpstream = new BoundaryScanner((type) => {
    if (type === READY_FOR_QUERY) {
      const t0 = started.shift();
      if (t0 !== undefined) observer.queryFinished?.((performance.now() - t0) / 1000);
    }
  });
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
  upstream.pipe(client);

  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let closed = false;
  const teardown = () => {
    if (closed) return;
    closed = true;
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.destroy();
    upstream.destroy();
    finish();
  };
  for (const s of [client, upstream]) {
    s.once('close', teardown);
    s.once('end', () => {
      // A half-close from either side ends the session: PostgreSQL connections are not half-duplex.
      setImmediate(teardown);
    });
    s.on('error', teardown);
  }

  return {
    done,
    terminate(fields) {
      if (closed) return;
      upstream.unpipe(client);
      client.unpipe(upstream);
      upstream.destroy();
      // Mid-message, an extra frame would corrupt the stream; then closing is all we can do.
      if (fromUpstream.atBoundary && client.writable) {
        client.end(encodeErrorResponse(fields));
        setTimeout(teardown, 2000).unref();
      } else {
        teardown();
      }
    },
    notice(fields, encode) {
      if (closed) return;
      const msg = encode(fields);
      if (fromUpstream.atBoundary) client.write(msg);
      else pendingNotice = msg;
    },
  };
}
