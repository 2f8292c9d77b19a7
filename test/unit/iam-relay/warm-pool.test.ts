// The warm pool's bookkeeping with a fake clock and fake upstream sockets: hits and misses,
// one session per connection, background refill, idle keys, retirement by age, connections the
// server closed or spoke on, failed logins retried with backoff, and shutdown.
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { WarmPool, warmKey, type WarmConnection, type WarmParking, type WarmPoolObserver } from '../../../src/iam-relay/warm-pool.js';
import { FakeClock } from './fake-clock.js';

const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

class FakeServerSocket extends Duplex {
  readonly written: Buffer[] = [];
  constructor(readonly serial: number) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.written.push(chunk);
    cb();
  }
  get saidGoodbye(): boolean {
    return this.written.some((b) => b.equals(TERMINATE));
  }
}

function fakeConnection(serial: number, openedAt: number): WarmConnection & { socket: FakeServerSocket } {
  const socket = new FakeServerSocket(serial);
  return {
    socket,
    openedAt,
    upstream: {
      socket: socket as unknown as TLSSocket,
      loginFrames: [],
      backendKey: { processId: serial, secretKey: serial },
      pending: Buffer.alloc(0),
      readyFrame: Buffer.from([0x5a, 0, 0, 0, 5, 0x49]),
    },
  };
}

const PARAMS = { user: 'admin', database: 'postgres', application_name: 'psql' };

function setup(opts: { size?: number; maxAgeMs?: number; keyIdleMs?: number; failOpens?: number; refillAfterHitMs?: number; parking?: () => WarmParking | null } = {}) {
  const clock = new FakeClock();
  const opened: (WarmConnection & { socket: FakeServerSocket })[] = [];
  const events: string[] = [];
  let failures = opts.failOpens ?? 0;
  let attempts = 0;
  const observer: WarmPoolObserver = {
    warmRequest: (r) => events.push(`request:${r}`),
    warmAdded: (s) => events.push(`added:${s}`),
    warmClosed: (o, r) => events.push(`closed:${o}:${r}`),
    warmOpenFailed: (_e, ms) => events.push(`open_failed:${ms}`),
  };
  const pool = new WarmPool(
    {
      size: opts.size ?? 2,
      maxAgeMs: opts.maxAgeMs ?? 600_000,
      keyIdleMs: opts.keyIdleMs ?? 300_000,
      refillAfterHitMs: opts.refillAfterHitMs,
      parking: opts.parking,
      clock,
      open: async () => {
        attempts++;
        if (failures > 0) {
          failures--;
          throw new Error('login refused');
        }
        const conn = fakeConnection(opened.length + 1, clock.now());
        opened.push(conn);
        return conn;
      },
    },
    observer,
  );
  return { clock, pool, opened, events, attempts: () => attempts };
}

