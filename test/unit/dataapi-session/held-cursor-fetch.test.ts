// FETCH/MOVE arithmetic over a materialized WITH HOLD cursor, as PostgreSQL's DoPortalRunFetch.
import { describe, expect, it } from 'vitest';
import { planFetch } from '../../../src/dataapi/session/held-cursors.js';

const rows = (p: ReturnType<typeof planFetch>) => (p.count === 0 ? [] : Array.from({ length: p.count }, (_, i) => (p.first <= p.last ? p.first + i : p.first - i)));

describe('planFetch', () => {
  it('reads forward, to the end and past it', () => {
    expect(rows(planFetch({ direction: 'forward', count: 3 }, 0, 5, false))).toEqual([1, 2, 3]);
    const rest = planFetch({ direction: 'forward', count: 'all' }, 3, 5, false);
    expect([rows(rest), rest.newPosition]).toEqual([[4, 5], 6]);
    const past = planFetch({ direction: 'forward', count: 1 }, 6, 5, false);
    expect([rows(past), past.newPosition]).toEqual([[], 6]);
  });

  it('reads backward only for scrollable cursors', () => {
    const back = planFetch({ direction: 'backward', count: 2 }, 6, 5, true);
    expect([rows(back), back.newPosition]).toEqual([[5, 4], 4]);
    expect(rows(planFetch({ direction: 'backward', count: 'all' }, 3, 5, true))).toEqual([2, 1]);
    expect(() => planFetch({ direction: 'backward', count: 1 }, 3, 5, false)).toThrow('cursor can only scan forward');
  });

  it('jumps with ABSOLUTE and RELATIVE', () => {
    expect(rows(planFetch({ direction: 'absolute', count: -1 }, 0, 5, true))).toEqual([5]);
    expect(planFetch({ direction: 'absolute', count: 9 }, 0, 5, true).newPosition).toBe(6);
    expect(rows(planFetch({ direction: 'relative', count: 2 }, 1, 5, false))).toEqual([3]);
    expect(rows(planFetch({ direction: 'relative', count: 0 }, 2, 5, true))).toEqual([2]);
    expect(() => planFetch({ direction: 'absolute', count: 1 }, 2, 5, false)).toThrow('cursor can only scan forward');
    expect(rows(planFetch({ direction: 'absolute', count: 4 }, 2, 5, false))).toEqual([4]);
  });
});
