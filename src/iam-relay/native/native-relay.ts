// A client's session relayed by the native addon: the client's connection (plain, or TLS the addon
// runs) and the cluster connection's TLS both move to C on Node's event loop
// (native/pgrelay/session.c), and nothing in JavaScript runs per round trip. This side keeps the RelayHandle the backend steers (notices,
// termination, the end) and turns the addon's counters into the same metrics and session
// counters as the JavaScript relay, read every half second, before every scrape and at the end.
import type { Socket } from 'node:net';
import { encodeErrorResponse } from '../../protocol/backend-encoder.js';
import type { NoticeFields } from '../../protocol/messages.js';
import type { SessionCounters } from '../../server/types.js';
import type { RelayHandle, RelayObserver } from '../relay.js';
import { onRelayFlush } from '../metric-batcher.js';
import { KeepUpstream, type NativeRelayAddon, type NativeSessionStats } from './addon.js';
import { markJoined, socketFd, stopReading } from './tls-link.js';

const FLUSH_MS = 500;

/** DSQL's optimistic-concurrency retries, as the native relay asks for them. */
export interface NativeRetryPolicy {
  /** Answers held beyond this many bytes are released and the batch is no longer retried. */
  holdLimit: number;
  /** A conflict failed `batch` after `attempt` retries: the delay before it goes again, or -1. */
  decide(batch: Buffer, attempt: number): number;
  outcome(outcome: 'succeeded' | 'exhausted' | 'failed_otherwise'): void;
}

export interface NativeRelayOptions {
  /** Sent to the client when the cluster connection ends without the server saying why. */
  lostMessage: NoticeFields;
  retry?: NativeRetryPolicy | null;
  /**
   * A client that ends cleanly (Terminate after its last answer, idle outside a transaction,
   * nothing in flight) leaves the cluster connection open: with `untouchedOnly`, only when the
   * client never used it (its first message was the Terminate); otherwise after any clean end
   * (--reuse-connections). The addon gives it back on a new link, with no bridge, as soon as the
   * Terminate is read, while the client is still being closed; `onKept` hears of it, with
   * whether the connection is untouched.
   */
  keepUpstream?: {
    untouchedOnly: boolean;
    onKept(through: { nativeLink: number }, preparedStatements: readonly string[] | null, untouched: boolean): void;
  };
}

const live = new Set<() => void>();
let timer: NodeJS.Timeout | null = null;
function flushAll(): void {
  for (const flush of live) flush();
}
onRelayFlush(flushAll);

/** Everything a stream has read and not handed out, taken from it. */
function takeReadAhead(stream: Socket, first: Buffer): Buffer[] {
  const parts = [first];
  for (let chunk: Buffer | null; (chunk = stream.read() as Buffer | null) !== null; ) parts.push(chunk);
  return parts;
}

/** Gives a stream back what takeReadAhead took beyond `first`. */
function giveBack(stream: Socket, parts: Buffer[]): void {
  if (parts.length > 1) stream.unshift(Buffer.concat(parts.slice(1)));
}

/** The client's side of a native session. */
export interface NativeClient {
  /** The client's TCP socket: kept open (unread) until the session ends, for the listener's bookkeeping. */
  socket: Socket;
  /** What JavaScript read the client through: the socket itself, or the bridge of the client's TLS link. */
  stream: Socket;
  /** The client's TLS link, when the addon runs the client's TLS. */
  link?: number;
}

/**
 * A client the native door answered (door.c): only its descriptor at first, and the
 * listener's socket on it once the listener has done its bookkeeping, off the client's path. Until
 * then the session's end leaves the descriptor to the listener, which closes it.
 */
export interface DoorClient {
  fd: number;
  socket: Socket | null;
  /** The session is over (the addon closed its own descriptor). */
  ended: boolean;
}

/**
 * Starts the native session, or returns null when a link is no longer usable (its peer closed
 * the connection since the login). `bridge`: the cluster link's plaintext socket the login used
 * (null for a link that never had one: a connection a session gave back, reset in the addon),
 * with `upstreamAhead` what the login read past ReadyForQuery; `clientAhead`: client bytes read
 * ahead during startup. Both sides' unread bytes go first, in order.
 */
export function startNativeRelay(
  addon: NativeRelayAddon,
  link: number,
  client: NativeClient,
  bridge: Socket | null,
  upstreamAhead: Buffer,
  clientAhead: Buffer,
  counters: SessionCounters,
  observer: RelayObserver,
  options: NativeRelayOptions,
): RelayHandle | null {
  const fd = client.link === undefined ? socketFd(client.socket) : -1;
  if (fd === null) return null;
  // Bytes the sockets read ahead of the relay go first; reading stops before the addon takes over.
  const toUpstream = takeReadAhead(client.stream, clientAhead);
  const toClient = bridge ? takeReadAhead(bridge, upstreamAhead) : [upstreamAhead];
  const retry = options.retry ?? null;
  const session = nativeSession(addon, client, counters, observer, options);
  const id = addon.join(
    link,
    client.link ?? -1,
    fd,
    Buffer.concat(toClient),
    Buffer.concat(toUpstream),
    encodeErrorResponse(options.lostMessage),
    retry !== null,
    retry?.holdLimit ?? 0,
    keepMode(options),
    session.onEvent,
  );
  if (id < 0) {
    // Not taken over: what was read ahead goes back to the sockets for the JavaScript relay.
    giveBack(client.stream, toUpstream);
    if (bridge) giveBack(bridge, toClient);
    return null;
  }
  // The addon owns the connections now; Node must not read the client's (its socket stays open,
  // unread, until the session ends, so that the listener's bookkeeping sees one connection).
  stopReading(client.socket);
  if (client.stream !== client.socket) {
    markJoined(client.stream);
    client.stream.destroy();
  }
  return session.started(id, bridge);
}

