// The relay between a client and its upstream connection (DSQL, RDS), built for a short per-round-trip path:
// no stream pipes (each socket's 'data' handler writes straight to the other socket, and a
// refused write pauses the reader until 'drain': the same backpressure pipe() gives, without its
// bookkeeping), protocol awareness by a header-scanning state machine that allocates nothing
// unless an ErrorResponse passes, and byte counts handed to metrics in batches rather than per
// network chunk. Both sockets read into a lent buffer that the next read reuses (lent-reads.ts)
// where Node allows it. It counts and times queries, follows the transaction state, leaves cancel to
// the backend, and sends notices and final errors only at message boundaries. A mode may add an
// AnswerRetrier (DSQL's OCC retries) that holds answers and sends a failed batch again.
import type { Duplex } from 'node:stream';
import { encodeErrorResponse } from '../protocol/backend-encoder.js';
import type { NoticeFields } from '../protocol/messages.js';
import type { SessionCounters } from '../server/types.js';
import type { RelayHandle, RelayObserver } from './relay.js';
import type { AnswerRetrier } from './answer-retrier.js';
import { HeaderScanner } from './header-scanner.js';
import { NamedStatements } from './named-statements.js';
import { MetricBatcher } from './metric-batcher.js';
import { lentWriter, readLent, type LentReader } from './lent-reads.js';

const QUERY = 0x51; // 'Q'
const SYNC = 0x53; // 'S'
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const ERROR_RESPONSE = 0x45; // 'E'
const TX_IN_BLOCK = 0x54; // 'T'
const TX_FAILED = 0x45; // 'E'
const COPY_IN_RESPONSE = 0x47; // 'G'
const COPY_BOTH_RESPONSE = 0x57; // 'W'
const PARSE = 0x50; // 'P'
const TX_IDLE = 0x49; // 'I'
/** How long a client being ended has to close its side before the session is torn down anyway. */
const END_GRACE_MS = 2000;

/** Told to a client whose upstream connection ended without the server saying why. */
export function upstreamLost(upstreamName: string): NoticeFields {
  return {
    severity: 'FATAL',
    code: '08006',
    message: `aurora-pg-proxy lost its connection to ${upstreamName}`,
    hint: 'The server closed the connection or the network failed. Reconnect; the proxy signs a fresh token for the new connection.',
  };
}

/** The `C` field of an ErrorResponse body (field-type byte, C string, ..., final zero byte). */
export function sqlstateOf(body: Buffer): string | undefined {
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1);
    if (end === -1) return undefined;
    if (body[i] === 0x43) return body.toString('latin1', i + 1, end);
    i = end + 1;
  }
  return undefined;
}

export interface FastRelayOptions {
  /** How the lost-connection error names the server: 'the DSQL cluster', 'the RDS database'. */
  upstreamName?: string;
  /** Holds answers and resends failed batches (DSQL's --occ-retries); none: every chunk goes straight on. */
  retrier?: AnswerRetrier | null;
  /**
   * --reuse-connections: a client that ends cleanly (Terminate after its last answer, idle
   * outside a transaction, no COPY) leaves the upstream open for the backend to reset and keep;
   * its Terminate is not passed on. See RelayHandle.upstreamKept.
   */
  keepUpstreamOnCleanEnd?: boolean;
  /**
   * A client whose first message is its Terminate (a health probe such as pg_isready: it logs in
   * and leaves) leaves the upstream open too, untouched, for the backend to keep as it was. Only
   * when nothing reached either side before the relay started.
   */
  keepUntouchedUpstream?: boolean;
  /**
   * The upstream is kept (see keepUpstreamOnCleanEnd): called the moment the client's Terminate
   * is withheld, while the client's own connection is still being closed, so that the backend
   * hands the connection on at once (a client that reconnects at once, as one connecting per
   * request does, finds it being reset rather than missing). `done` still waits for the client.
   */
  onUpstreamKept?(): void;
}

/** A Terminate message: type 'X' and length 4. */
function endsWithTerminate(chunk: Buffer): boolean {
  const n = chunk.length;
  return n >= 5 && chunk[n - 5] === TERMINATE && chunk[n - 4] === 0 && chunk[n - 3] === 0 && chunk[n - 2] === 0 && chunk[n - 1] === 4;
}

