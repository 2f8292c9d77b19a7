import { describe, expect, it } from 'vitest';
import { backoffMs, isOccConflict, isRetryableBatch, OccRetrier } from '../../../src/dsql/occ-retry.js';

function msg(type: string, body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(b.length + 4, 1);
  return Buffer.concat([head, b]);
}
const query = (sql: string) => msg('Q', sql + '\0');
const parse = (name: string, sql: string) => msg('P', Buffer.concat([Buffer.from(`${name}\0${sql}\0`), Buffer.alloc(2)]));
const bind = () => msg('B', Buffer.from('\0\0\0\0\0\0\0\0', 'latin1'));
const execute = () => msg('E', Buffer.from('\0\0\0\0\0', 'latin1'));
const sync = () => msg('S', Buffer.alloc(0));
function errorHead(code: string, message: string): Buffer {
  return Buffer.from(`SERROR\0C${code}\0M${message}\0\0`, 'latin1');
}

describe('isOccConflict', () => {
  it('recognises 40001 with OC000 or OC001 in the message only', () => {
    expect(isOccConflict(errorHead('40001', 'change conflicts with another transaction, please retry: (OC000)'))).toBe(true);
    expect(isOccConflict(errorHead('40001', 'schema has been updated by another transaction, please retry: (OC001)'))).toBe(true);
    expect(isOccConflict(errorHead('40001', 'could not serialize access'))).toBe(false);
    expect(isOccConflict(errorHead('23505', 'duplicate key (OC000)'))).toBe(false);
  });
});

describe('isRetryableBatch', () => {
  it('accepts a lone Query with one statement, and an unnamed extended batch ending with Sync', () => {
    expect(isRetryableBatch(query('insert into t values (1);'))).toBe(true);
    expect(isRetryableBatch(Buffer.concat([parse('', 'insert into t values ($1)'), bind(), execute(), sync()]))).toBe(true);
    expect(isRetryableBatch(Buffer.concat([bind(), execute(), bind(), execute(), sync()]))).toBe(true);
  });

  it('refuses several statements, a named Parse, a missing Sync, pipelined extras and torn messages', () => {
    expect(isRetryableBatch(query('insert into t values (1); insert into t values (2)'))).toBe(false);
    expect(isRetryableBatch(Buffer.concat([parse('S_1', 'insert into t values ($1)'), bind(), execute(), sync()]))).toBe(false);
    expect(isRetryableBatch(Buffer.concat([parse('', 'select 1'), bind(), execute()]))).toBe(false);
    expect(isRetryableBatch(Buffer.concat([query('select 1'), query('select 2')]))).toBe(false);
    expect(isRetryableBatch(query('select 1').subarray(0, 8))).toBe(false);
  });
});

describe('backoffMs', () => {
  it('stays within 1 to 100 ms and grows with the attempt', () => {
    expect(backoffMs(1, () => 0)).toBe(1);
    expect(backoffMs(1, () => 1)).toBe(10);
    expect(backoffMs(3, () => 1)).toBe(40);
    expect(backoffMs(10, () => 1)).toBe(100);
    expect(backoffMs(10, () => 0)).toBe(1);
  });
});

describe('OccRetrier', () => {
  const conflict = errorHead('40001', 'change conflicts with another transaction, please retry: (OC000)');
  const I = 'I'.charCodeAt(0);
  const E = 'E'.charCodeAt(0);

  it('holds the answer, resends the batch up to the limit, then releases the last answer', () => {
    const events: string[] = [];
    const r = new OccRetrier(2, { occRetry: (n) => events.push(`retry ${n}`), occOutcome: (o) => events.push(o) }, () => 0);
    const batch = query('insert into t values (1)');
    expect(r.clientChunk(batch, true, true)).toBeNull();
    expect(r.isHolding).toBe(true);
    for (let attempt = 1; attempt <= 2; attempt++) {
      expect(r.holdUpstream(Buffer.from('answer'))).toBeNull();
      r.errorSeen(conflict);
      const d = r.readyForQuery(I, true);
      expect(d.action).toBe('retry');
      if (d.action === 'retry') expect(d.batch.equals(batch)).toBe(true);
    }
    r.holdUpstream(Buffer.from('last'));
    r.errorSeen(conflict);
    const last = r.readyForQuery(I, true);
    expect(last.action).toBe('release');
    expect(last.action === 'release' ? last.held?.map(String) : null).toEqual(['last']);
    expect(r.isHolding).toBe(false);
    expect(events).toEqual(['retry 1', 'retry 2', 'exhausted']);
  });

  it('releases at once when there was no conflict, or the transaction is not idle', () => {
    const r = new OccRetrier(3);
    r.clientChunk(query('select 1'), true, true);
    r.holdUpstream(Buffer.from('rows'));
    expect(r.readyForQuery(I, true)).toMatchObject({ action: 'release' });
    r.clientChunk(query('insert into t values (1)'), true, true);
    r.errorSeen(conflict);
    expect(r.readyForQuery(E, true)).toMatchObject({ action: 'release' });
  });

  it('gives the held answer back when the client sends more before it came (pipelining)', () => {
    const r = new OccRetrier(3);
    r.clientChunk(query('insert into t values (1)'), true, true);
    r.holdUpstream(Buffer.from('part'));
    const released = r.clientChunk(query('select 2'), false, true);
    expect(released?.map(String)).toEqual(['part']);
    expect(r.isHolding).toBe(false);
  });

  it('records a batch that spans chunks', () => {
    const r = new OccRetrier(1, {}, () => 0);
    const whole = Buffer.concat([parse('', 'insert into t values ($1)'), bind(), execute(), sync()]);
    r.clientChunk(whole.subarray(0, 10), true, false);
    expect(r.isHolding).toBe(false);
    r.clientChunk(whole.subarray(10), false, true);
    r.errorSeen(conflict);
    const d = r.readyForQuery(I, true);
    expect(d.action).toBe('retry');
    if (d.action === 'retry') expect(d.batch.equals(whole)).toBe(true);
  });
});
