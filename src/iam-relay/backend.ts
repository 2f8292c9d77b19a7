// The IAM relay shared by the DSQL and rds-iam modes: for each client, sign (or reuse) an IAM
// token, log in to the server with the client's startup parameters, show the client what the
// server said, swap the cancel key for ours, then relay. What differs between the services (the
// signer, the trusted CAs, the wording and the advice on a refused token) comes in the options.
import { encodeBackendKeyData, encodeErrorResponse, encodeNoticeResponse } from '../protocol/backend-encoder.js';
import { ClientFacingError, terminationFields } from '../protocol/client-error.js';
import type { NoticeFields } from '../protocol/messages.js';
import type { AnsweredAtDoor, Backend, ClientSession, DoorHandle, DoorListener, DoorTls, NativeDoor, SessionCounters, StartedSession } from '../server/types.js';
import { IamTokenCache, type IamTokenSigner, type TokenEvents } from './token-cache.js';
import { cancelUpstream, hasSocket, openUpstream, probeUpstream, UpstreamServerError, type UpstreamTarget } from './upstream.js';
import type { RelayHandle, RelayObserver } from './relay.js';
import { startFastRelay, upstreamLost } from './fast-relay.js';
import type { AnswerRetrier } from './answer-retrier.js';
import { LoginPacer, type LoginPacerOptions, type PacerObserver } from './login-pacer.js';
import { DEFAULT_KEY_IDLE_MS, WarmPool, type WarmConnection, type WarmParking, type WarmPoolObserver } from './warm-pool.js';
import { nativeReset, recycleConnection, runResetQuery, type ReuseOptions } from './connection-reuse.js';
import { nativeRelay, nativeRelayUnavailable, type NativeRelayAddon } from './native/addon.js';
import { nativeSession, startNativeRelay, type DoorClient, type NativeRelayOptions, type NativeRetryPolicy } from './native/native-relay.js';
import { openNativeDoor, type DoorGrant, type DoorHoldOutcome, type DoorSessions } from './native/door.js';
import { keptUpstream, nativeServerTls, socketFd, type NativeServerTls } from './native/tls-link.js';
import type { NativeClient } from './native/native-relay.js';
import type { RelayEngine, RelayIo } from './engine-option.js';
import { ConfigError } from '../config/types.js';
import type { Socket } from 'node:net';

/** What a fresh warm connection is checked (and its server process warmed) with. */
const WARM_CHECK_QUERY = 'SELECT 1';
/** A hit's replacement login waits this long, so as not to slow that client's first queries. */
const REFILL_AFTER_HIT_MS = 50;

/** --warm-connections and --reuse-connections. */
export interface WarmConnectionOptions {
  /** Connections kept per key (user, database, startup parameters); 0: none. */
  size: number;
  /** Unused connections are closed at this age (--warm-max-age). */
  maxAgeMs: number;
  /** Keys no client used for this long are no longer kept warm (default 5 minutes). */
  keyIdleMs?: number;
  /** --reuse-connections with its --server-reset-query; none: every session's connection is closed. */
  reuse?: { resetQuery: string; timeoutMs?: number };
}

