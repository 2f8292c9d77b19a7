// One TCP listener and the life of each client connection on it: startup, local authentication,
// hand-over to the listener's backend, and the closing log line. A failure in one connection
// ends that connection only.
import { closeSync } from 'node:fs';
import { createServer, Socket, type Server, type AddressInfo, type SocketConstructorOpts } from 'node:net';
import type { SecureContext } from 'node:tls';
import { encodeAuthenticationOk } from '../protocol/backend-encoder.js';
import { SqlState } from '../protocol/sqlstate.js';
import type { Logger } from '../util/logger.js';
import { StartupAbandoned } from './startup-abandoned.js';
import { CancelRegistry } from './cancel-registry.js';
import { ClientFacingError, SessionTermination, sendFatalAndClose } from '../protocol/client-error.js';
import { ClientAuthenticator, type ClientAuthSettings } from './local-auth.js';
import { StreamClosedError } from './message-channel.js';
import { handshakeFailure, negotiateStartup } from './startup.js';
import type { AnsweredAtDoor, Backend, CancelKey, ClientSession, DoorHandle, SessionCounters, StartedSession } from './types.js';
import { isLoopbackHost } from './addresses.js';
import type { NativeServerTls, NativeTlsConnection } from '../iam-relay/native/tls-link.js';

export interface ListenerSettings {
  name: string;
  host: string;
  port: number;
  auth: ClientAuthSettings;
  /** Serve clients without authentication on a non-loopback address. Off unless forced. */
  allowUnauthenticatedRemote: boolean;
  tls: SecureContext | null;
  /** TLS for SSLRequest clients in the native addon instead (see Backend.nativeServerTls). */
  nativeTls?: NativeServerTls | null;
  /** Refuse clients that do not use TLS. */
  requireTls: boolean;
  maxConnections: number;
  startupTimeoutMs: number;
  maxMessageBytes: number;
  /** End sessions with no traffic either way for this long; 0 never. */
  idleTimeoutMs: number;
}

export interface ListenerObserver {
  connectionOpened?(listener: string): void;
  connectionClosed?(listener: string, outcome: string, seconds: number, counters: SessionCounters): void;
}

export type CloseOutcome =
  | 'ok'
  | 'auth_failed'
  | 'rejected'
  | 'protocol_error'
  | 'error'
  | 'cancel_request'
  | 'shutdown'
  | 'idle_timeout'
  | 'upstream_failure'
  | 'closed_before_startup'
  | 'client_gone';

/** A login the native door answered (Backend.nativeDoor). */
interface AnsweredLogin {
  parameters: Record<string, string>;
  pending: Buffer;
  tls: boolean;
  cancelKey: CancelKey;
  counters: SessionCounters;
  started: StartedSession;
  /** The client's "address:port" as the door read it at the answer (its socket may be closed by now). */
  remoteAddress?: string;
}

/**
 * How the native door began a client's startup that it did not answer, when it ran the client's
 * TLS: the TLS connection the startup comes over, or why the handshake failed.
 */
type DoorStart = { established: NativeTlsConnection; waitedMs: number } | { failure: Error; timedOut: boolean };

/** A Node socket on a descriptor from the native door, not reading until asked to. */
function doorSocket(fd: number): Socket {
  return new Socket({ fd, readable: true, writable: true, pauseOnCreate: true } as SocketConstructorOpts);
}

/**
 * The listener's socket for a door session that was over before its records were made: its
 * descriptor is closed, and the records go on with a socket that has none (Node then makes no
 * system call for it). Under pgbench -C most sessions end so, within 10 ms.
 */
function endedDoorSocket(fd: number): Socket {
  closeSync(fd);
  return new Socket().destroy();
}

/** A client that has not written within this long is handed from the native door to the usual path. */
const DOOR_HANDOFF_MS = 1000;
/**
 * How long a session answered at the native door runs before the listener's bookkeeping: past
 * the first round trips a client makes on connecting, which that millisecond of JavaScript would
 * otherwise sit in the middle of.
 */
const DOOR_BOOKKEEPING_DELAY_MS = 10;

/** How a client's connection fails when the client vanishes (killed, reset, unplugged). */
const CLIENT_GONE_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

