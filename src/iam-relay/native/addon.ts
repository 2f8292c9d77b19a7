// Loads the native relay (native/pgrelay, built by scripts/build-native.mjs into build/): the data
// path of a DSQL or RDS IAM session in C on Node's own event loop, with OpenSSL from Node itself.
// A machine without a compiler at install time, or a Node whose OpenSSL the addon cannot use, has
// none; the relay then runs in JavaScript (fast-relay.ts) and `--relay-engine native` says why.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** When a native session's cluster connection outlives the client's goodbye (pgrelay.h's KEEP_*). */
export const KeepUpstream = {
  Never: 0,
  /** Only when the client never used it: Terminate as its first message, nothing from the server. */
  Untouched: 1,
  /** After any clean end (--reuse-connections). */
  Clean: 2,
} as const;
export type KeepUpstream = (typeof KeepUpstream)[keyof typeof KeepUpstream];

export interface NativeRelayAddon {
  /** An OpenSSL client context trusting these PEM certificates; returns its number. */
  createClientContext(caPem: string): number;
  /** An OpenSSL server context with the proxy's certificate (and chain) and key; returns its number. */
  createServerContext(certPem: string, keyPem: string): number;
  /**
   * Starts TLS on a connected socket whose SSLRequest was answered 'S': as the client, verifying
   * `servername`, or (servername null) as the server. The callback hears ('ready', bridgeFd, 0),
   * ('error', message, verifyCode) or, when the peer went away mid-handshake, ('closed', message,
   * 0), once, never within this call.
   */
  openTls(context: number, fd: number, servername: string | null, callback: (kind: 'ready' | 'error' | 'closed', detail: number | string, verify: number) => void): number;
  closeLink(link: number): void;
  /** JavaScript's end of a bridge made now for a link a session gave back without one, or -1 (gone, resetting, bridged). */
  bridgeLink(link: number): number;
  /**
   * Sends `bytes` (Close and Sync, then the reset Query) on a link with no bridge and reads the
   * answers in the addon; onLinkResets's callback hears (ok, link) once, ok when `readyCount`
   * ReadyForQuery came idle with no error, no COPY and nothing more (a failed link is closed
   * first). False when the reset cannot start (nothing is heard then).
   */
  resetLink(link: number, bytes: Buffer, readyCount: number, timeoutMs: number): boolean;
  /** The one function every resetLink reports to (a later call replaces it). */
  onLinkResets(callback: (ok: boolean, link: number) => void): void;
  /**
   * Hands the cluster link's TLS connection and the client (its TLS link, or with clientLink -1
   * the plain socket clientFd) to a native session; -1 when a link is gone. With keepUpstream
   * above KeepUpstream.Never, a client that ends cleanly (with Untouched: before it used the
   * connection at all) leaves the cluster connection open: the callback then hears ('kept', or
   * 'kept_untouched' when nothing passed, bridgeFd, newLink, preparedStatements) before the
   * session's 'end': the names of the prepared statements the client made (latin1, byte for
   * byte; followed only with Clean), or null when the session could not follow them all.
   */
  join(
    link: number,
    clientLink: number,
    clientFd: number,
    toClient: Buffer,
    toUpstream: Buffer,
    lostMessage: Buffer,
    occ: boolean,
    holdLimit: number,
    keepUpstream: KeepUpstream,
    callback: (kind: 'retry' | 'outcome' | 'kept' | 'kept_untouched' | 'end', detail: Buffer | string | number | undefined, attempt: number, statements: string[] | null | undefined) => number | void,
  ): number;
  /**
   * The native front door (door.c): accepts clients on a duplicate of the listening socket
   * `listenFd` (which Node may then close) and reads each one's first packet. The callback hears
   * ('client', fd, firstBytes) for a client it hands over (the descriptor is then the caller's;
   * no bytes when it sent nothing within handoffMs, or is gone). A StartupMessage that matches a
   * parked connection is answered there with a key from doorGrant, within doorRoom; the callback
   * hears ('answered', parkId, session, fd, processId, secretKey, peer) announceMs later, or
   * before the session's first event, or at doorSettle (the descriptor is still the caller's to
   * close; peer is the client's "address:port", "" when unknown). Every client accepted there has
   * TCP keepalive on, probing after 60 s idle.
   * ('gone', parkId) or ('heard', parkId): a parked connection's server closed it or sent
   * something, and the door let it go. The sessions' own calls go to sessionEvents, their id
   * last. Returns the door's number, or -1.
   * With tlsContext (a createServerContext number; -1: none), an SSLRequest is answered there
   * while a connection is parked or being reset, and the client's TLS is run there: 'answered'
   * then ends with tls true and its fd is a duplicate of the session's; a client not answered
   * comes as ('tls-client', fd, link, bridgeFd, waitedMs): the descriptor for the caller's records
   * (never to be read), the link its TLS now runs on, the bridge its plaintext comes through (what
   * the door read first included), and the milliseconds since it was accepted; one whose handshake
   * failed, or that left during it, as ('tls-failed', fd, why, how, waitedMs), `how` 0 failed, 1
   * gone, 2 not done within tlsTimeoutMs.
   */
  openDoor(
    listenFd: number,
    handoffMs: number,
    callback: (
      kind: 'client' | 'answered' | 'gone' | 'heard' | 'tls-client' | 'tls-failed',
      a: number,
      b: Buffer | number | string,
      c: number,
      /** The ProcessID of 'answered'; the milliseconds since accept of 'tls-client' and 'tls-failed'. */
      d?: number,
      secretKey?: number,
      peer?: string,
      tls?: boolean,
    ) => unknown,
    sessionEvents: (kind: string, detail: Buffer | string | number | undefined, attempt: number, statements: string[] | null | undefined, session: number) => number | void,
    lostMessage: Buffer,
    occ: boolean,
    holdLimit: number,
    keepClean: boolean,
    announceMs: number,
    resetWaitMs: number,
    tlsContext: number,
    tlsTimeoutMs: number,
  ): number;
  /** Gives the door a cancel key for a client it answers; false when it is gone or has enough. */
  doorGrant(door: number, processId: number, secretKey: number): boolean;
  /** How many more clients the door may answer; each answer counts it down. */
  doorRoom(door: number, room: number): void;
  /** Reports now, through openDoor's callback, the sessions the door started and has not reported. */
  doorSettle(door: number): void;
  /**
   * How many connections parked under `key` (door-key.ts) are being reset now: while there are
   * any, a client asking for that key is held at the door, up to openDoor's resetWaitMs, and
   * answered from the first one parked; with none left it goes the usual way.
   */
  doorResetting(door: number, key: Buffer, count: number): void;
  /**
   * The holds (doorResetting) ended since the door opened: how many were answered at the door,
   * went to log in, or left, then how long each of those three waited in all (ms); null when the
   * door is gone.
   */
  doorHolds(door: number): number[] | null;
  /** Stops accepting (and closes the clients that have not written yet); its parked connections go back. */
  closeDoor(door: number): void;
  /**
   * Offers the warm connection on `link` to the door's clients whose canonical startup parameters
   * (door-key.ts) are `key`; `frames` is its login's answer up to ReadyForQuery, `ready` that.
   */
  park(door: number, parkId: number, key: Buffer, link: number, frames: Buffer, ready: Buffer): boolean;
  /** Takes a parked connection back; false when the door no longer has it. */
  unpark(door: number, parkId: number): boolean;
  notice(session: number, message: Buffer): void;
  terminate(session: number, message: Buffer): void;
  stats(session: number): NativeSessionStats | undefined;
  /**
   * Stops Node's loop from measuring its idle time, which makes libuv ask epoll twice before
   * every wait (see addon.c); false when this libuv's layout is not one the addon knows, or the
   * measuring was already off. performance.eventLoopUtilization() stops moving afterwards.
   */
  stopIdleTimeMetrics(): boolean;
  /** Sessions started from now on use this loop's io_uring: "" when they will, else why not. */
  useIoUring(): string;
  /** Runs what the io_uring completed already (nothing when it is not in use). */
  catchUp(): void;
  readonly openssl: string;
}

/** What a session did since its stats were last read. */
export interface NativeSessionStats {
  queries: number;
  bytesIn: number;
  bytesOut: number;
  transactionsOpened: number;
  transactionsClosed: number;
  /** Bytes moved since the last read (for the client's idle timeout). */
  active: boolean;
  durations?: Float64Array;
  errors?: string[];
}

const ADDON_PATH = fileURLToPath(new URL('../../../build/pgrelay.node', import.meta.url));

let loaded: { addon: NativeRelayAddon | null; reason: string } | null = null;

function load(): { addon: NativeRelayAddon | null; reason: string } {
  if (!existsSync(ADDON_PATH)) return { addon: null, reason: `${ADDON_PATH} was not built (npm run build compiles it where a C compiler is present)` };
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeRelayAddon;
    return { addon, reason: '' };
  } catch (err) {
    return { addon: null, reason: `${ADDON_PATH} does not load on this Node: ${(err as Error).message}` };
  }
}

/** The native relay, or null (then `nativeRelayUnavailable()` says why). */
export function nativeRelay(): NativeRelayAddon | null {
  loaded ??= load();
  return loaded.addon;
}

export function nativeRelayUnavailable(): string {
  loaded ??= load();
  return loaded.reason;
}