export interface IamRelayBackendOptions {
  /** The mode name in logs and metrics: 'dsql', 'rds-iam'. */
  mode: string;
  target: UpstreamTarget;
  signer: IamTokenSigner;
  profile?: string;
  tokenTtlSeconds: number;
  credentials?: import('@smithy/types').AwsCredentialIdentityProvider;
  /** The user whose token the readiness check signs. */
  readinessUser: string;
  /** How a lost connection names the server: 'the DSQL cluster'. */
  upstreamName: string;
  /**
   * Advice added to the server's refusal of a login when it refused the token; undefined when the
   * error is not a refused token (then it passes through as the server sent it).
   */
  refusedTokenAdvice(fields: NoticeFields, user: string): string | undefined;
  /** A NOTICE sent this long after login, when the server ends connections at a fixed age (DSQL). */
  lifetimeNotice?: { afterMs: number; fields: NoticeFields };
  /** Token bucket for logins to the server (--max-connect-rate, --connect-burst); none: unpaced. */
  pacing?: LoginPacerOptions;
  /** A fresh retrier for each session that may resend failed batches (DSQL's --occ-retries); none: never. */
  createRetrier?: () => AnswerRetrier | null;
  /** Warm connections and reuse; none: every client logs in itself. */
  warm?: WarmConnectionOptions;
  /** --relay-engine; auto when absent. */
  relayEngine?: RelayEngine;
  /** --relay-io; auto when absent. */
  relayIo?: RelayIo;
  /** The retries (DSQL's --occ-retries) as the native relay runs them; none: never. */
  nativeRetry?: NativeRetryPolicy | null;
}

export interface IamRelayObserver extends RelayObserver, TokenEvents, PacerObserver, WarmPoolObserver {
  upstreamConnected?(result: 'success' | 'failure', seconds: number): void;
  /** A session's relay started: the native addon's, or the JavaScript one. */
  relayStarted?(engine: 'native' | 'node'): void;
  /** The native door answered a login from a parked warm connection. */
  doorAnswered?(): void;
  /** `count` clients held at the door for a connection being reset were let go so, after `seconds` in all. */
  doorHeld?(outcome: DoorHoldOutcome, count: number, seconds: number): void;
}

/** How a session's relay ended, for the warm set. */
interface SessionEnd {
  upstreamKept: boolean;
  upstreamUntouched: boolean;
  preparedStatements: readonly string[] | null;
}

/** Whether a session's connection was handed on, which turns its client's cancel key off. */
interface SessionRun {
  handedOn: boolean;
}

/** Gives a session's connection back, once. */
interface Keeper {
  recycled: boolean;
  keep: KeepUpstream;
}

/** What the native door started, for serve() to carry on with. */
interface AnsweredSession extends StartedSession {
  parameters: Record<string, string>;
  lent: boolean;
  conn: WarmConnection;
  keeper: Keeper;
  run: SessionRun;
  relay: RelayHandle;
  noticeTimer: NodeJS.Timeout | null;
}

/**
 * Hands a session's cluster connection back: to its reset, with the prepared statements the
 * client made (null: not followed), or, untouched, straight to the warm set; `through` replaces
 * how the connection is reached.
 */
type KeepUpstream = (
  through: Partial<Pick<WarmConnection['upstream'], 'nativeLink'>>,
  preparedStatements: readonly string[] | null,
  untouched: boolean,
) => void;

export class IamRelayBackend implements Backend {
  readonly mode: string;
  readonly tokens: IamTokenCache;
  private readonly pacer: LoginPacer | null;
  /** Present with --warm-connections above 0. */
  readonly warmPool: WarmPool | null;
  private readonly reuse: ReuseOptions | null;
  /** The native relay, when sessions may use it. */
  private readonly addon: NativeRelayAddon | null;
  /** The native door's side of the warm set, while a listener's door is open. */
  private parking: WarmParking | null = null;

