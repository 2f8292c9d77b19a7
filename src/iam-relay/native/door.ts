// The JavaScript side of the native front door (door.c): the cancel keys it holds ahead, the
// warm set's idle connections parked there, and the reports of what it answered, which go to the
// backend (the session's JavaScript side) and the listener (its records). What a session the door
// started means is the backend's; this file only carries the door's calls.
import { closeSync } from 'node:fs';
import { beforeScrape } from '../../metrics/scrape-hooks.js';
import { id as cancelKeyId, type CancelHandler } from '../../server/cancel-registry.js';
import type { AnsweredAtDoor, CancelKey, DoorHandle, DoorListener, DoorTls, DoorTlsFailure } from '../../server/types.js';
import type { WarmParking, WarmPool } from '../warm-pool.js';
import type { NativeRelayAddon } from './addon.js';
import { doorKey } from './door-key.js';
import type { NativeSession } from './native-relay.js';

/**
 * How long after answering a client the door tells JavaScript (unless the session calls on it
 * sooner): the client's first query, sent as soon as it has its answer, goes through first.
 */
const DOOR_ANNOUNCE_MS = 5;
/** Cancel keys the door holds ahead; more answers than this between two reports go the usual way. */
const DOOR_KEY_STOCK = 32;

/** A cancel key the door holds, to give a client it answers. */
export interface DoorGrant {
  cancelKey: CancelKey;
  onCancel(handler: CancelHandler): void;
}

/** The JavaScript side of the sessions a door started, by session id. */
export type DoorSessions = Map<number, NativeSession['onEvent']>;

export interface NativeDoorOptions {
  addon: NativeRelayAddon;
  pool: WarmPool;
  listener: DoorListener;
  listenFd: number;
  handoffMs: number;
  /** TLS for the SSLRequest clients the door may answer; null: they go the usual way. */
  tls: DoorTls | null;
  /** The ErrorResponse a session sends its client when the cluster connection is lost. */
  lostMessage: Buffer;
  /** Optimistic-concurrency retries on, and how much of an answer a retry may hold back. */
  occ: boolean;
  holdLimit: number;
  /** --reuse-connections: a session that ends cleanly gives its connection back. */
  keepClean: boolean;
  /** How long a client is held at the door for a connection of its key that is being reset. */
  resetWaitMs: number;
  /**
   * The door started a session on the connection parked as `parked`, for the client on `fd`,
   * which was given `grant`'s key: its JavaScript side (its events go to `sessions` under its id
   * from now on), or null when it could not have one and is being ended.
   */
  answered(parked: number, session: number, fd: number, grant: DoorGrant, sessions: DoorSessions): AnsweredAtDoor | null;
  /** The door closed: its parking is no longer to be used. */
  closed(): void;
  /** Holds that ended since the last call: `count` of them with `outcome`, which waited `seconds` in all. */
  held?(outcome: DoorHoldOutcome, count: number, seconds: number): void;
}

/**
 * How a client held at the door for a connection being reset was let go: answered there from
 * that connection, sent to log in (its reset failed, or the wait ran out), or gone first.
 */
export type DoorHoldOutcome = 'answered' | 'login' | 'left';
const HOLD_OUTCOMES: readonly DoorHoldOutcome[] = ['answered', 'login', 'left'];
/** door.c's TLS_FAILED, TLS_PEER_CLOSED, TLS_TIMED_OUT. */
const TLS_FAILURES: readonly DoorTlsFailure[] = ['failed', 'closed', 'timeout'];

