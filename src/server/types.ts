// The seam between the shared front (listener, TLS, startup, local auth) and a mode's backend.
// A new mode is a new Backend; nothing in src/server needs to change for it.
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Logger } from '../util/logger.js';
import type { NativeServerTls } from '../iam-relay/native/tls-link.js';

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
  /** Called when a CancelRequest with this session's key arrives. */
  onCancel(handler: () => void): void;
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

/** A session a backend started in answerAtOnce(), for its serve() to carry on with. */
export interface StartedSession {
  /**
   * The listener's socket on the client's descriptor, made after the client was answered (the
   * session may be over by then: the socket is then closed).
   */
  attach(socket: Socket): void;
}

/** A client's login as the native front door read it: a StartupMessage nobody has answered yet. */
export interface DoorLogin {
  /** The client's descriptor: nothing has been read from it but the StartupMessage and `pending`. */
  readonly fd: number;
  readonly parameters: Readonly<Record<string, string>>;
  /** What the client sent after its StartupMessage. */
  readonly pending: Buffer;
  readonly cancelKey: CancelKey;
  readonly counters: SessionCounters;
  /** Registers what a CancelRequest with cancelKey does, from the moment the client has the key. */
  onCancel(handler: () => void): void;
}

/** The native front door of a listener (src/iam-relay/native/door.ts). */
export interface NativeDoor {
  /**
   * Takes over accepting on the listening socket `listenFd` (a duplicate: the caller may close
   * its own) and hands each client over as (descriptor, first bytes); null when it cannot.
   */
  open(listenFd: number, handoffMs: number, onClient: (fd: number, first: Buffer) => void): { close(): void } | null;
}

export interface Backend {
  readonly mode: string;
  /**
   * Serves one client until it leaves. Rejections are logged; the client gets a FATAL if still
   * there. `started`: the session answerAtOnce() began for this client.
   */
  serve(session: ClientSession, started?: StartedSession): Promise<void>;
  /**
   * A login this backend can answer at once, without waiting on anything (a warm connection for
   * these parameters, which the native relay takes): it writes the whole login answer,
   * AuthenticationOk first, and starts the session for serve(). Null when it cannot: nothing was
   * written and the listener goes the usual way. Only offered under trust authentication.
   */
  answerAtOnce?(login: DoorLogin): StartedSession | null;
  /** The native front door, for a backend whose answerAtOnce() may succeed; null: none. */
  nativeDoor?(): NativeDoor | null;
  /** Optional readiness probe used by the health endpoint. */
  checkReady?(): Promise<void>;
  close?(): Promise<void>;
  /**
   * TLS from clients run by the native addon rather than Node, for a backend whose sessions the
   * native relay can take whole (SSLRequest clients; direct TLS stays with Node). Null: Node's TLS.
   */
  nativeServerTls?(certPem: string, keyPem: string): NativeServerTls | null;
}