  constructor(
    private readonly opts: IamRelayBackendOptions,
    private readonly observer: IamRelayObserver = {},
  ) {
    this.mode = opts.mode;
    this.tokens = new IamTokenCache(
      {
        signer: opts.signer,
        profile: opts.profile,
        ttlSeconds: opts.tokenTtlSeconds,
        credentials: opts.credentials,
      },
      observer,
    );
    this.pacer = opts.pacing ? new LoginPacer({ upstreamName: opts.upstreamName, ...opts.pacing }, observer) : null;
    const warm = opts.warm;
    this.warmPool =
      warm && warm.size > 0
        ? new WarmPool(
            {
              size: warm.size,
              maxAgeMs: warm.maxAgeMs,
              keyIdleMs: warm.keyIdleMs ?? DEFAULT_KEY_IDLE_MS,
              refillAfterHitMs: REFILL_AFTER_HIT_MS,
              // Opened before any client is known: through the native TLS when there is one, which a
              // client on TLS can still use (its JavaScript relay reads the bridge).
              open: (parameters) => this.login(parameters, this.addon !== null).then((conn) => this.primed(conn)),
              parking: () => this.parking,
            },
            // A failed background login shows in upstream_connect_duration_seconds{result="failure"}.
            pick(observer),
          )
        : null;
    this.reuse =
      this.warmPool && warm?.reuse
        ? {
            resetQuery: warm.reuse.resetQuery,
            timeoutMs: warm.reuse.timeoutMs ?? opts.target.connectTimeoutMs,
            maxMessageBytes: opts.target.maxMessageBytes,
            maxAgeMs: warm.maxAgeMs,
          }
        : null;
    const engine = opts.relayEngine ?? 'auto';
    if (engine === 'native' && nativeRelay() === null) throw new ConfigError('--relay-engine', `native is not available: ${nativeRelayUnavailable()}`);
    this.addon = engine === 'node' ? null : nativeRelay();
    // A relay waits on Node's loop once per direction of each round trip; each wait costs one
    // epoll call instead of two without the loop's idle-time measuring (addon.c).
    this.addon?.stopIdleTimeMetrics();
    this.relayDescription = this.addon ? `native on ${this.chooseIo(opts.relayIo ?? 'auto', this.addon)}` : 'node';
  }

  /** What relays this listener's sessions, for the line that says the proxy listens. */
  readonly relayDescription: string;

  private chooseIo(io: RelayIo, addon: NativeRelayAddon): string {
    if (io === 'epoll') return 'epoll';
    const refused = addon.useIoUring();
    if (refused === '') return 'io_uring';
    if (io === 'io_uring') throw new ConfigError('--relay-io', `io_uring is not available: ${refused}`);
    return `epoll (io_uring: ${refused})`;
  }

  /**
   * How long a client waits for a connection of its key whose reset runs now (at the door, or in
   * takeOrWait): a reset is one round trip, a login several.
   */
  private get resetWaitMs(): number {
    return this.reuse ? Math.min(this.reuse.timeoutMs, 2000) : 0;
  }

  /** A paced login with these startup parameters; its age counts from when the login began. */
  private async login(parameters: Record<string, string>, native: boolean): Promise<WarmConnection> {
    const t0 = performance.now();
    try {
      // A refused turn (53400) counts as a failed login: the client never reached the server.
      await this.pacer?.acquire(this.opts.target.connectTimeoutMs);
      const openedAt = performance.now();
      const upstream = await openUpstream(this.opts.target, parameters, () => this.tokens.token(parameters.user ?? ''), native ? this.addon : null);
      this.observer.upstreamConnected?.('success', (performance.now() - t0) / 1000);
      return { upstream, openedAt };
    } catch (err) {
      this.observer.upstreamConnected?.('failure', (performance.now() - t0) / 1000);
      throw err;
    }
  }

  /**
   * A fresh warm connection answers one `SELECT 1` before it is offered: a connection that cannot
   * answer is never handed out, and the server process has loaded what every first query needs
   * (on PostgreSQL a new backend's first statement costs about five times a later one), so the
   * client's first query is as quick as its second. It changes nothing in the session.
   */
  private async primed(conn: WarmConnection): Promise<WarmConnection> {
    const ok = await runResetQuery(conn, {
      resetQuery: WARM_CHECK_QUERY,
      timeoutMs: this.opts.target.connectTimeoutMs,
      maxMessageBytes: this.opts.target.maxMessageBytes,
    });
    if (ok) return conn;
    conn.upstream.socket.destroy();
    throw new Error(`a new connection to ${this.opts.upstreamName} did not answer ${WARM_CHECK_QUERY}`);
  }

