// Warm connections (--warm-connections N): for each key (user, database and every other startup
// parameter a client sent) used recently, up to N upstream connections already through TLS and
// the IAM login and never used by anyone, so that a new client with that key is served at once.
// Each connection serves exactly one client session (or, with --reuse-connections, comes back
// after a reset, see connection-reuse.ts: then a session's connection, warm or not, counts
// against the key's N until the session is over and its connection is back or closed, as in a
// session pool, so that reuse saves logins instead of racing them). Taken connections are replaced in the background
// through the opener (which goes through the login pacer); keys no client used for `keyIdleMs`
// stop being kept; connections are retired at `maxAgeMs`, well before a cluster's own limit
// (DSQL ends connections at 60 minutes); a connection the server closed or sent anything on
// while idle is dropped, never handed out.
import type { Duplex } from 'node:stream';
import { encodeTerminate } from '../protocol/frontend-encoder.js';
import { SYSTEM_CLOCK, type PacerClock } from './login-pacer.js';
import { hasSocket, type UpstreamConnection } from './upstream.js';

export interface WarmConnection {
  upstream: UpstreamConnection;
  /** performance.now() when the login to the server started: the connection's age counts from here. */
  openedAt: number;
}

export type WarmSource = 'login' | 'reuse' | 'untouched';

/** Why a kept connection was closed: the first four retire it, the others discard it. */
export type WarmCloseReason =
  | 'max_age'
  | 'key_idle'
  | 'surplus'
  | 'shutdown'
  | 'server_closed'
  | 'server_message'
  | 'reset_failed'
  | 'named_statements';

const RETIRED: ReadonlySet<WarmCloseReason> = new Set(['max_age', 'key_idle', 'surplus', 'shutdown']);

export interface WarmPoolObserver {
  /** Warm connections idle now, all keys together. */
  warmIdle?(count: number): void;
  /** A client found a warm connection for its key (hit) or did not (miss). */
  warmRequest?(result: 'hit' | 'miss'): void;
  /**
   * A connection joined the warm set: a fresh login, a finished session's after a reset, or one
   * whose client left without using it.
   */
  warmAdded?(source: WarmSource): void;
  warmClosed?(outcome: 'retired' | 'discarded', reason: WarmCloseReason): void;
  /** A background login failed; the pool tries again after `retryInMs`. */
  warmOpenFailed?(err: unknown, retryInMs: number): void;
}

export interface WarmPoolOptions {
  /** Connections kept per key. */
  size: number;
  /** Age at which an unused connection is closed (and replaced). */
  maxAgeMs: number;
  /** A key no client used for this long is no longer kept warm. */
  keyIdleMs: number;
  /**
   * How long after a hit its replacement login starts (default 0: at once). The proxy's thread
   * would otherwise do that login's TLS handshake while the client that just took the
   * connection sends its first queries; a short pause keeps those quick.
   */
  refillAfterHitMs?: number;
  /** Logs in with these startup parameters (through the login pacer). */
  open(parameters: Record<string, string>): Promise<WarmConnection>;
  clock?: PacerClock;
  /** The native door, when a listener has one (asked each time: the door opens after the pool). */
  parking?(): WarmParking | null;
}

/** Default idle period of a key: a client that comes back within 5 minutes still finds connections. */
export const DEFAULT_KEY_IDLE_MS = 5 * 60_000;
/** Background logins that fail are retried after 1 s, doubling up to 30 s. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

interface IdleConnection {
  conn: WarmConnection;
  stopWatching(): void;
  /** Its number at the native door while parked there (WarmParking), or null. */
  parked: number | null;
}

/**
 * The native door's side of idle connections: each one is offered there too, so that a client
 * whose startup parameters match is answered by the addon without JavaScript (door.c).
 */
export interface WarmParking {
  /**
   * Parks a connection that just became idle; its number, or null when it cannot be. While it is
   * parked the door watches it (what the server sends, its end) and says so (parkedGone), so the
   * pool stops reading it itself.
   */
  park(parameters: Readonly<Record<string, string>>, conn: WarmConnection): number | null;
  /** Takes it back (before JavaScript hands it out or closes it). */
  unpark(parked: number): void;
  /**
   * How many connections of this key are being reset now: the door holds the key's clients for
   * them rather than send them the usual way to wait (takeOrWait). `parameters` is the key's own
   * object, the same for every call.
   */
  resetting(parameters: Readonly<Record<string, string>>, count: number): void;
  /**
   * Makes the door report now what it answered and has not reported yet (takeParked), so that
   * the pool never decides on a connection the door has already given away.
   */
  settle(): void;
}

