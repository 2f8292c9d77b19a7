// The parts of --workers that need no processes: the flag's values, the split of login pacing,
// and the routing of cancel keys by the worker index they carry.
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { parseWorkerCount, MAX_WORKERS } from '../../../src/cluster/worker-count.js';
import { CancelExchange, CancelForwarder, RoutedCancelRegistry, ownerOf } from '../../../src/cluster/cancel-routing.js';
import { shareOfPacing } from '../../../src/cluster/worker.js';
import { ConfigError, type ListenerConfig } from '../../../src/config/types.js';
import type { CancelKey } from '../../../src/server/types.js';

describe('--workers values', () => {
  it('accepts 1 to 64 and auto, and refuses the rest with ConfigError', () => {
    expect(parseWorkerCount(undefined)).toBe(1);
    expect(parseWorkerCount('1')).toBe(1);
    expect(parseWorkerCount(' 4 ')).toBe(4);
    expect(parseWorkerCount('64')).toBe(64);
    expect(parseWorkerCount('auto')).toBe(Math.min(MAX_WORKERS, availableParallelism()));
    for (const bad of ['0', '65', '-1', '1.5', 'two', 'auto2']) expect(() => parseWorkerCount(bad)).toThrow(ConfigError);
  });
});

describe('login pacing split between workers', () => {
  const listener = (rate: number, burst: number) =>
    ({ name: 'dsql', mode: 'dsql', settings: { host: 'h', maxConnectRate: rate, connectBurst: burst } }) as unknown as ListenerConfig;
  const pacing = (l: ListenerConfig) => {
    const s = l.settings as unknown as { maxConnectRate: number; connectBurst: number };
    return [s.maxConnectRate, s.connectBurst];
  };

  it('gives each worker its share, never more in total than configured', () => {
    expect(pacing(shareOfPacing(listener(100, 1000), 2))).toEqual([50, 500]);
    expect(pacing(shareOfPacing(listener(100, 1000), 3))).toEqual([100 / 3, 333]);
    // A burst smaller than the workers still lets each worker log in.
    expect(pacing(shareOfPacing(listener(1, 1), 4))).toEqual([0.25, 1]);
  });

  it('leaves one worker, and listeners without pacing, as they are', () => {
    const l = listener(100, 1000);
    expect(shareOfPacing(l, 1)).toBe(l);
    const noPacing = { name: 'x', mode: 'data-api', settings: {} } as unknown as ListenerConfig;
    expect(shareOfPacing(noPacing, 2)).toBe(noPacing);
  });
});

describe('cancel keys across workers', () => {
  it('hands out positive int32 processIds that name the worker', () => {
    for (const index of [0, 1, 63]) {
      const registry = new RoutedCancelRegistry(index, () => {});
      for (let i = 0; i < 200; i++) {
        const key = registry.allocate();
        expect(ownerOf(key)).toBe(index);
        expect(key.processId).toBeGreaterThan(0);
        expect(key.processId).toBeLessThanOrEqual(2 ** 31 - 1);
        expect(Number.isInteger(key.secretKey)).toBe(true);
      }
    }
  });

  it('cancels its own keys, forwards other workers keys, and never forwards a forwarded key', async () => {
    const forwarded: CancelKey[] = [];
    const w0 = new RoutedCancelRegistry(0, (k) => void forwarded.push(k));
    const w1 = new RoutedCancelRegistry(1, () => {});
    const key0 = w0.allocate();
    const key1 = w1.allocate();
    let cancelled = 0;
    w1.register(key1, () => {
      cancelled += 1;
    });
    w0.register(key0, () => {
      cancelled += 10;
    });

    // A key of worker 1 arriving at worker 0 goes to the primary, not to worker 0's sessions.
    expect(await w0.cancel(key1)).toBe(true);
    expect(forwarded).toEqual([key1]);
    expect(cancelled).toBe(0);
    // The primary hands it to worker 1.
    expect(await w1.cancelForwarded(forwarded[0])).toBe(true);
    expect(cancelled).toBe(1);
    // Worker 0's own key, and a wrong secret, are looked up locally.
    expect(await w0.cancel(key0)).toBe(true);
    expect(cancelled).toBe(11);
    expect(await w0.cancel({ ...key0, secretKey: key0.secretKey ^ 1 })).toBe(false);
    // A key the primary sent to the wrong worker is dropped, not sent round again.
    expect(await w0.cancelForwarded(key1)).toBe(false);
    expect(forwarded).toHaveLength(1);
  });
});

describe('forwarded cancels are answered', () => {
  const key = { processId: 64 * 7 + 1, secretKey: 42 }; // owned by worker 1

  it('a worker waits for the answer to its id, or for its bound, or for the primary to go', async () => {
    const sent: Array<{ id: number } & CancelKey> = [];
    const forwarder = new CancelForwarder((m) => (sent.push(m), true), 200);
    let done = 0;
    const first = forwarder.forward(key).then(() => (done += 1));
    const second = forwarder.forward(key).then(() => (done += 10));
    expect(sent.map((m) => m.id)).toEqual([1, 2]);
    expect(sent[0]).toMatchObject(key);
    forwarder.answered(2);
    await second;
    expect(done).toBe(10);
    forwarder.answered(99); // unknown ids are ignored
    expect(forwarder.inFlight).toBe(1);
    await first; // the bound
    expect(done).toBe(11);
    const third = forwarder.forward(key);
    forwarder.settleAll();
    await third;
    expect(forwarder.inFlight).toBe(0);
    // Nothing to wait for when the message could not be sent.
    await new CancelForwarder(() => false, 60_000).forward(key);
  });

  it('the primary passes a cancel to its owner and its answer back, and answers itself when the owner cannot', () => {
    type W = { name: string; up: boolean };
    const w0: W = { name: 'w0', up: true };
    const w1: W = { name: 'w1', up: true };
    const workers: Array<W | undefined> = [w0, w1];
    const delivered: Array<[string, unknown]> = [];
    const exchange = new CancelExchange<W>(
      (i) => workers[i],
      (to, m) => to.up && (delivered.push([to.name, m]), true),
    );
    exchange.request(w0, 5, key);
    expect(delivered).toEqual([['w1', { apgp: 'cancel', id: 1, ...key }]]);
    exchange.answer(1);
    expect(delivered[1]).toEqual(['w0', { apgp: 'cancelled', id: 5 }]);
    exchange.answer(1); // answered once
    expect(delivered).toHaveLength(2);

    // The owner exits before answering: the sender is answered then.
    exchange.request(w0, 6, key);
    exchange.gone(w1);
    expect(delivered.at(-1)).toEqual(['w0', { apgp: 'cancelled', id: 6 }]);
    // The sender exits first: nothing is delivered to it later.
    exchange.request(w0, 7, key);
    exchange.gone(w0);
    expect(exchange.size).toBe(0);
    const count = delivered.length;
    exchange.answer(3);
    expect(delivered).toHaveLength(count);

    // No owner running, the owner unreachable, or a key the sender owns: answered at once.
    workers[1] = undefined;
    exchange.request(w0, 8, key);
    expect(delivered.at(-1)).toEqual(['w0', { apgp: 'cancelled', id: 8 }]);
    workers[1] = { name: 'w1b', up: false };
    exchange.request(w0, 9, key);
    expect(delivered.at(-1)).toEqual(['w0', { apgp: 'cancelled', id: 9 }]);
    workers[1] = w1;
    exchange.request(w1, 10, key);
    expect(delivered.at(-1)).toEqual(['w1', { apgp: 'cancelled', id: 10 }]);
    expect(exchange.size).toBe(0);
  });
});