  async serve(session: ClientSession, started?: StartedSession): Promise<void> {
    if (started) return this.serveAnswered(session, started as AnsweredSession);
    const parameters = { ...session.parameters, user: session.user };
    // With reuse, this session holds a place in its key's warm set until its connection is back.
    const lent = this.reuse !== null;
    // Sessions whose goodbye the io_uring already received give their connections back first.
    if (this.warmPool) this.addon?.catchUp();
    let conn = this.warmPool ? await this.warmPool.takeOrWait(parameters, lent, this.resetWaitMs) : null;
    const keeper = this.keeperFor(parameters, lent, () => conn);
    await this.finishing(parameters, lent, keeper, async () => {
      if (!conn) {
        try {
          // A client the native relay cannot take keeps the JavaScript relay, and Node's TLS upstream with it.
          conn = await this.login(parameters, nativeClientOf(session, this.addon) !== null);
        } catch (err) {
          throw explainLoginFailure(err, (fields) => this.opts.refusedTokenAdvice(fields, session.user));
        }
      }
      return this.relaySession(session, conn, keeper.keep);
    });
  }

  /**
   * A client the native door answered from the warm connection parked as `parked`, whose session
   * runs already on descriptor `fd`: the connection leaves the warm set as a hit, and the session
   * gets its JavaScript side (its events arrive through the door from here on). Null when the
   * warm set no longer had it (then the session is ended).
   */
  private answeredAtDoor(addon: NativeRelayAddon, parked: number, sessionId: number, fd: number, grant: DoorGrant, sessions: DoorSessions): AnsweredAtDoor | null {
    const lent = this.reuse !== null;
    const taken = this.warmPool?.takeParked(parked, lent);
    if (!taken) {
      // Not from inside this report: it may come from within one of the session's own events.
      setImmediate(() => addon.terminate(sessionId, encodeErrorResponse(upstreamLost(this.opts.upstreamName))));
      return null;
    }
    const { parameters, conn, unwatch } = taken;
    const counters: SessionCounters = { bytesFromClient: 0, bytesToClient: 0, queries: 0 };
    const run: SessionRun = { handedOn: false };
    const keeper = this.keeperFor(parameters, lent, () => conn);
    const client: DoorClient = { fd, socket: null, ended: false };
    // Whether the connection may come back untouched the door decided (no bytes after the startup).
    const native = nativeSession(addon, client, counters, this.observer, this.nativeRelayOptions(this.handOn(keeper.keep, run), true));
    sessions.set(sessionId, native.onEvent);
    // Its bridge (drained, its other end closed) is let go with the listener's records, off the
    // path of the client's first query.
    const relay = native.started(sessionId, null);
    this.observer.relayStarted?.('native');
    this.observer.doorAnswered?.();
    this.guardCancel(grant.onCancel, conn, run);
    const started: AnsweredSession = {
      parameters,
      lent,
      conn,
      keeper,
      run,
      relay,
      // Now, not with the rest of the session's records: a notice already due goes out at once.
      noticeTimer: this.scheduleLifetimeNotice(relay, conn.openedAt),
      attach(socket) {
        unwatch();
        // Its bridge, if JavaScript ever made one: the session took the link.
        if (hasSocket(conn.upstream)) conn.upstream.socket.destroy();
        client.socket = socket;
        if (client.ended) socket.destroy();
      },
      get ended() {
        return client.ended;
      },
    };
    return { parameters, cancelKey: grant.cancelKey, counters, started };
  }

  /** The rest of a session the native door started. */
  private async serveAnswered(session: ClientSession, a: AnsweredSession): Promise<void> {
    await this.finishing(a.parameters, a.lent, a.keeper, () => this.awaitRelay(session, a.relay, a.noticeTimer, a.run));
  }