interface Waiter {
  resolve(conn: WarmConnection | null): void;
  timer: unknown;
}

interface KeyEntry {
  /** warmKey(parameters), kept: a connection's comings and goings ask for it several times. */
  key: string;
  parameters: Record<string, string>;
  idle: IdleConnection[];
  opening: number;
  /** Sessions whose connection may come back (--reuse-connections): they hold a place of the N. */
  lent: number;
  /** Connections of ended sessions whose reset runs now; a client may wait for one. */
  resetting: number;
  waiters: Waiter[];
  lastUsed: number;
  failures: number;
  retryTimer: unknown;
  /** A refill waiting out refillAfterHitMs. */
  refillTimer: unknown;
}

/**
 * The pool key: every startup parameter, in a fixed order. Kept for each parameters object (a
 * key's own object comes back with every connection of a door session), so a connection's
 * comings and goings do not sort and serialize the same parameters again each time.
 */
export function warmKey(parameters: Readonly<Record<string, string>>): string {
  let key = warmKeys.get(parameters);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    warmKeys.set(parameters, key);
  }
  return key;
}
const warmKeys = new WeakMap<object, string>();

export class WarmPool {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly clock: PacerClock;
  private sweepTimer: unknown = null;
  private idleCount = 0;
  private closed = false;

  constructor(
    private readonly opts: WarmPoolOptions,
    private readonly observer: WarmPoolObserver = {},
  ) {
    if (!(opts.size >= 1)) throw new Error('a warm pool keeps at least one connection per key');
    this.clock = opts.clock ?? SYSTEM_CLOCK;
  }

  /** Idle warm connections, all keys together. */
  get idle(): number {
    this.settleDoor();
    return this.idleCount;
  }

  /** Idle warm connections for one key. */
  idleFor(parameters: Readonly<Record<string, string>>): number {
    this.settleDoor();
    return this.keys.get(warmKey(parameters))?.idle.length ?? 0;
  }

  /**
   * A warm connection for these startup parameters, or null (a miss: the caller logs in itself).
   * Either way the key counts as used now and its warm set is topped up in the background.
   * `lend`: the session's connection may come back (--reuse-connections); the caller must then
   * call returned() once the session is over, whatever happened.
   */
  take(parameters: Readonly<Record<string, string>>, lend = false): WarmConnection | null {
    this.settleDoor();
    const entry = this.claim(parameters, lend);
    if (!entry) return null;
    const found = this.takeIdle(entry);
    this.finishRequest(entry, found);
    return found;
  }

  /**
   * Like take(), but when no connection is idle and a finished session's connection of this key
   * is being reset, waits up to `maxWaitMs` for it: a reset is one round trip, a login several
   * (and a login the cluster meters). Clients that connect once per request meet this case.
   */
  async takeOrWait(parameters: Readonly<Record<string, string>>, lend: boolean, maxWaitMs: number): Promise<WarmConnection | null> {
    this.settleDoor();
    const entry = this.claim(parameters, lend);
    if (!entry) return null;
    let found = this.takeIdle(entry);
    if (found === null && entry.resetting > 0 && maxWaitMs > 0) {
      found = await new Promise<WarmConnection | null>((resolve) => {
        const waiter: Waiter = {
          resolve,
          timer: this.clock.setTimeout(() => {
            const i = entry.waiters.indexOf(waiter);
            if (i !== -1) entry.waiters.splice(i, 1);
            resolve(null);
          }, maxWaitMs),
        };
        entry.waiters.push(waiter);
      });
    }
    this.finishRequest(entry, found);
    return found;
  }

  /** A session's request: the key counts as used now; with `lend`, the session holds a place. */
  private claim(parameters: Readonly<Record<string, string>>, lend: boolean): KeyEntry | null {
    if (this.closed) return null;
    const entry = this.entryFor(parameters);
    entry.lastUsed = this.clock.now();
    if (lend) entry.lent++;
    return entry;
  }