/** Opens the door on the listening socket; null when the addon cannot. */
export function openNativeDoor(o: NativeDoorOptions): { handle: DoorHandle; parking: WarmParking } | null {
  const { addon, pool, listener } = o;
  const sessions: DoorSessions = new Map();
  /** The cancel keys the door holds, to give the clients it answers, by cancel-registry id. */
  const stock = new Map<string, DoorGrant>();
  const door = addon.openDoor(
    o.listenFd,
    o.handoffMs,
    (kind, a, b, c, d, secretKey, peer, tls) => {
      if (kind === 'client') return listener.client(a, b as Buffer);
      if (kind === 'tls-client') return listener.tlsClient(a, b as number, c, d ?? 0);
      if (kind === 'tls-failed') return listener.tlsFailed(a, b as string, TLS_FAILURES[c] ?? 'failed', d ?? 0);
      if (kind === 'gone' || kind === 'heard') return pool.parkedGone(a, kind === 'heard' ? 'server_message' : 'server_closed');
      const key = cancelKeyId({ processId: d!, secretKey: secretKey! });
      const grant = stock.get(key);
      stock.delete(key);
      stockUp();
      if (!grant) return;
      const answered = o.answered(a, b as number, c, grant, sessions);
      if (answered) return listener.answered(c, answered, peer ?? '', tls === true);
      // Ended at once: the client's descriptor has nobody else to close it.
      listener.released(grant.cancelKey);
      closeSync(c);
    },
    (kind, detail, attempt, statements, session) => {
      const onEvent = sessions.get(session);
      if (kind === 'end') sessions.delete(session);
      return onEvent?.(kind, detail, attempt, statements);
    },
    o.lostMessage,
    o.occ,
    o.holdLimit,
    o.keepClean,
    DOOR_ANNOUNCE_MS,
    o.resetWaitMs,
    o.tls?.context ?? -1,
    o.tls?.timeoutMs ?? 0,
  );
  if (door < 0) return null;
  const stockUp = () => {
    while (stock.size < DOOR_KEY_STOCK) {
      const grant = listener.grant();
      if (!addon.doorGrant(door, grant.cancelKey.processId, grant.cancelKey.secretKey)) {
        listener.released(grant.cancelKey);
        return;
      }
      stock.set(cancelKeyId(grant.cancelKey), grant);
    }
  };
  stockUp();
  const settle = () => addon.doorSettle(door);
  /** The door's key of each warm-set key's parameters (the pool keeps one object per key). */
  const keys = new WeakMap<object, Buffer>();
  const keyOf = (parameters: Readonly<Record<string, string>>) => {
    let key = keys.get(parameters);
    if (!key) keys.set(parameters, (key = doorKey(parameters)));
    return key;
  };
  let nextPark = 1;
  const parking: WarmParking = {
    park(parameters, conn) {
      const link = conn.upstream.nativeLink;
      if (link === undefined) return null;
      const parked = nextPark++;
      const ok = addon.park(door, parked, keyOf(parameters), link, Buffer.concat(conn.upstream.loginFrames), conn.upstream.readyFrame);
      return ok ? parked : null;
    },
    unpark(parked) {
      addon.unpark(door, parked);
    },
    resetting(parameters, count) {
      addon.doorResetting(door, keyOf(parameters), count);
    },
    settle,
  };
  // The door counts its holds itself (a call per hold would cost more than the hold saves): they
  // are read when a scrape is due and when the door closes.
  const holdsSeen = HOLD_OUTCOMES.map(() => ({ count: 0, ms: 0 }));
  const reportHolds = () => {
    const now = o.held ? addon.doorHolds(door) : null;
    if (!now) return;
    HOLD_OUTCOMES.forEach((outcome, i) => {
      const seen = holdsSeen[i];
      const count = now[i] - seen.count;
      const ms = now[HOLD_OUTCOMES.length + i] - seen.ms;
      seen.count += count;
      seen.ms += ms;
      if (count > 0) o.held!(outcome, count, ms / 1000);
    });
  };
  const forgetScrapeHook = beforeScrape(() => {
    settle();
    reportHolds();
  });
  const handle: DoorHandle = {
    room: (room) => addon.doorRoom(door, room),
    settle,
    close: () => {
      forgetScrapeHook();
      reportHolds();
      // Every session it answered is reported before it goes (door.c).
      addon.closeDoor(door);
      o.closed();
      // Its parked connections stay in the warm set, for the listener's usual path.
      pool.doorClosed();
      for (const grant of stock.values()) listener.released(grant.cancelKey);
      stock.clear();
    },
  };
  return { handle, parking };
}
