import { describe, it, expect } from 'vitest';
import { ReadinessProbe, safeReason, type ReadinessResult } from '../../../src/metrics/readiness.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ReadinessProbe', () => {
  it('reuses a result within cacheMs and checks again after it', async () => {
    let clock = 1000;
    let calls = 0;
    let failing = true;
    const probe = new ReadinessProbe(
      async () => {
        calls++;
        if (failing) throw new Error('cluster unreachable: ECONNREFUSED');
      },
      { cacheMs: 5000, timeoutMs: 1000, now: () => clock },
    );

    expect(await probe.current()).toEqual({ ready: false, reason: 'cluster unreachable: ECONNREFUSED' });
    failing = false;
    clock += 4999;
    expect((await probe.current()).ready).toBe(false);
    expect(calls).toBe(1);
    clock += 1;
    expect(await probe.current()).toEqual({ ready: true, reason: '' });
    expect(calls).toBe(2);
  });

  it('shares one running check between concurrent callers', async () => {
    let calls = 0;
    const gate = deferred();
    const probe = new ReadinessProbe(
      () => {
        calls++;
        return gate.promise;
      },
      { cacheMs: 0, timeoutMs: 10_000 },
    );
    const all = Promise.all([probe.current(), probe.current(), probe.current()]);
    gate.resolve();
    const results = await all;
    expect(calls).toBe(1);
    expect(results.map((r) => r.ready)).toEqual([true, true, true]);
  });

  it('treats a hung check as not ready', async () => {
    const probe = new ReadinessProbe(() => new Promise<void>(() => {}), { cacheMs: 0, timeoutMs: 30 });
    const r = await probe.current();
    expect(r.ready).toBe(false);
    expect(r.reason).toContain('did not finish within 30 ms');
  });

  it('treats a check that throws synchronously as not ready', async () => {
    const probe = new ReadinessProbe(
      (() => {
        throw new Error('no backend configured');
      }) as () => Promise<void>,
      { cacheMs: 0, timeoutMs: 1000 },
    );
    expect(await probe.current()).toEqual({ ready: false, reason: 'no backend configured' });
  });

  it('reports changes only', async () => {
    const changes: ReadinessResult[] = [];
    const outcomes = [false, false, true, true, false];
    const probe = new ReadinessProbe(
      async () => {
        if (!outcomes.shift()) throw new Error('down');
      },
      { cacheMs: 0, timeoutMs: 1000, onChange: (r) => changes.push(r) },
    );
    for (let i = 0; i < 5; i++) await probe.current();
    expect(changes.map((c) => c.ready)).toEqual([false, true, false]);
  });
});

describe('safeReason', () => {
  it('strips presigned-token parts, access keys and password values', () => {
    const token =
      'abc.dsql.us-east-1.on.aws/?Action=DbConnectAdmin&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250101&X-Amz-Security-Token=IQoJb3JpZ2lu&X-Amz-Signature=deadbeef01';
    const reason = safeReason(new Error(`login failed with ${token} key ASIAIOSFODNN7EXAMPLE password=hunter2`));
    for (const secret of ['AKIAIOSFODNN7EXAMPLE', 'IQoJb3JpZ2lu', 'deadbeef01', 'ASIAIOSFODNN7EXAMPLE', 'hunter2']) {
      expect(reason).not.toContain(secret);
    }
    expect(reason).toContain('login failed');
  });

  it('makes one bounded line', () => {
    const reason = safeReason(new Error(`line one\nline two\r\n${'x'.repeat(1000)}`));
    expect(reason).not.toMatch(/[\r\n]/);
    expect(reason.length).toBeLessThanOrEqual(303);
    expect(reason.startsWith('line one line two')).toBe(true);
    expect(safeReason(undefined)).toBe('not ready');
  });
});
