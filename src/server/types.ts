// The seam between the shared front (listener, TLS, startup, local auth) and a mode's backend.
// A new mode is a new Backend; nothing in src/server needs to change for it.
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Logger } from '../util/logger.js';
import type { NativeServerTls } from '../iam-relay/native/tls-link.js';
import type { CancelHandler } from './cancel-registry.js';

export interface CancelKey {
  processId: number;
  secretKey: number;
}

/** What a backend receives once the client is authenticated and AuthenticationOk has been sent. */
export interface ClientSession {
  /** The client stream: a net.Socket, or a tls.TLSSocket when the client asked for TLS. */
  readonly stream: Duplex;
  /** The client's TCP socket, under any TLS (absent for sessions not on a socket, in tests). */
  readonly socket?: Socket;
  /** The native addon's link when it runs the client's TLS (stream is then that link's plaintext). */
  readonly nativeLink?: number;
  /** Bytes the client already sent after its StartupMessage (pipelined messages). */
  readonly pending: Buffer;
  /** Startup parameters as the client sent them (user, database, application_name, options, ...). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly user: string;
  readonly database: string;
  readonly remoteAddress: string;
  readonly tls: boolean;
  /** The key this proxy gives the client in BackendKeyData. */
  readonly cancelKey: CancelKey;
  readonly log: Logger;
  /**
   * Called when a CancelRequest with this session's key arrives; a promise when the cancel goes on
   * to a server, settled once it got there (the requester's connection is closed after that).
   */
  onCancel(handler: CancelHandler): void;
  /** Aborted when the listener shuts the session down (SIGTERM drain over, idle timeout...). */
  readonly shutdownSignal: AbortSignal;
  /** Counters the backend reports back for the connection's closing log line and metrics. */
  readonly counters: SessionCounters;
}

export interface SessionCounters {
  bytesFromClient: number;
  bytesToClient: number;
  queries: number;
  /** Errors the client was sent because the way to the upstream failed (counted by the backend). */
  upstreamFailures?: number;
}

/** A session the native door started, for the backend's serve() to carry on with. */
export interface StartedSession {
  /**
   * The listener's socket on the client's descriptor, made after the client was answered (the
   * session may be over by then: the socket is then closed).
   */
  attach(socket: Socket): void;
  /** The session is over already (the listener then makes no socket on the descriptor, and closes it). */
  readonly ended: boolean;
}

/** A client the native door answered: its session runs in the addon already. */
export interface AnsweredAtDoor {
  readonly parameters: Record<string, string>;
  readonly cancelKey: CancelKey;
  readonly counters: SessionCounters;
  readonly started: StartedSession;
}

/** What the listener does for its native door. */
export interface DoorListener {
  /** A client the door does not answer, with the first bytes it sent: the usual path takes it. */
  client(fd: number, first: Buffer): void;
  /**
   * A cancel key for a client the door may answer later (the door holds a few ahead), and how to
   * register what a CancelRequest with it does; until then such a request does nothing.
   */
  grant(): { cancelKey: CancelKey; onCancel(handler: CancelHandler): void };
  /**
   * The door answered a client on descriptor `fd` (the listener's to close once the session
   * ends), whose address was `peer` ("address:port", or "" when the door could not tell), over
   * TLS the door ran when `tls`.
   */
  answered(fd: number, login: AnsweredAtDoor, peer: string, tls: boolean): void;
  /**
   * A client whose TLS the door ran (DoorTls) and did not answer: `fd` for the listener's records
   * (never to be read), the addon's `link` for its TLS, and `bridgeFd`, where its plaintext comes
   * from, beginning with what it sent; `waitedMs` since the door accepted it.
   */
  tlsClient(fd: number, link: number, bridgeFd: number, waitedMs: number): void;
  /** A client's handshake at the door failed (`why`), or it left during it, or it outlasted the startup timeout. */
  tlsFailed(fd: number, why: string, how: DoorTlsFailure, waitedMs: number): void;
  /** A key from grant() that no session holds any more. */
  released(cancelKey: CancelKey): void;
}

/** A listener's native door, open. */
export interface DoorHandle {
  /**
   * How many more clients the door may answer (--max-connections less the listener's own count;
   * 0 once it stops accepting): it counts its own answers down until told again.
   */
  room(room: number): void;
  /** Reports now the clients the door answered and has not reported yet (DoorListener.answered). */
  settle(): void;
  close(): void;
}

/** How a handshake at the native door ended without a startup: it failed, the client left, or it took too long. */
export type DoorTlsFailure = 'failed' | 'closed' | 'timeout';

/** TLS at the native door: the addon's server context (NativeServerTls.context), and how long a handshake may take. */
export interface DoorTls {
  context: number;
  timeoutMs: number;
}

/** The native front door of a listener (door.c, through src/iam-relay/backend.ts). */
export interface NativeDoor {
  /**
   * Takes over accepting on the listening socket `listenFd` (a duplicate: the caller may close
   * its own); null when it cannot. It answers no client before it has been given room. With
   * `tls`, it runs the TLS of SSLRequest clients it may answer itself.
   */
  open(listenFd: number, handoffMs: number, listener: DoorListener, tls: DoorTls | null): DoorHandle | null;
}

export interface Backend {
  readonly mode: string;
  /**
   * Serves one client until it leaves. Rejections are logged; the client gets a FATAL if still
   * there. `started`: the session the native door began for this client.
   */
  serve(session: ClientSession, started?: StartedSession): Promise<void>;
  /**
   * The native front door, for a backend that can answer logins there (warm connections in the
   * native relay); null: none. Only used under trust authentication.
   */
  nativeDoor?(): NativeDoor | null;
  /** Optional readiness probe used by the health endpoint. */
  checkReady?(): Promise<void>;
  close?(): Promise<void>;
  /**
   * TLS from clients run by the native addon rather than Node, for a backend whose sessions the
   * native relay can take whole (SSLRequest clients; direct TLS stays with Node). Null: Node's TLS.
   */
  nativeServerTls?(certPem: string, keyPem: string): NativeServerTls | null;
  /** What moves a session's bytes once it runs (the relay modes): shown where the proxy says it listens. */
  readonly relayDescription?: string;
}