  /**
   * Gives a session's connection back once (see KeepUpstream): the reset runs after the session,
   * off the client's path, as soon as the native relay gives the connection back or once the
   * JavaScript relay is done. A connection the client never used (a health probe's: login, then
   * goodbye) needs no reset and goes back as it was, reuse or not: such probes would otherwise
   * cost a cluster login each.
   */
  private keeperFor(parameters: Record<string, string>, lent: boolean, connection: () => WarmConnection | null): Keeper {
    const keeper: Keeper = {
      recycled: false,
      keep: (through, preparedStatements, untouched) => {
        const conn = connection();
        if (keeper.recycled || !conn || !this.warmPool || (!untouched && !this.reuse)) return;
        keeper.recycled = true;
        // Given back by the native relay on a link of its own, reset by the addon; or the same socket, reset from here.
        const link = through.nativeLink;
        const native = link !== undefined && this.addon !== null;
        const upstream = native ? keptUpstream(this.addon!, conn.upstream, link) : { ...conn.upstream, ...through, pending: Buffer.alloc(0) };
        const kept: WarmConnection = { upstream, openedAt: conn.openedAt };
        if (untouched) this.warmPool.returned(parameters, kept, { lent, source: 'untouched' });
        else void recycleConnection(this.warmPool, parameters, kept, preparedStatements, this.reuse!, native ? nativeReset(this.addon!) : runResetQuery);
      },
    };
    return keeper;
  }

  /** Runs a session's relay to its end, then gives its connection (or its place) back. */
  private async finishing(parameters: Record<string, string>, lent: boolean, keeper: Keeper, relayed: () => Promise<SessionEnd>): Promise<void> {
    let ending: SessionEnd = { upstreamKept: false, upstreamUntouched: false, preparedStatements: [] };
    try {
      ending = await relayed();
    } finally {
      // A recycled connection gives its place back when its reset is over.
      if (lent && !keeper.recycled && !ending.upstreamKept) this.warmPool?.returned(parameters, null, { lent });
    }
    if (ending.upstreamKept) keeper.keep({}, ending.preparedStatements, ending.upstreamUntouched);
  }

  /**
   * Once the connection is handed on (reuse, or untouched), its server session may be serving
   * another client: this client's cancel key must no longer reach it.
   */
  private guardCancel(onCancel: ClientSession['onCancel'], conn: WarmConnection, run: SessionRun): void {
    const { backendKey } = conn.upstream;
    if (backendKey) onCancel(() => (run.handedOn ? undefined : cancelUpstream(this.opts.target, backendKey)));
  }

  private handOn(keep: KeepUpstream, run: SessionRun): KeepUpstream {
    return (through, preparedStatements, untouched) => {
      run.handedOn = true;
      keep(through, preparedStatements, untouched);
    };
  }

  /** Relays one session until either side leaves; says whether its upstream was left open for reuse. */
  private async relaySession(session: ClientSession, conn: WarmConnection, keep: KeepUpstream): Promise<SessionEnd> {
    const { upstream, openedAt } = conn;
    const run: SessionRun = { handedOn: false };
    this.guardCancel(session.onCancel, conn, run);
    const client = session.stream;
    client.write(Buffer.concat([...upstream.loginFrames, encodeBackendKeyData(session.cancelKey.processId, session.cancelKey.secretKey), upstream.readyFrame]));
    const handOn = this.handOn(keep, run);
    const relay = (await this.startNativeRelay(session, upstream, handOn)) ?? this.startNodeRelay(session, upstream, handOn);
    return this.awaitRelay(session, relay, this.scheduleLifetimeNotice(relay, openedAt), run);
  }

  private async awaitRelay(session: ClientSession, relay: RelayHandle, noticeTimer: NodeJS.Timeout | null, run: SessionRun): Promise<SessionEnd> {
    const onShutdown = () => relay.terminate(terminationFields(session.shutdownSignal.reason));
    session.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    try {
      await relay.done;
    } finally {
      session.shutdownSignal.removeEventListener('abort', onShutdown);
      if (noticeTimer) clearTimeout(noticeTimer);
      if (relay.upstreamKept) run.handedOn = true;
    }
    return { upstreamKept: relay.upstreamKept, upstreamUntouched: relay.upstreamUntouched, preparedStatements: relay.preparedStatements };
  }