export class Listener {
  private server: Server | null = null;
  /** The native front door, when it accepts for this listener (openDoor); Node's server is then closed. */
  private door: DoorHandle | null = null;
  private boundAddress: AddressInfo | null = null;
  /** Sessions answered at the door whose records are still to be made (answeredAtDoor), by their timer. */
  private readonly answered = new Map<NodeJS.Timeout, () => void>();
  private readonly authenticator: ClientAuthenticator;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Map<ClientSession, AbortController>();
  /** Connection handlers still running, so shutdown can wait for their closing log lines. */
  private readonly handlers = new Set<Promise<void>>();
  /**
   * Connections past the limit check: authenticating or in session. Counted at the check itself,
   * because authentication awaits the client and others would pass the check meanwhile.
   */
  private admitted = 0;
  private accepting = false;

  constructor(
    readonly settings: ListenerSettings,
    private readonly backend: Backend,
    private readonly log: Logger,
    private readonly cancels: CancelRegistry = new CancelRegistry(),
    private readonly observer: ListenerObserver = {},
  ) {
    if (settings.auth.method === 'trust' && !isLoopbackHost(settings.host) && !settings.allowUnauthenticatedRemote) {
      throw new Error(
        `listener ${settings.name}: refusing to listen on ${settings.host} without client authentication; ` +
          'set a client password (AURORA_PG_PROXY_CLIENT_PASSWORD or --client-password-file) or pass --allow-unauthenticated-remote',
      );
    }
    this.authenticator = new ClientAuthenticator(settings.auth);
  }