/** How a session's cluster connection may outlive the client's goodbye (addon.join's keepUpstream). */
function keepMode(options: NativeRelayOptions): KeepUpstream {
  return !options.keepUpstream ? KeepUpstream.Never : options.keepUpstream.untouchedOnly ? KeepUpstream.Untouched : KeepUpstream.Clean;
}

/** What a native session's events do in JavaScript, and its RelayHandle once it has an id. */
export interface NativeSession {
  /** The addon's calls for this session (the session's id, passed last, is not needed here). */
  onEvent: (kind: string, detail: Buffer | string | number | undefined, attempt: number, statements: string[] | null | undefined) => number | void;
  /**
   * The session took the link whose plaintext end `bridge` was: the handle that steers it. The
   * bridge is closed here, or (null) by the caller when it suits it.
   */
  started(id: number, bridge: Socket | null): RelayHandle;
}

/**
 * A native session's JavaScript side, for a session this side starts (startNativeRelay) or one the
 * native door started on its own (its events then reach onEvent through the door).
 */
export function nativeSession(
  addon: NativeRelayAddon,
  client: NativeClient | DoorClient,
  counters: SessionCounters,
  observer: RelayObserver,
  options: NativeRelayOptions,
): NativeSession {
  const atDoor = 'fd' in client;
  const retry = options.retry ?? null;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let id = -1;
  let ended = false;
  let kept = false;
  let untouched = false;
  let preparedStatements: readonly string[] | null = [];
  const flush = () => {
    if (id < 0) return;
    const s = addon.stats(id);
    if (s) account(s, counters, observer, client.socket);
  };
  const onEvent: NativeSession['onEvent'] = (kind, detail, attempt, statements) => {
    try {
      if (kind === 'retry') return retry ? retry.decide(detail as Buffer, attempt) : -1;
      if (kind === 'outcome') {
        retry?.outcome(detail as 'succeeded' | 'exhausted' | 'failed_otherwise');
        return;
      }
      if (kind === 'kept' || kind === 'kept_untouched') {
        kept = true;
        untouched = kind === 'kept_untouched';
        preparedStatements = statements ?? null;
        options.keepUpstream?.onKept({ nativeLink: attempt }, preparedStatements, untouched);
        return;
      }
      // 'end': the last counters, then the client's socket (the addon has closed its own descriptor).
      flush();
      ended = true;
      live.delete(flush);
      if (live.size === 0 && timer) {
        clearInterval(timer);
        timer = null;
      }
      if (atDoor) client.ended = true;
      else client.stream.destroy();
      client.socket?.destroy();
      finish();
    } catch {
      return -1;
    }
  };
  return {
    onEvent,
    started(sessionId, bridge) {
      id = sessionId;
      // The addon drained the bridge and closed its end; this end has nothing more to carry.
      bridge?.destroy();
      if (!ended) {
        live.add(flush);
        timer ??= setInterval(flushAll, FLUSH_MS).unref();
      }
      return {
        done,
        get upstreamKept() {
          return kept;
        },
        get upstreamUntouched() {
          return untouched;
        },
        get preparedStatements() {
          return preparedStatements;
        },
        terminate(fields: NoticeFields) {
          if (!ended) addon.terminate(id, encodeErrorResponse(fields));
        },
        notice(fields, encode) {
          if (!ended) addon.notice(id, encode(fields));
        },
      };
    },
  };
}

function account(s: NativeSessionStats, counters: SessionCounters, observer: RelayObserver, client: Socket | null): void {
  counters.queries += s.queries;
  counters.bytesFromClient += s.bytesIn;
  counters.bytesToClient += s.bytesOut;
  if (s.bytesIn > 0) observer.bytes?.('client_to_upstream', s.bytesIn);
  if (s.bytesOut > 0) observer.bytes?.('upstream_to_client', s.bytesOut);
  if (s.durations) {
    if (observer.queriesFinished) observer.queriesFinished(s.durations);
    else for (const seconds of s.durations) observer.queryFinished?.(seconds);
  }
  if (s.errors) for (const code of s.errors) observer.queryError?.(code);
  for (let i = 0; i < s.transactionsOpened; i++) observer.transactionOpened?.();
  for (let i = 0; i < s.transactionsClosed; i++) observer.transactionClosed?.();
  // The listener's idle timeout watches the JavaScript socket, which no longer sees the traffic.
  if (s.active && client?.timeout) client.setTimeout(client.timeout);
}