  /** The JavaScript relay: over Node's TLS, or over the bridge of a native link. */
  private startNodeRelay(session: ClientSession, upstream: WarmConnection['upstream'], keep: KeepUpstream): RelayHandle {
    const client = session.stream;
    if (upstream.pending.length > 0) client.write(upstream.pending);
    if (session.pending.length > 0) upstream.socket.write(session.pending);
    const relay = startFastRelay(client, upstream.socket, session.counters, this.observer, {
      upstreamName: this.opts.upstreamName,
      retrier: this.opts.createRetrier?.() ?? null,
      keepUpstreamOnCleanEnd: this.reuse !== null,
      keepUntouchedUpstream: this.keepsUntouched(session, upstream),
      onUpstreamKept: () => keep({}, relay.preparedStatements, relay.upstreamUntouched),
    });
    client.resume();
    this.observer.relayStarted?.('node');
    return relay;
  }

  /**
   * TLS from this listener's clients in the addon too, so that the native relay takes them whole
   * (psql, libpq and pgJDBC ask for TLS by default). Not when sessions cannot go native.
   */
  nativeServerTls(certPem: string, keyPem: string): NativeServerTls | null {
    return this.addon ? nativeServerTls(this.addon, certPem, keyPem) : null;
  }

  /**
   * The native relay, for a client on plain TCP or on the addon's TLS, when the addon runs the
   * cluster connection's TLS too; null when the session does not qualify. The login answer
   * already written goes out first, in one packet with AuthenticationOk (the listener corked it),
   * before the addon takes the connections.
   */
  private async startNativeRelay(session: ClientSession, upstream: WarmConnection['upstream'], keep: KeepUpstream): Promise<RelayHandle | null> {
    const addon = this.addon;
    const native = nativeClientOf(session, addon);
    if (addon === null || native === null || upstream.nativeLink === undefined) return null;
    const client = native.stream;
    while (client.writableCorked > 0) client.uncork();
    if (client.writableLength > 0) await new Promise((resolve) => client.once('drain', resolve));
    const relay = startNativeRelay(
      addon,
      upstream.nativeLink,
      native,
      // A connection the addon reset has no bridge, and needs none to be taken.
      hasSocket(upstream) ? upstream.socket : null,
      upstream.pending,
      session.pending,
      session.counters,
      this.observer,
      this.nativeRelayOptions(keep, this.keepsUntouched(session, upstream)),
    );
    if (relay) {
      this.observer.relayStarted?.('native');
      return relay;
    }
    // The cluster closed the connection since the login (or the client left): the JavaScript
    // relay over the bridge reports it as it would any loss.
    return this.startNodeRelay(session, upstream, keep);
  }

  /**
   * A session's connection goes back to the warm set if the client never uses it: with warm
   * connections on, and when nothing was read ahead on either side before the relay.
   */
  private keepsUntouched(session: { pending: Buffer }, upstream: WarmConnection['upstream']): boolean {
    return this.warmPool !== null && session.pending.length === 0 && upstream.pending.length === 0;
  }

  private nativeRelayOptions(keep: KeepUpstream, keepUntouched: boolean): NativeRelayOptions {
    return {
      lostMessage: upstreamLost(this.opts.upstreamName),
      retry: this.opts.nativeRetry ?? null,
      keepUpstream: this.reuse || keepUntouched ? { untouchedOnly: this.reuse === null, onKept: keep } : undefined,
    };
  }