  async listen(): Promise<AddressInfo> {
    const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.settings.port, this.settings.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: err.message, listener: this.settings.name }, 'listener error'));
    this.accepting = true;
    const address = server.address() as AddressInfo;
    this.openDoor(server, address);
    return address;
  }

  /**
   * With a backend that can answer logins at its native door (warm connections in the native
   * relay) and clients trusted without a password, the addon accepts and reads each client's
   * first packet itself (Backend.nativeDoor); Node's server closes, the addon's duplicate of its
   * socket keeps listening. Not for a socket Node does not own alone (a --workers worker's,
   * shared through the primary).
   */
  private openDoor(server: Server, address: AddressInfo): void {
    if (this.settings.auth.method !== 'trust' || this.settings.requireTls) return;
    const fd = (server as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return;
    const nativeTls = this.settings.nativeTls ?? null;
    const tls = nativeTls ? { context: nativeTls.context, timeoutMs: this.settings.startupTimeoutMs } : null;
    const door = this.backend.nativeDoor?.()?.open(fd, DOOR_HANDOFF_MS, {
      client: (clientFd, first) => this.atDoor(clientFd, first),
      tlsClient: (clientFd, link, bridgeFd, waitedMs) => {
        const socket = this.fromDoor(clientFd);
        if (!socket) return closeSync(bridgeFd);
        let established: NativeTlsConnection;
        try {
          established = nativeTls!.adopt(socket, link, bridgeFd);
        } catch (err) {
          // The bridge could not be had as a socket: the client goes, and its link with the bridge.
          this.log.error({ err: (err as Error).message, listener: this.settings.name }, 'could not take a TLS client from the native door');
          socket.destroy();
          closeSync(bridgeFd);
          return;
        }
        this.accept(socket, undefined, true, { established, waitedMs });
      },
      tlsFailed: (clientFd, why, how) => {
        const socket = this.fromDoor(clientFd);
        if (socket) this.accept(socket, undefined, true, { failure: handshakeFailure(why, how === 'closed'), timedOut: how === 'timeout' });
      },
      grant: () => {
        const cancelKey = this.cancels.allocate();
        // Held by the door from now on: no other client may be given it.
        this.cancels.register(cancelKey, () => {});
        return { cancelKey, onCancel: (handler) => this.cancels.register(cancelKey, handler) };
      },
      answered: (clientFd, login, peer, tls) => this.answeredAtDoor(clientFd, login, peer, tls),
      released: (cancelKey) => this.cancels.release(cancelKey),
    }, tls);
    if (!door) return;
    this.door = door;
    this.boundAddress = address;
    server.close();
    this.updateDoorRoom();
  }

  /** The door may answer as many clients as --max-connections leaves room for. */
  private updateDoorRoom(): void {
    this.door?.room(this.accepting ? Math.max(0, this.settings.maxConnections - this.admitted) : 0);
  }

  /** A client the native door did not answer: an ordinary Node socket with its first bytes put back. */
  private atDoor(fd: number, first: Buffer): void {
    const socket = this.fromDoor(fd);
    if (!socket) return;
    if (first.length > 0) socket.unshift(first);
    this.accept(socket, undefined, true);
  }

  /** The Node socket of a client the native door hands over, or null (closed) once not accepting. */
  private fromDoor(fd: number): Socket | null {
    if (this.accepting) return doorSocket(fd);
    closeSync(fd);
    return null;
  }

  /**
   * A client the native door answered, reported a moment later (DoorHandle.settle makes it now):
   * its session runs in the addon already. Everything else this listener does for a session (its
   * Node socket, the session's records, log lines, metrics, timers: about a millisecond of
   * JavaScript on this machine) waits for a later turn of the timers, so that whatever the client
   * sends meanwhile is relayed first instead of waiting behind it. Only what must hold from now on
   * is done now: the connection counts against --max-connections (the door counted it until
   * now), and its cancel key works (the backend registered it).
   */
  private answeredAtDoor(fd: number, login: AnsweredAtDoor, peer: string, tls: boolean): void {
    this.admitted += 1;
    this.updateDoorRoom();
    const records = () => {
      this.answered.delete(timer);
      const socket = login.started.ended ? endedDoorSocket(fd) : doorSocket(fd);
      this.accept(socket, { ...login, pending: Buffer.alloc(0), tls, remoteAddress: peer || undefined }, true);
      login.started.attach(socket);
    };
    const timer = setTimeout(records, DOOR_BOOKKEEPING_DELAY_MS);
    this.answered.set(timer, records);
  }

  get address(): AddressInfo | null {
    return this.boundAddress ?? (this.server?.address() as AddressInfo | null) ?? null;
  }

  get openConnections(): number {
    return this.sockets.size + this.answered.size;
  }

  get activeSessions(): number {
    return this.sessions.size + this.answered.size;
  }

  /** Stops accepting new connections; running sessions go on. */
  async stopAccepting(): Promise<void> {
    this.accepting = false;
    this.door?.close();
    this.door = null;
    const server = this.server;
    if (!server?.listening) return;
    // close() stops listening at once; its callback waits until every open connection has
    // ended, and waiting for that here would keep drain() from ever ending them.
    server.close();
  }

  /** Waits up to graceMs for sessions to end, then ends the rest with 57P01. */
  async drain(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    // Sessions answered at the door a moment ago are sessions like any other from here on.
    for (const [timer, records] of this.answered) {
      clearTimeout(timer);
      records();
    }
    while (this.sessions.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const controller of this.sessions.values()) controller.abort(new SessionTermination('shutdown'));
    const hardDeadline = Date.now() + 2000;
    while (this.sockets.size > 0 && Date.now() < hardDeadline) await new Promise((r) => setTimeout(r, 20));
    for (const socket of this.sockets) socket.destroy();
  }

  /**
   * Waits up to timeoutMs for every connection handler to finish (its 'connection closed' line
   * and metrics). A Data API call in flight keeps its session's handler running until the call
   * returns or the backend is closed.
   */
  async settled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.handlers.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  async close(graceMs = 0): Promise<void> {
    await Promise.all([this.stopAccepting(), this.drain(graceMs)]);
  }

  /**
   * `atDoor`: the native door accepted the connection, and set its keepalive as below already;
   * `doorStart`: it ran the client's TLS too.
   */
  private accept(socket: Socket, answered?: AnsweredLogin, atDoor = false, doorStart?: DoorStart): void {
    // An answered client is in session already: it is seen through like any other.
    if (!this.accepting && !answered) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('error', () => {}); // reported through the session's own error paths
    socket.once('close', () => this.sockets.delete(socket));
    if (!atDoor) socket.setKeepAlive(true, 60_000);
    this.observer.connectionOpened?.(this.settings.name);
    const handler = this.handle(socket, answered, doorStart);
    this.handlers.add(handler);
    void handler.finally(() => this.handlers.delete(handler));
  }

  /** One client connection, from its first byte (or, from the native door, already answered) to its end. */
  private async handle(socket: Socket, answered?: AnsweredLogin, doorStart?: DoorStart): Promise<void> {
    const started = Date.now();
    const remoteAddress = answered?.remoteAddress ?? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const counters: SessionCounters = answered?.counters ?? { bytesFromClient: 0, bytesToClient: 0, queries: 0 };
    let user: string | undefined;
    let outcome: CloseOutcome = 'ok';
    /** For the closing line: how a connection that did not end normally went. */
    let closeReason: string | undefined;
    let stream: import('node:stream').Duplex = socket;
    let holdsSlot = false;

    const startupTimedOut = () => {
      this.log.warn({ client: remoteAddress, listener: this.settings.name }, 'startup timeout: closing connection');
      socket.destroy();
    };
    // The startup timeout counts from accept, also for a client the door took through its TLS.
    const waitedMs = doorStart && 'established' in doorStart ? doorStart.waitedMs : 0;
    const startupTimer = answered ? undefined : setTimeout(startupTimedOut, Math.max(0, this.settings.startupTimeoutMs - waitedMs));

    try {
      let login: { parameters: Record<string, string>; pending: Buffer; tls: boolean; nativeLink?: number; cancelKey?: CancelKey };
      if (answered) {
        // The native door answered the login; answeredAtDoor counted it.
        login = answered;
        user = answered.parameters.user;
        holdsSlot = true;
      } else {
        if (doorStart && 'failure' in doorStart) {
          // As the usual path's startup timer would have, before the handshake gave up too.
          if (doorStart.timedOut) startupTimedOut();
          throw doorStart.failure;
        }
        const start = await negotiateStartup(socket, {
          tls: this.settings.tls,
          nativeTls: this.settings.nativeTls ?? null,
          handshakeTimeoutMs: this.settings.startupTimeoutMs,
          maxMessageLength: this.settings.maxMessageBytes,
          established: doorStart?.established,
        });
        if (start.kind === 'cancel') {
          clearTimeout(startupTimer);
          outcome = 'cancel_request';
          // A session the door answered a moment ago has its key registered once reported.
          this.door?.settle();
          // As PostgreSQL, the requester's connection closes once the cancel reached the server:
          // libpq's PQcancel and pgJDBC take that close to mean it did, and send their next
          // statement, which a cancel still on its way would fail.
          const found = await this.cancels.cancel(start);
          this.log.debug({ client: remoteAddress, found }, 'cancel request');
          socket.end();
          return;
        }
        stream = start.stream;
        const params = start.message.parameters;
        user = params.user;
        if (params.replication !== undefined && params.replication !== 'false' && params.replication !== 'off') {
          throw new ClientFacingError(SqlState.FEATURE_NOT_SUPPORTED, 'replication connections are not supported by aurora-pg-proxy');
        }
        if (this.settings.requireTls && !start.tls) {
          throw new ClientFacingError(
            SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
            'this proxy requires TLS: connect with sslmode=require (or stricter)',
          );
        }
        // The door's answers not reported yet count too.
        this.door?.settle();
        if (this.admitted >= this.settings.maxConnections) {
          throw new ClientFacingError(SqlState.TOO_MANY_CONNECTIONS, 'sorry, too many clients already', {
            hint: `aurora-pg-proxy allows ${this.settings.maxConnections} connections on listener ${this.settings.name} (--max-connections)`,
          });
        }
        this.admitted += 1;
        this.updateDoorRoom();
        holdsSlot = true;
        await this.authenticator.authenticate(start.channel, user);
        clearTimeout(startupTimer);
        login = { parameters: params, pending: start.channel.detach(), tls: start.tls, nativeLink: start.nativeLink };
        // PostgreSQL sends AuthenticationOk in one packet with the rest of its login answer. It is
        // held back until the backend has written its part in this turn of the event loop (a warm
        // connection's parameters, the Data API session's settings), so that the client wakes once
        // for the whole answer; a backend that must log in first lets it go out alone.
        stream.cork();
        stream.write(encodeAuthenticationOk());
        setImmediate(() => stream.uncork());
      }

      const { parameters: params, pending } = login;
      const controller = new AbortController();
      const cancelKey = login.cancelKey ?? this.cancels.allocate();
      // Made at its first use, which is after the client's answer (the "connection opened" line
      // waits for it too): a pino child costs tens of microseconds that a warm login should not pay.
      const listenerLog = this.log;
      const listenerName = this.settings.name;
      let sessionLog: Logger | undefined;
      const session: ClientSession = {
        stream,
        socket,
        nativeLink: login.nativeLink,
        pending,
        parameters: params,
        user: user!,
        database: params.database ?? user!,
        remoteAddress,
        tls: login.tls,
        cancelKey,
        get log() {
          return (sessionLog ??= listenerLog.child({ listener: listenerName, client: remoteAddress, user }));
        },
        onCancel: (handler) => this.cancels.register(cancelKey, handler),
        shutdownSignal: controller.signal,
        counters,
      };
      this.sessions.set(session, controller);
      // Written once the client has its answer: a log write is a system call, and the process
      // reading the log (a container runtime, a terminal) competes with the client for the CPU.
      // The door's clients had theirs long ago, and their session may be over already: its
      // closing line must follow this one.
      const opened = () => session.log.info({ database: session.database, tls: login.tls, application: params.application_name }, 'connection opened');
      if (answered) opened();
      else setImmediate(opened);
      if (this.settings.idleTimeoutMs > 0 && !socket.destroyed) {
        socket.setTimeout(this.settings.idleTimeoutMs, () => {
          session.log.info({ idleSeconds: this.settings.idleTimeoutMs / 1000 }, 'idle timeout: ending session');
          controller.abort(new SessionTermination('idle'));
        });
      }
      try {
        await this.backend.serve(session, answered?.started);
        // After Terminate PostgreSQL closes the connection, and clients such as asyncpg wait for
        // that before their close() returns.
        if (!stream.destroyed) stream.end();
        if (controller.signal.aborted) outcome = (controller.signal.reason as SessionTermination)?.kind === 'idle' ? 'idle_timeout' : 'shutdown';
        // The client left on its own, but after an error from a broken upstream: not "ok".
        else if (counters.upstreamFailures) outcome = 'upstream_failure';
      } finally {
        this.sessions.delete(session);
        this.cancels.release(cancelKey);
      }
    } catch (err) {
      clearTimeout(startupTimer);
      if (err instanceof StartupAbandoned) {
        // As PostgreSQL: no reply, and only a quiet log line (startup-abandoned.ts).
        outcome = err.benign ? 'closed_before_startup' : 'protocol_error';
        this.log[err.benign ? 'debug' : 'info']({ client: remoteAddress, reason: err.message }, 'connection closed without a reply');
        stream.destroy();
        return;
      }
      outcome = clientGone(err, socket) ? 'client_gone' : classify(err);
      if (outcome === 'client_gone') {
        // The client's own doing, as for PostgreSQL ("could not receive data from client"): the
        // closing line below says so; nothing is left to answer.
        closeReason = (err as NodeJS.ErrnoException).code;
        stream.destroy();
        return;
      }
      if (outcome === 'error') {
        this.log.error({ client: remoteAddress, user, err: (err as Error).message, stack: (err as Error).stack }, 'session failed');
      } else if (!(err instanceof StreamClosedError)) {
        this.log.info({ client: remoteAddress, user, reason: (err as Error).message }, 'connection refused');
      }
      if (!(err instanceof StreamClosedError)) sendFatalAndClose(stream, err);
      else stream.destroy();
    } finally {
      if (holdsSlot) {
        this.admitted -= 1;
        this.updateDoorRoom();
      }
      const seconds = (Date.now() - started) / 1000;
      if (outcome !== 'cancel_request') {
        this.log.info(
          {
            listener: this.settings.name,
            client: remoteAddress,
            user,
            durationSeconds: seconds,
            bytesFromClient: counters.bytesFromClient,
            bytesToClient: counters.bytesToClient,
            queries: counters.queries,
            ...(counters.upstreamFailures ? { upstreamFailures: counters.upstreamFailures } : {}),
            outcome,
            ...(closeReason ? { reason: closeReason } : {}),
          },
          'connection closed',
        );
      }
      this.observer.connectionClosed?.(this.settings.name, outcome, seconds, counters);
    }
  }
}

/** The client's connection failed under it (reset, broken pipe): the client is gone, not the proxy at fault. */
function clientGone(err: unknown, socket: Socket): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && CLIENT_GONE_CODES.has(code) && socket.destroyed;
}

function classify(err: unknown): CloseOutcome {
  if (err instanceof StreamClosedError) return 'protocol_error';
  const sqlstate = (err as { sqlstate?: string }).sqlstate;
  if (sqlstate === SqlState.INVALID_PASSWORD) return 'auth_failed';
  if (sqlstate === SqlState.PROTOCOL_VIOLATION) return 'protocol_error';
  if (typeof sqlstate === 'string') return 'rejected';
  return 'error';
}