  private finishRequest(entry: KeyEntry, found: WarmConnection | null): void {
    this.observer.warmRequest?.(found ? 'hit' : 'miss');
    const delay = this.opts.refillAfterHitMs ?? 0;
    if (found && delay > 0) this.refillLater(entry, delay);
    else this.refill(entry);
    this.ensureSweeping();
  }

  /** One pending refill per key: hits within the pause are replaced together when it ends. */
  private refillLater(entry: KeyEntry, delayMs: number): void {
    if (entry.refillTimer !== null) return;
    entry.refillTimer = this.clock.setTimeout(() => {
      entry.refillTimer = null;
      this.refill(entry);
    }, delayMs);
  }

  /** The oldest usable idle connection of a key, closing those too old or gone on the way. */
  private takeIdle(entry: KeyEntry): WarmConnection | null {
    let found: WarmConnection | null = null;
    while (found === null && entry.idle.length > 0) {
      const idle = entry.idle.shift()!;
      const { conn } = idle;
      this.idleCount--;
      this.leave(idle);
      if (this.clock.now() - conn.openedAt >= this.opts.maxAgeMs) this.closeConnection(conn, 'max_age');
      // One with no socket yet was parked at the door, which would have said if it had gone.
      else if (hasSocket(conn.upstream) && conn.upstream.socket.destroyed) this.closeConnection(conn, 'server_closed');
      else found = conn;
    }
    this.publishIdle();
    return found;
  }

  /** An idle connection leaves the idle set: no more watching, and no longer parked at the door. */
  private leave(idle: IdleConnection): void {
    idle.stopWatching();
    if (idle.parked !== null) this.opts.parking?.()?.unpark(idle.parked);
    idle.parked = null;
  }

  /** Offers every idle connection at the native door, which has just opened, and says which keys have resets running. */
  parkIdle(): void {
    for (const entry of this.keys.values()) {
      for (const idle of entry.idle) if (idle.parked === null) this.park(entry, idle);
      if (entry.resetting > 0) this.opts.parking?.()?.resetting(entry.parameters, entry.resetting);
    }
  }

  /** The native door closed (its parked connections are no longer there): the pool watches them again. */
  doorClosed(): void {
    for (const entry of this.keys.values()) {
      for (const idle of entry.idle) {
        if (idle.parked === null) continue;
        idle.parked = null;
        this.watch(entry, idle);
      }
    }
  }

  private park(entry: KeyEntry, idle: IdleConnection): void {
    idle.parked = this.opts.parking?.()?.park(entry.parameters, idle.conn) ?? null;
    if (idle.parked !== null) idle.stopWatching();
  }

  private settleDoor(): void {
    this.opts.parking?.()?.settle();
  }

  /**
   * The native door answered a client with the connection parked as `parked` (its session runs
   * already): it leaves the idle set as take() would take it, a hit. Null when no idle connection
   * is parked so. `unwatch()` ends the pool's watch on its bridge, if any, whenever the caller
   * likes: a parked connection is watched by the door, not the pool.
   */
  takeParked(parked: number, lend: boolean): { parameters: Record<string, string>; conn: WarmConnection; unwatch(): void } | null {
    for (const entry of this.keys.values()) {
      const i = entry.idle.findIndex((idle) => idle.parked === parked);
      if (i === -1) continue;
      const [idle] = entry.idle.splice(i, 1);
      this.idleCount--;
      idle.parked = null; // the door let it go itself
      entry.lastUsed = this.clock.now();
      if (lend) entry.lent++;
      this.publishIdle();
      this.finishRequest(entry, idle.conn);
      return { parameters: entry.parameters, conn: idle.conn, unwatch: idle.stopWatching };
    }
    return null;
  }

  /**
   * The native door let the connection parked as `parked` go: its server closed it, or sent
   * something no client would hear (`reason`). It is closed, and replaced.
   */
  parkedGone(parked: number, reason: 'server_closed' | 'server_message' = 'server_closed'): void {
    for (const entry of this.keys.values()) {
      const idle = entry.idle.find((x) => x.parked === parked);
      if (!idle) continue;
      idle.parked = null;
      this.drop(entry, idle, reason);
      return;
    }
  }