describe('WarmPool', () => {
  it('misses on a new key, then keeps that many connections for it and hands each out once', async () => {
    const { clock, pool, opened, events } = setup({ size: 2 });
    expect(pool.take(PARAMS)).toBeNull();
    await clock.advance(0);
    expect(opened).toHaveLength(2);
    expect(pool.idleFor(PARAMS)).toBe(2);

    const first = pool.take(PARAMS);
    const second = pool.take(PARAMS);
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(first).not.toBe(second);
    await clock.advance(0);
    // Both taken ones were replaced in the background, by new logins.
    expect(opened).toHaveLength(4);
    expect(pool.idleFor(PARAMS)).toBe(2);
    const handedOut = new Set([first, second, pool.take(PARAMS), pool.take(PARAMS)]);
    expect(handedOut.size).toBe(4);
    expect(events.filter((e) => e === 'request:hit')).toHaveLength(4);
    expect(events.filter((e) => e === 'request:miss')).toHaveLength(1);
    await pool.close();
  });

  it('with refillAfterHitMs, replaces hits after that pause (together), and misses at once', async () => {
    const { clock, pool, opened } = setup({ size: 2, refillAfterHitMs: 50 });
    expect(pool.take(PARAMS)).toBeNull();
    await clock.advance(0);
    expect(opened).toHaveLength(2); // a miss fills the set at once

    expect(pool.take(PARAMS)).toBe(opened[0]);
    await clock.advance(30);
    expect(pool.take(PARAMS)).toBe(opened[1]);
    await clock.advance(19);
    expect(opened).toHaveLength(2); // nothing opened during the pause after the first hit
    await clock.advance(1);
    expect(opened).toHaveLength(4); // both hits replaced when it ends
    expect(pool.idleFor(PARAMS)).toBe(2);
    await pool.close();
  });

  it('keys by every startup parameter, in any order', async () => {
    const { clock, pool } = setup({ size: 1 });
    expect(warmKey({ a: '1', b: '2' })).toBe(warmKey({ b: '2', a: '1' }));
    pool.take(PARAMS);
    await clock.advance(0);
    expect(pool.take({ ...PARAMS, application_name: 'other' })).toBeNull();
    expect(pool.take({ database: 'postgres', application_name: 'psql', user: 'admin' })).not.toBeNull();
    await pool.close();
  });

  it('drops an idle connection the server spoke on or closed, and never hands it out', async () => {
    const { clock, pool, opened, events } = setup({ size: 2 });
    pool.take(PARAMS);
    await clock.advance(0);
    opened[0].socket.push(Buffer.from([0x4e, 0, 0, 0, 4])); // an unexpected NoticeResponse
    opened[1].socket.destroy();
    await clock.advance(0);
    expect(events).toContain('closed:discarded:server_message');
    expect(events).toContain('closed:discarded:server_closed');
    expect(opened[0].socket.destroyed).toBe(true);
    // Both were replaced, and what is handed out now is a replacement.
    expect(opened).toHaveLength(4);
    const got = pool.take(PARAMS);
    expect([opened[2], opened[3]]).toContain(got);
    await pool.close();
  });

  it('leaves a parked connection to the door, hears the door out before deciding, and watches it again once the door closes', async () => {
    const parked = new Map<number, WarmConnection>();
    let nextPark = 1;
    let doorOpen = true;
    /** A client the door answered with this parked connection, not reported yet (door.c). */
    let unreported: number | null = null;
    const parking: WarmParking = {
      park: (_p, conn) => {
        parked.set(nextPark, conn);
        return nextPark++;
      },
      unpark: (id) => parked.delete(id),
      resetting: () => {},
      settle: () => {
        if (unreported === null) return;
        const id = unreported;
        unreported = null;
        expect(pool.takeParked(id, false)?.conn).toBe(opened[0]);
      },
    };
    const { clock, pool, opened, events } = setup({ size: 2, parking: () => (doorOpen ? parking : null) });
    pool.take(PARAMS);
    await clock.advance(0);
    expect([...parked.values()]).toEqual([opened[0], opened[1]]);

    // The door watches parked connections: what their server sends is the door's to report.
    opened[1].socket.push(Buffer.from([0x4e, 0, 0, 0, 4]));
    await clock.advance(0);
    expect(pool.idleFor(PARAMS)).toBe(2);
    expect(events.filter((e) => e.startsWith('closed:'))).toEqual([]);
    pool.parkedGone(2, 'server_message');
    expect(events).toContain('closed:discarded:server_message');
    expect(opened[1].socket.destroyed).toBe(true);
    await clock.advance(0);
    expect(opened).toHaveLength(3); // replaced, and parked in turn
    expect(parked.has(3)).toBe(true);

    // The door answered a client with the first one and has not said so yet: a client of the
    // usual path must not be handed the same connection.
    parked.delete(1);
    unreported = 1;
    const got = pool.take(PARAMS);
    expect(got).toBe(opened[2]);
    expect(events.filter((e) => e === 'request:hit')).toHaveLength(2);

    // Closed, the door parks nothing more and the pool reads its idle connections itself again.
    await clock.advance(0);
    doorOpen = false;
    pool.doorClosed();
    const watched = opened.filter((c) => !c.socket.destroyed && c !== opened[0] && c !== opened[2]);
    expect(watched.length).toBeGreaterThan(0);
    for (const c of watched) c.socket.push(Buffer.from([0x4e, 0, 0, 0, 4]));
    await clock.advance(0);
    expect(events.filter((e) => e === 'closed:discarded:server_message')).toHaveLength(1 + watched.length);
    await pool.close();
  });

  it('tells the door how many connections of a key are being reset, the end of a reset after its connection is parked', async () => {
    const calls: string[] = [];
    const parking: WarmParking = {
      park: (p, conn) => {
        calls.push(`park:${conn === returned ? 'returned' : 'login'}`);
        return calls.length;
      },
      unpark: () => true,
      resetting: (p, count) => calls.push(`resetting:${p.application_name}:${count}`),
      settle: () => {},
    };
    const { clock, pool } = setup({ size: 2, parking: () => parking });
    const returned = fakeConnection(99, clock.now());
    pool.take(PARAMS, true);
    pool.take(PARAMS, true);
    await clock.advance(0);
    calls.length = 0;
    pool.resetStarted(PARAMS);
    pool.resetStarted(PARAMS);
    // A failed reset: nothing is parked, one reset still runs.
    pool.returned(PARAMS, null, { lent: true, afterReset: true });
    // A reset that worked: the connection is parked before the door hears that no reset is left,
    // so that a client held for it is answered with it rather than sent away.
    pool.returned(PARAMS, returned, { lent: true, afterReset: true });
    const app = PARAMS.application_name;
    expect(calls.filter((c) => c !== 'park:login')).toEqual([`resetting:${app}:1`, `resetting:${app}:2`, `resetting:${app}:1`, 'park:returned', `resetting:${app}:0`]);
    await pool.close();
  });

  it('retires connections at their maximum age with Terminate, and replaces them', async () => {
    const { clock, pool, opened, events } = setup({ size: 1, maxAgeMs: 10_000, keyIdleMs: 1_000_000 });
    pool.take(PARAMS);
    await clock.advance(0);
    expect(opened).toHaveLength(1);
    await clock.advance(10_000);
    expect(events).toContain('closed:retired:max_age');
    expect(opened[0].socket.saidGoodbye).toBe(true);
    expect(opened).toHaveLength(2);
    expect(pool.take(PARAMS)).toBe(opened[1]);
    await pool.close();
  });

  it('stops keeping connections for a key no client used for the idle period', async () => {
    const { clock, pool, opened, events } = setup({ size: 2, keyIdleMs: 60_000 });
    pool.take(PARAMS);
    await clock.advance(0);
    await clock.advance(30_000);
    expect(pool.take(PARAMS)).not.toBeNull(); // used again: the key stays
    await clock.advance(45_000);
    expect(pool.idleFor(PARAMS)).toBe(2);
    await clock.advance(60_000);
    expect(pool.idleFor(PARAMS)).toBe(0);
    expect(events.filter((e) => e === 'closed:retired:key_idle')).toHaveLength(2);
    const count = opened.length;
    await clock.advance(600_000);
    expect(opened).toHaveLength(count); // nothing more is opened for a forgotten key
    await pool.close();
  });

  it('retries a failing background login with growing delays', async () => {
    const { clock, pool, events, attempts } = setup({ size: 1, failOpens: 2 });
    pool.take(PARAMS);
    await clock.advance(0);
    expect(attempts()).toBe(1);
    expect(events).toContain('open_failed:1000');
    await clock.advance(999);
    expect(attempts()).toBe(1);
    await clock.advance(1);
    expect(attempts()).toBe(2);
    expect(events).toContain('open_failed:2000');
    await clock.advance(2000);
    expect(attempts()).toBe(3);
    expect(pool.idleFor(PARAMS)).toBe(1);
    await pool.close();
  });

  it('takes back a reset connection unless the key already holds enough', async () => {
    const { clock, pool, opened, events } = setup({ size: 1 });
    pool.take(PARAMS);
    await clock.advance(0);
    // A session that logged in itself (no reuse accounting) finds the set full.
    const returned = fakeConnection(99, clock.now());
    pool.take({ ...PARAMS }, true); // a hit, lent: no refill, its place is held
    await clock.advance(0);
    expect(opened).toHaveLength(1);
    pool.returned(PARAMS, returned, { lent: true });
    expect(events).toContain('added:reuse');
    expect(pool.take(PARAMS)).toBe(returned);
    await clock.advance(0);
    const surplus = fakeConnection(100, clock.now());
    pool.take(PARAMS, true); // takes the refill
    pool.returned(PARAMS, surplus, { lent: true });
    expect(pool.take(PARAMS)).toBe(surplus);
    await clock.advance(0);
    pool.take(PARAMS, true);
    await clock.advance(0);
    expect(pool.idleFor(PARAMS)).toBe(0);
    pool.returned(PARAMS, null, { lent: true }); // closed instead of returned: the place is refilled by a login
    await clock.advance(0);
    expect(pool.idleFor(PARAMS)).toBe(1);
    const extra = fakeConnection(101, clock.now());
    pool.returned(PARAMS, extra, { lent: true });
    expect(events).toContain('closed:retired:surplus');
    expect(extra.socket.saidGoodbye).toBe(true);
    await pool.close();
  });

  it('takes back, as it was, a connection whose client left without using it, before its refill logs in', async () => {
    const { clock, pool, opened, events } = setup({ size: 1, refillAfterHitMs: 50 });
    pool.take(PARAMS); // a miss: the key is now kept
    await clock.advance(0);
    expect(opened).toHaveLength(1);
    const probe = pool.take(PARAMS)!; // a hit, not lent (no reuse): its replacement is due in 50 ms
    expect(probe).toBe(opened[0]);
    pool.returned(PARAMS, probe, { lent: false, source: 'untouched' });
    expect(events).toContain('added:untouched');
    await clock.advance(100);
    expect(opened).toHaveLength(1); // no login for the probe
    expect(pool.take(PARAMS)).toBe(probe); // the next client gets it, with its age unchanged
    expect(probe.openedAt).toBe(0);
    await pool.close();
  });

  it('with reuse, a lent connection holds its place so that its return saves a login', async () => {
    const { clock, pool, opened } = setup({ size: 2 });
    pool.take(PARAMS, true); // a miss: the session logs in itself, one place held
    await clock.advance(0);
    expect(opened).toHaveLength(1);
    const own = fakeConnection(50, clock.now());
    pool.returned(PARAMS, own, { lent: true });
    await clock.advance(0);
    expect(pool.idleFor(PARAMS)).toBe(2);
    expect(opened).toHaveLength(1);
    await pool.close();
  });

  it('lets a client wait for a connection whose reset runs, instead of logging in', async () => {
    const { clock, pool, opened, events } = setup({ size: 1 });
    pool.take(PARAMS, true); // a miss: the session logs in itself, its place held
    await clock.advance(0);
    expect(opened).toHaveLength(0);
    const own = fakeConnection(7, clock.now());
    pool.resetStarted(PARAMS); // the session ended; its reset runs
    const waiting = pool.takeOrWait(PARAMS, true, 1000);
    pool.returned(PARAMS, own, { lent: true, afterReset: true });
    expect(await waiting).toBe(own);
    expect(events.filter((e) => e === 'request:hit')).toHaveLength(1);

    // A reset that fails leaves the waiter to log in itself, at once.
    pool.resetStarted(PARAMS);
    const second = pool.takeOrWait(PARAMS, true, 1000);
    pool.returned(PARAMS, null, { lent: true, afterReset: true });
    expect(await second).toBeNull();
    // With no reset running, nobody waits.
    expect(await pool.takeOrWait(PARAMS, false, 1000)).toBeNull();
    await pool.close();
  });

  it('gives up waiting for a reset after the limit', async () => {
    const { clock, pool } = setup({ size: 1 });
    pool.take(PARAMS, true);
    pool.resetStarted(PARAMS);
    let result: WarmConnection | null | 'pending' = 'pending';
    void pool.takeOrWait(PARAMS, true, 500).then((c) => (result = c));
    await clock.advance(499);
    expect(result).toBe('pending');
    await clock.advance(1);
    expect(result).toBeNull();
    await pool.close();
  });

  it('closes every idle connection with Terminate on shutdown and hands out nothing after', async () => {
    const { clock, pool, opened, events } = setup({ size: 3 });
    pool.take(PARAMS);
    await clock.advance(0);
    const closing = pool.close();
    for (const c of opened) c.socket.destroy(); // the server hangs up after Terminate
    await closing;
    expect(opened.every((c) => c.socket.saidGoodbye)).toBe(true);
    expect(events.filter((e) => e === 'closed:retired:shutdown')).toHaveLength(3);
    expect(pool.take(PARAMS)).toBeNull();
    expect(pool.idle).toBe(0);
  });
});