  /**
   * The native front door (door.c) for a listener: idle warm connections are parked there, and a
   * client whose StartupMessage matches one is answered by the addon before any JavaScript runs,
   * with a cancel key handed over ahead (DoorListener.grant) and within the room the listener
   * leaves it (DoorHandle.room).
   */
  nativeDoor(): NativeDoor | null {
    const addon = this.addon;
    const pool = this.warmPool;
    if (!addon || !pool) return null;
    return { open: (listenFd, handoffMs, listener, tls) => this.openDoor(addon, pool, listenFd, handoffMs, listener, tls) };
  }

  private openDoor(addon: NativeRelayAddon, pool: WarmPool, listenFd: number, handoffMs: number, listener: DoorListener, tls: DoorTls | null): DoorHandle | null {
    if (this.parking) return null; // one door per backend: its parked connections are the door's
    const retry = this.opts.nativeRetry ?? null;
    const opened = openNativeDoor({
      addon,
      pool,
      listener,
      listenFd,
      handoffMs,
      tls,
      lostMessage: encodeErrorResponse(upstreamLost(this.opts.upstreamName)),
      occ: retry !== null,
      holdLimit: retry?.holdLimit ?? 0,
      keepClean: this.reuse !== null,
      resetWaitMs: this.resetWaitMs,
      answered: (parked, session, fd, grant, sessions) => this.answeredAtDoor(addon, parked, session, fd, grant, sessions),
      closed: () => {
        this.parking = null;
      },
      held: (outcome, count, seconds) => this.observer.doorHeld?.(outcome, count, seconds),
    });
    if (!opened) return null;
    this.parking = opened.parking;
    pool.parkIdle();
    return opened.handle;
  }

  /** Closes the warm connections (Terminate to each). */
  async close(): Promise<void> {
    await this.warmPool?.close();
  }

  async checkReady(): Promise<void> {
    // A token can be signed (credentials are there) and the endpoint completes a TLS handshake.
    await this.tokens.token(this.opts.readinessUser);
    await probeUpstream(this.opts.target);
  }

  /** The notice falls due counting from when the upstream connection was opened, not handed out. */
  private scheduleLifetimeNotice(relay: RelayHandle, openedAt: number): NodeJS.Timeout | null {
    const notice = this.opts.lifetimeNotice;
    if (!notice) return null;
    const due = notice.afterMs - (performance.now() - openedAt);
    const timer = setTimeout(() => relay.notice(notice.fields, encodeNoticeResponse), Math.max(0, due));
    timer.unref();
    return timer;
  }
}

/**
 * Passes the server's own login errors through, adding what to do when the token was refused.
 */
function explainLoginFailure(err: unknown, adviceFor: (fields: NoticeFields) => string | undefined): unknown {
  if (!(err instanceof UpstreamServerError)) return err;
  const f = err.fields;
  const advice = adviceFor(f);
  if (!advice) return new ClientFacingError(f.code, f.message, { ...f });
  return new ClientFacingError(f.code, f.message, { ...f, hint: f.hint ? `${f.hint}\n${advice}` : advice });
}

/** The client as the native relay takes it, or null: a session on Node's TLS, or not on a socket. */
function nativeClientOf(session: ClientSession, addon: NativeRelayAddon | null): NativeClient | null {
  const socket = session.socket;
  if (addon === null || !socket || socket.destroyed) return null;
  if (session.nativeLink !== undefined) return { socket, stream: session.stream as Socket, link: session.nativeLink };
  return session.stream === socket && socketFd(socket) !== null ? { socket, stream: socket } : null;
}

/** The pool's part of the observer, bound so that the pool can call the methods on their own. */
function pick(observer: IamRelayObserver): WarmPoolObserver {
  return {
    warmIdle: observer.warmIdle?.bind(observer),
    warmRequest: observer.warmRequest?.bind(observer),
    warmAdded: observer.warmAdded?.bind(observer),
    warmClosed: observer.warmClosed?.bind(observer),
    warmOpenFailed: observer.warmOpenFailed?.bind(observer),
  };
}