  /** An idle connection that is of no more use: closed, and replaced. */
  private drop(entry: KeyEntry, idle: IdleConnection, reason: WarmCloseReason): void {
    const i = entry.idle.indexOf(idle);
    if (i === -1) return;
    entry.idle.splice(i, 1);
    this.idleCount--;
    this.leave(idle);
    this.closeConnection(idle.conn, reason);
    this.publishIdle();
    this.refill(entry);
  }

  /** A finished session's connection is being reset, to come back through returned() with afterReset. */
  resetStarted(parameters: Readonly<Record<string, string>>): void {
    const entry = this.entryFor(parameters);
    entry.resetting++;
    this.opts.parking?.()?.resetting(entry.parameters, entry.resetting);
  }

  /**
   * The end of a session: its connection, reset (source 'reuse') or never used by its client
   * ('untouched'), joins the warm set of its key (unless that set is full or closed); null when
   * it was closed instead. `lent`: the session was taken with `lend`, and its place is given back.
   */
  returned(
    parameters: Readonly<Record<string, string>>,
    conn: WarmConnection | null,
    how: { lent: boolean; afterReset?: boolean; source?: Exclude<WarmSource, 'login'> },
  ): void {
    this.settleDoor();
    const entry = this.entryFor(parameters);
    entry.lastUsed = this.clock.now();
    if (how.lent) entry.lent = Math.max(0, entry.lent - 1);
    if (how.afterReset) entry.resetting = Math.max(0, entry.resetting - 1);
    if (conn) this.add(entry, conn, how.source ?? 'reuse');
    // After the connection is parked: the door's clients held for it are answered, not let go.
    if (how.afterReset) this.opts.parking?.()?.resetting(entry.parameters, entry.resetting);
    // Nothing more is coming back for whoever still waits: they log in themselves.
    if (entry.resetting === 0) this.releaseWaiters(entry);
    this.refill(entry);
    this.ensureSweeping();
  }

  private releaseWaiters(entry: KeyEntry): void {
    for (const w of entry.waiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.resolve(null);
    }
  }

  /** Closes a connection that will not be kept, counting why. */
  closeConnection(conn: WarmConnection, reason: WarmCloseReason): void {
    this.observer.warmClosed?.(RETIRED.has(reason) ? 'retired' : 'discarded', reason);
    const socket = conn.upstream.socket;
    if (socket.destroyed) return;
    if (RETIRED.has(reason) && socket.writable) {
      // A polite goodbye, so the server logs no "unexpected EOF"; then the socket goes anyway.
      socket.end(encodeTerminate());
      const timer = setTimeout(() => socket.destroy(), 1000);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
      socket.resume(); // read (and drop) whatever comes until the server closes
    } else socket.destroy();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops keeping connections and closes every idle one with Terminate. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.settleDoor();
    this.closed = true;
    if (this.sweepTimer !== null) this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    const closing: Promise<void>[] = [];
    for (const entry of this.keys.values()) {
      if (entry.retryTimer !== null) this.clock.clearTimeout(entry.retryTimer);
      if (entry.refillTimer !== null) this.clock.clearTimeout(entry.refillTimer);
      this.releaseWaiters(entry);
      for (const idle of entry.idle.splice(0)) {
        this.leave(idle);
        closing.push(whenClosed(idle.conn.upstream.socket));
        this.closeConnection(idle.conn, 'shutdown');
      }
    }
    this.keys.clear();
    this.idleCount = 0;
    this.publishIdle();
    await Promise.all(closing);
  }

  private entryFor(parameters: Readonly<Record<string, string>>): KeyEntry {
    const key = warmKey(parameters);
    let entry = this.keys.get(key);
    if (!entry) {
      entry = {
        key,
        parameters: { ...parameters },
        idle: [],
        opening: 0,
        lent: 0,
        resetting: 0,
        waiters: [],
        lastUsed: this.clock.now(),
        failures: 0,
        retryTimer: null,
        refillTimer: null,
      };
      this.keys.set(key, entry);
    }
    return entry;
  }

  private refill(entry: KeyEntry): void {
    if (this.closed || entry.retryTimer !== null) return;
    if (this.keys.get(entry.key) !== entry) return;
    while (entry.idle.length + entry.opening + entry.lent < this.opts.size) {
      entry.opening++;
      void this.openOne(entry);
    }
  }