export function startFastRelay(
  client: Duplex,
  upstream: Duplex,
  counters: SessionCounters,
  observer: RelayObserver = {},
  options: FastRelayOptions = {},
): RelayHandle {
  const metrics = new MetricBatcher(observer);
  const retrier = options.retrier ?? null;
  const upstreamName = options.upstreamName ?? 'the server';
  /** While answers are held for a possible retry: the ReadyForQuery status seen, and errors to report. */
  let heldReadyStatus = -1;
  let heldErrors: string[] = [];
  let recordedBytes = 0;
  /** A held answer turned out to wait for the client (COPY FROM STDIN): it must go out now. */
  let heldNeedsClient = false;
  // Each Query or Sync opens a round trip that ReadyForQuery closes; clients may pipeline several.
  const started: number[] = [];
  let clientSaidGoodbye = false;
  let inTransaction = false;
  let pendingNotice: Buffer | null = null;
  let closed = false;
  /** Set once the client is being ended (by us); from then on nothing more is relayed. */
  let ending = false;
  let clientWaitsForUpstream = false;
  let upstreamWaitsForClient = false;
  const keepClean = options.keepUpstreamOnCleanEnd === true;
  const keepUpstream = keepClean || options.keepUntouchedUpstream === true;
  /** The message the client sent before Terminate (0: none yet). */
  let lastClientType = 0;
  let lastReadyStatus = TX_IDLE;
  /** The client's Terminate was kept from the upstream, which may then serve another client. */
  let terminateWithheld = false;
  let bytesAfterGoodbye = false;
  let upstreamClosed = false;
  let upstreamKept = false;
  let upstreamUntouched = false;
  const statements = new NamedStatements();

  const fromClient = new HeaderScanner(
    {
      messageStart(type) {
        if (type === QUERY) {
          counters.queries++;
          started.push(performance.now());
        } else if (type === SYNC) started.push(performance.now());
        if (type === TERMINATE) clientSaidGoodbye = true;
        else lastClientType = type;
      },
      // Only captured when reuse is on: the prepared statements the client made.
      captured(_type, head) {
        statements.parsed(head);
      },
    },
    false,
    keepClean ? [PARSE] : [],
  );
  const fromUpstream = new HeaderScanner(
    {
      messageStart(type) {
        if ((type === COPY_IN_RESPONSE || type === COPY_BOTH_RESPONSE) && retrier?.isHolding) heldNeedsClient = true;
        if (type === READY_FOR_QUERY) {
          const t0 = started.shift();
          if (t0 !== undefined) metrics.queryFinished((performance.now() - t0) / 1000);
        }
      },
      readyForQuery(status) {
        lastReadyStatus = status;
        if (retrier?.isHolding) heldReadyStatus = status;
        const now = status === TX_IN_BLOCK || status === TX_FAILED;
        if (now === inTransaction) return;
        inTransaction = now;
        if (now) observer.transactionOpened?.();
        else observer.transactionClosed?.();
      },
      errorResponse(head) {
        const code = sqlstateOf(head);
        if (retrier?.isHolding) {
          // Reported once the client gets it: a conflict that a retry overcomes is no client error.
          retrier.errorSeen(head);
          if (code) heldErrors.push(code);
        } else if (code) observer.queryError?.(code);
      },
    },
    true,
  );

  /** Sends what was held for a possible retry to the client, reporting its errors now. */
  const releaseHeld = (held: Buffer[] | null | undefined): boolean => {
    for (const code of heldErrors) observer.queryError?.(code);
    heldErrors = [];
    heldReadyStatus = -1;
    let ok = true;
    if (held) for (const part of held) ok = client.write(part) && ok;
    return ok;
  };
  /** What the client sent goes on; returns the chunk, copied when the retrier keeps it for a resend. */
  const onClientDataWithOcc = (chunk: Buffer, retrier: AnswerRetrier): Buffer => {
    const startsClean = fromClient.atBoundary && !inTransaction && started.length === 0 && !retrier.isHolding;
    if (clientReader !== null && (startsClean || retrier.isRecording)) chunk = clientReader.keep(chunk);
    fromClient.scan(chunk);
    const last = fromClient.lastType;
    const endsBatch = fromClient.atBoundary && (last === QUERY || last === SYNC);
    recordedBytes = startsClean ? chunk.length : recordedBytes + chunk.length;
    if (recordedBytes > retrier.holdLimit) retrier.abandonRecording();
    const release = retrier.clientChunk(chunk, startsClean, endsBatch);
    if (release && !releaseHeld(release)) {
      upstreamWaitsForClient = true;
      upstream.pause();
    }
    return chunk;
  };
  /**
   * With reuse on, a Terminate that ends the chunk after a complete batch (Query or Sync) that
   * the server has answered, idle outside a transaction, is kept from the upstream; anything else
   * (a transaction open, answers outstanding, bytes after it, a Terminate split across chunks)
   * forgoes reuse and is passed on as it came, so that the server ends the session itself.
   */
  /** The last thing the server sent was ReadyForQuery (nothing yet: the login's, idle). */
  const upstreamAtReady = () => fromUpstream.atBoundary && (fromUpstream.lastType === READY_FOR_QUERY || fromUpstream.lastType === 0);
  /** Nothing passed between client and server: the connection is as its login left it. */
  const untouched = () => lastClientType === 0 && fromUpstream.lastType === 0;
  const withholdTerminate = (chunk: Buffer, goodbyeBefore: boolean): Buffer => {
    if (goodbyeBefore) {
      bytesAfterGoodbye = true;
      return chunk;
    }
    const cleanBatch = lastClientType === 0 || lastClientType === QUERY || lastClientType === SYNC;
    const serverIdle = started.length === 0 && lastReadyStatus === TX_IDLE && upstreamAtReady();
    if (!cleanBatch || !serverIdle || !fromClient.atBoundary || fromClient.lastType !== TERMINATE || !endsWithTerminate(chunk)) return chunk;
    if (!keepClean && !untouched()) return chunk;
    terminateWithheld = true;
    return chunk.subarray(0, chunk.length - 5);
  };
  const onClientData = (chunk: Buffer) => {
    if (ending) return; // read and dropped while the client is being ended
    counters.bytesFromClient += chunk.length;
    metrics.bytesIn(chunk.length);
    const goodbyeBefore = clientSaidGoodbye;
    const received = chunk;
    if (retrier === null) fromClient.scan(chunk);
    else chunk = onClientDataWithOcc(chunk, retrier);
    if (lendUpstreamOnceUsed && lastClientType !== 0) lendUpstream();
    // A chunk the retrier kept is a copy of the relay's own, no longer the reader's buffer.
    const lentBy = chunk === received ? clientReader : null;
    if (keepUpstream && clientSaidGoodbye) {
      chunk = withholdTerminate(chunk, goodbyeBefore);
      // The server would close now; with its Terminate withheld, the proxy closes for it, so that
      // a client waiting for that close is not left hanging. A client that then keeps its side
      // open is let go after END_GRACE_MS, as the native relay does, and the connection goes back.
      if (terminateWithheld && !goodbyeBefore) {
        client.end();
        setTimeout(teardown, END_GRACE_MS).unref();
        if (upstreamReusable()) handOnUpstream();
      }
      if (chunk.length === 0) return;
    }
    if (!toUpstream(chunk, lentBy)) {
      clientWaitsForUpstream = true;
      client.pause();
    }
  };
  /** The upstream chunk while answers are held: kept, released, or the batch is sent again. */
  const holdOrRetry = (chunk: Buffer, retrier: AnswerRetrier): boolean => {
    if (upstreamReader !== null) chunk = upstreamReader.keep(chunk);
    const overflow = retrier.holdUpstream(chunk);
    fromUpstream.scan(chunk);
    if (overflow) return releaseHeld(overflow);
    if (heldNeedsClient && heldReadyStatus === -1) {
      heldNeedsClient = false;
      return releaseHeld(retrier.releaseAll());
    }
    heldNeedsClient = false;
    if (heldReadyStatus === -1) return true;
    const atChunkEnd = fromUpstream.atBoundary && fromUpstream.lastType === READY_FOR_QUERY;
    const decision = retrier.readyForQuery(heldReadyStatus, atChunkEnd);
    heldReadyStatus = -1;
    if (decision.action === 'release') return releaseHeld(decision.held);
    heldErrors = [];
    // Nothing of the failed attempt reached the client; it waits while the batch goes again.
    client.pause();
    setTimeout(() => {
      if (closed || ending) return;
      started.push(performance.now());
      upstream.write(decision.batch);
      client.resume();
    }, decision.delayMs);
    return true;
  };
  const onUpstreamData = (chunk: Buffer) => {
    if (ending || closed) return;
    counters.bytesToClient += chunk.length;
    metrics.bytesOut(chunk.length);
    let ok: boolean;
    if (retrier !== null && retrier.isHolding) ok = holdOrRetry(chunk, retrier);
    else {
      // An answer that starts before the client's batch is complete (after a Flush, say) has
      // reached the client, so that batch must never be sent again.
      if (retrier !== null && retrier.isRecording) retrier.abandonRecording();
      fromUpstream.scan(chunk);
      ok = toClient(chunk, upstreamReader);
    }
    if (pendingNotice !== null && fromUpstream.atBoundary) {
      ok = client.write(pendingNotice) && ok;
      pendingNotice = null;
    }
    if (!ok) {
      upstreamWaitsForClient = true;
      upstream.pause();
    }
  };
  // A kept upstream goes back to 'data' events for its reset, and a lent reader cannot be taken
  // off a socket again, so with reuse the upstream reads as before. When only an untouched
  // upstream may be kept, it reads lent from the client's first message on (which rules that out).
  const clientReader: LentReader | null = readLent(client, onClientData);
  const toUpstream = lentWriter(upstream);
  const toClient = lentWriter(client);
  let upstreamReader: LentReader | null = keepUpstream ? null : readLent(upstream, onUpstreamData);
  let lendUpstreamOnceUsed = keepUpstream && !keepClean;
  /** Moves the upstream from 'data' events to lent reads, between two of its reads. */
  function lendUpstream(): void {
    lendUpstreamOnceUsed = false;
    if (upstreamWaitsForClient || upstream.readableLength > 0) return;
    upstream.off('data', onUpstreamData);
    upstream.pause();
    upstreamReader = readLent(upstream, onUpstreamData);
    if (upstreamReader === null) upstream.on('data', onUpstreamData);
    upstream.resume();
  }
  if (clientReader === null) client.on('data', onClientData);
  if (upstreamReader === null) upstream.on('data', onUpstreamData);
  // Login left both streams paused (explicitly, so a 'data' listener alone would not start them).
  upstream.resume();
  const onUpstreamDrain = () => {
    if (!clientWaitsForUpstream || ending) return;
    clientWaitsForUpstream = false;
    client.resume();
  };
  upstream.on('drain', onUpstreamDrain);
  client.on('drain', () => {
    if (!upstreamWaitsForClient || ending) return;
    upstreamWaitsForClient = false;
    upstream.resume();
  });

  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  /** The client left cleanly and the upstream sits idle after its last ReadyForQuery. */
  const upstreamReusable = (): boolean =>
    terminateWithheld &&
    !bytesAfterGoodbye &&
    !ending &&
    !upstreamClosed &&
    started.length === 0 &&
    lastReadyStatus === TX_IDLE &&
    upstreamAtReady() &&
    pendingNotice === null &&
    !(retrier?.isHolding ?? false);
  /** The upstream leaves the relay, kept for the next client; what the client still sends is dropped. */
  const handOnUpstream = () => {
    ending = true;
    upstreamKept = true;
    upstreamUntouched = untouched();
    upstream.off('data', onUpstreamData);
    upstream.off('drain', onUpstreamDrain);
    upstream.off('end', upstreamGone);
    upstream.off('close', upstreamGone);
    upstream.off('error', upstreamGone);
    upstream.pause();
    options.onUpstreamKept?.();
  };
  const teardown = () => {
    if (closed) return;
    closed = true;
    metrics.flush();
    if (inTransaction) {
      inTransaction = false;
      observer.transactionClosed?.();
    }
    client.destroy();
    if (upstreamKept) {
      // Handed on already.
    } else if (keepUpstream && upstreamReusable()) handOnUpstream();
    else upstream.destroy();
    finish();
  };
  /**
   * Ends the client with optional last words. Whatever the client still sends is read and
   * dropped, because closing a socket with unread input resets it and could lose those words;
   * the client's own close (or a 2 s limit) then tears the session down.
   */
  const endClient = (lastWords?: Buffer) => {
    ending = true;
    if (!client.writable) {
      teardown();
      return;
    }
    if (lastWords) client.end(lastWords);
    else client.end();
    client.resume();
    setTimeout(teardown, END_GRACE_MS).unref();
  };
  // A half-close from either side ends the session: PostgreSQL connections are not half-duplex.
  client.once('close', teardown);
  client.once('end', () => setImmediate(teardown));
  client.on('error', teardown);
  // The server ended the connection. If it said why (a FATAL ErrorResponse), the client has
  // that already; if not (network failure, a dropped socket), the client gets an ErrorResponse
  // rather than a bare close. A client that sent Terminate expects only the close.
  const upstreamGone = () => {
    upstreamClosed = true;
    if (closed || ending) return;
    const explain = !clientSaidGoodbye && fromUpstream.lastType !== ERROR_RESPONSE && fromUpstream.atBoundary;
    endClient(explain ? encodeErrorResponse(upstreamLost(upstreamName)) : undefined);
  };
  upstream.once('end', upstreamGone);
  upstream.once('close', upstreamGone);
  upstream.on('error', upstreamGone);
  // A side that left before the relay started (a client gone right after its startup message, a
  // cluster connection closed since the login) has no event left to fire: without this the
  // session, and its cluster connection, would wait forever.
  if (client.destroyed || client.readableEnded) setImmediate(teardown);
  else if (upstream.destroyed || upstream.readableEnded) setImmediate(upstreamGone);

  return {
    done,
    get upstreamKept() {
      return upstreamKept;
    },
    get upstreamUntouched() {
      return upstreamUntouched;
    },
    get preparedStatements() {
      return statements.made;
    },
    terminate(fields) {
      if (closed || ending) return;
      ending = true;
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
