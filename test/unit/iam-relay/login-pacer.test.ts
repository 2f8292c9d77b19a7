import { describe, expect, it } from 'vitest';
import { LoginPacer } from '../../../src/iam-relay/login-pacer.js';
import { ClientFacingError } from '../../../src/protocol/client-error.js';
import { FakeClock } from './fake-clock.js';

function track(p: Promise<void>): { state: 'pending' | 'admitted' | 'refused'; error?: unknown } {
  const s: { state: 'pending' | 'admitted' | 'refused'; error?: unknown } = { state: 'pending' };
  p.then(
    () => (s.state = 'admitted'),
    (e) => {
      s.state = 'refused';
      s.error = e;
    },
  );
  return s;
}

describe('LoginPacer', () => {
  it('admits a burst at once, then one login per 1/rate seconds, in arrival order', async () => {
    const clock = new FakeClock();
    const events: Array<[string, number]> = [];
    const pacer = new LoginPacer({ ratePerSecond: 10, burst: 3 }, { loginPaced: (o, s) => events.push([o, s]) }, clock);
    const logins = Array.from({ length: 6 }, () => track(pacer.acquire(10_000)));
    await clock.advance(0);
    expect(logins.map((l) => l.state)).toEqual(['admitted', 'admitted', 'admitted', 'pending', 'pending', 'pending']);
    expect(pacer.waiting).toBe(3);
    await clock.advance(99);
    expect(logins[3].state).toBe('pending');
    await clock.advance(1);
    expect(logins.map((l) => l.state)).toEqual(['admitted', 'admitted', 'admitted', 'admitted', 'pending', 'pending']);
    await clock.advance(200);
    expect(logins.every((l) => l.state === 'admitted')).toBe(true);
    // Only the logins that waited are reported, with their wait.
    expect(events).toEqual([
      ['admitted', 0.1],
      ['admitted', 0.2],
      ['admitted', 0.3],
    ]);
  });

  it('refills up to the burst size only', async () => {
    const clock = new FakeClock();
    const pacer = new LoginPacer({ ratePerSecond: 100, burst: 2 }, {}, clock);
    await clock.advance(60_000);
    const logins = Array.from({ length: 3 }, () => track(pacer.acquire(5_000)));
    await clock.advance(0);
    expect(logins.map((l) => l.state)).toEqual(['admitted', 'admitted', 'pending']);
    await clock.advance(10);
    expect(logins[2].state).toBe('admitted');
  });

  it('refuses with 53400 a login whose turn does not come within its timeout, and serves the others', async () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const pacer = new LoginPacer({ ratePerSecond: 1, burst: 1 }, { loginPaced: (o) => events.push(o) }, clock);
    const first = track(pacer.acquire(500));
    const second = track(pacer.acquire(500));
    const third = track(pacer.acquire(5_000));
    await clock.advance(500);
    expect(first.state).toBe('admitted');
    expect(second.state).toBe('refused');
    expect(second.error).toBeInstanceOf(ClientFacingError);
    expect((second.error as ClientFacingError).sqlstate).toBe('53400');
    expect((second.error as Error).message).toMatch(/paced at 1 per second/);
    expect(third.state).toBe('pending');
    await clock.advance(500);
    expect(third.state).toBe('admitted');
    expect(events).toEqual(['timeout', 'admitted']);
    expect(pacer.waiting).toBe(0);
  });

  it('keeps newcomers behind earlier waiters even when a token is available', async () => {
    const clock = new FakeClock();
    const pacer = new LoginPacer({ ratePerSecond: 10, burst: 1 }, {}, clock);
    const a = track(pacer.acquire(10_000));
    const b = track(pacer.acquire(10_000));
    await clock.advance(50);
    const c = track(pacer.acquire(10_000));
    await clock.advance(50);
    expect([a.state, b.state, c.state]).toEqual(['admitted', 'admitted', 'pending']);
    await clock.advance(100);
    expect(c.state).toBe('admitted');
  });

  it('rejects settings that could never admit anyone', () => {
    expect(() => new LoginPacer({ ratePerSecond: 0, burst: 1 })).toThrow();
    expect(() => new LoginPacer({ ratePerSecond: 5, burst: 0 })).toThrow();
  });
});