  private async openOne(entry: KeyEntry): Promise<void> {
    let conn: WarmConnection;
    try {
      conn = await this.opts.open(entry.parameters);
    } catch (err) {
      entry.opening--;
      entry.failures++;
      if (this.closed || entry.retryTimer !== null) return;
      // A failing server (refused token, unreachable) must not be hammered with logins.
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (entry.failures - 1));
      this.observer.warmOpenFailed?.(err, delay);
      entry.retryTimer = this.clock.setTimeout(() => {
        entry.retryTimer = null;
        if (this.keys.get(entry.key) === entry) this.refill(entry);
      }, delay);
      return;
    }
    entry.opening--;
    entry.failures = 0;
    this.add(entry, conn, 'login');
  }

  private add(entry: KeyEntry, conn: WarmConnection, source: WarmSource): void {
    this.observer.warmAdded?.(source);
    if (this.closed) return this.closeConnection(conn, 'shutdown');
    if (this.keys.get(entry.key) !== entry) return this.closeConnection(conn, 'key_idle');
    // A connection with no socket yet is not given one here: the door watches it once parked.
    if (hasSocket(conn.upstream) && conn.upstream.socket.destroyed) return this.closeConnection(conn, 'server_closed');
    if (conn.upstream.pending.length > 0) return this.closeConnection(conn, 'server_message');
    if (this.clock.now() - conn.openedAt >= this.opts.maxAgeMs) return this.closeConnection(conn, 'max_age');
    if (entry.idle.length >= this.opts.size) return this.closeConnection(conn, 'surplus');
    const idle: IdleConnection = { conn, stopWatching: () => {}, parked: null };
    entry.idle.push(idle);
    this.idleCount++;
    const waiter = entry.waiters.shift();
    if (waiter) {
      this.clock.clearTimeout(waiter.timer);
      waiter.resolve(this.takeIdle(entry));
    } else {
      // Parked, the door watches it; otherwise the pool reads it itself.
      this.park(entry, idle);
      if (idle.parked === null) this.watch(entry, idle);
    }
    this.publishIdle();
  }

  /**
   * An idle connection must stay silent: data means the server is telling (or asking) something
   * no client will hear, and an end means it is gone. Reading keeps both visible.
   */
  private watch(entry: KeyEntry, idle: IdleConnection): void {
    const socket = idle.conn.upstream.socket;
    const onData = () => this.drop(entry, idle, 'server_message');
    const onGone = () => this.drop(entry, idle, 'server_closed');
    socket.on('data', onData);
    socket.on('end', onGone);
    socket.on('close', onGone);
    socket.on('error', onGone);
    idle.stopWatching = () => {
      socket.off('data', onData);
      socket.off('end', onGone);
      socket.off('close', onGone);
      socket.off('error', onGone);
      socket.pause();
    };
    socket.resume();
  }

  private publishIdle(): void {
    this.observer.warmIdle?.(this.idleCount);
  }

  /** One timer for all keys, running while any key is kept. */
  private ensureSweeping(): void {
    if (this.sweepTimer !== null || this.closed) return;
    const every = Math.max(50, Math.min(30_000, Math.min(this.opts.keyIdleMs, this.opts.maxAgeMs) / 4));
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = null;
      this.sweep();
      if (this.keys.size > 0) this.ensureSweeping();
    }, every);
  }

  /** Forgets keys no client used lately and retires connections that reached their age. */
  sweep(): void {
    this.settleDoor();
    const now = this.clock.now();
    for (const [key, entry] of this.keys) {
      if (now - entry.lastUsed >= this.opts.keyIdleMs) {
        this.keys.delete(key);
        this.releaseWaiters(entry);
        if (entry.retryTimer !== null) this.clock.clearTimeout(entry.retryTimer);
        if (entry.refillTimer !== null) this.clock.clearTimeout(entry.refillTimer);
        for (const idle of entry.idle.splice(0)) {
          this.idleCount--;
          this.leave(idle);
          this.closeConnection(idle.conn, 'key_idle');
        }
        continue;
      }
      const old = entry.idle.filter((idle) => now - idle.conn.openedAt >= this.opts.maxAgeMs);
      for (const idle of old) {
        entry.idle.splice(entry.idle.indexOf(idle), 1);
        this.idleCount--;
        this.leave(idle);
        this.closeConnection(idle.conn, 'max_age');
      }
      if (old.length > 0) this.refill(entry);
    }
    this.publishIdle();
  }
}

function whenClosed(socket: Duplex): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
