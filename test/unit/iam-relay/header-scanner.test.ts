import { describe, expect, it } from 'vitest';
import { HeaderScanner } from '../../../src/iam-relay/header-scanner.js';

function msg(type: string, body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(b.length + 4, 1);
  return Buffer.concat([head, b]);
}

const stream = Buffer.concat([
  msg('T', 'x'.repeat(40)),
  msg('D', 'y'.repeat(300)),
  msg('E', 'SERROR\0C40001\0Mconflict (OC000)\0\0'),
  msg('Z', 'T'),
  msg('C', 'SELECT 1\0'),
  msg('Z', 'I'),
]);

function scanInPieces(pieces: number[]) {
  const seen: string[] = [];
  const statuses: string[] = [];
  const errors: string[] = [];
  const s = new HeaderScanner(
    {
      messageStart: (t) => seen.push(String.fromCharCode(t)),
      readyForQuery: (st) => statuses.push(String.fromCharCode(st)),
      errorResponse: (head) => errors.push(head.toString('latin1')),
    },
    true,
  );
  let at = 0;
  const boundaries: boolean[] = [];
  for (const size of [...pieces, stream.length]) {
    if (at >= stream.length) break;
    s.scan(stream.subarray(at, Math.min(stream.length, at + size)));
    at += size;
    boundaries.push(s.atBoundary);
  }
  return { seen, statuses, errors, atEnd: s.atBoundary, lastType: String.fromCharCode(s.lastType), boundaries };
}

describe('HeaderScanner', () => {
  it('finds every message, status byte and error head in one chunk', () => {
    const r = scanInPieces([]);
    expect(r.seen.join('')).toBe('TDEZCZ');
    expect(r.statuses).toEqual(['T', 'I']);
    expect(r.errors).toEqual(['SERROR\0C40001\0Mconflict (OC000)\0\0']);
    expect(r.atEnd).toBe(true);
    expect(r.lastType).toBe('Z');
  });

  it('gives the same answers whatever the chunking, down to single bytes', () => {
    const whole = scanInPieces([]);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const r = scanInPieces(Array.from({ length: Math.ceil(stream.length / size) }, () => size));
      expect({ ...r, boundaries: undefined }).toEqual({ ...whole, boundaries: undefined });
    }
  });

  it('knows when a chunk ends inside a header or a body', () => {
    const r = scanInPieces([3, 42, 10]);
    expect(r.boundaries[0]).toBe(false); // inside T's header
    expect(r.boundaries[1]).toBe(true); // T (45 bytes) ends exactly here
    expect(r.boundaries[2]).toBe(false); // inside D's body
  });

  it('captures nothing and calls no capture hook when told not to', () => {
    const seen: number[] = [];
    const s = new HeaderScanner({ messageStart: (t) => seen.push(t), readyForQuery: () => seen.push(-1) }, false);
    s.scan(stream);
    expect(seen).not.toContain(-1);
    expect(seen.length).toBe(6);
  });
});

describe('HeaderScanner captures of chosen types (prepared statement names for --reuse-connections)', () => {
  const P = 'P'.charCodeAt(0);
  const C = 'C'.charCodeAt(0);
  const stream = Buffer.concat([
    msg('P', '\0select 1\0\0\0'), // unnamed
    msg('B', '\0\0\0\0\0\0\0\0'),
    msg('P', `S_1\0select ${'x'.repeat(400)}\0\0\0`), // named, longer than the capture
    msg('C', 'SS_1\0'),
    msg('S', ''),
  ]);

  it('hands over the first bytes of each message of those types, however the stream is cut', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const seen: [string, string][] = [];
      const s = new HeaderScanner({ messageStart: () => {}, captured: (type, head) => seen.push([String.fromCharCode(type), head.toString('latin1', 0, 12)]) }, false, [P, C]);
      s.scan(stream.subarray(0, cut));
      s.scan(stream.subarray(cut));
      expect(seen, `cut at ${cut}`).toEqual([
        ['P', '\0select 1\0\0\0'],
        ['P', 'S_1\0select x'],
        ['C', 'SS_1\0'],
      ]);
    }
  });

  it('keeps at most 256 bytes of each', () => {
    const sizes: number[] = [];
    new HeaderScanner({ messageStart: () => {}, captured: (_type, head) => sizes.push(head.length) }, false, [P]).scan(stream);
    expect(sizes).toEqual([12, 256]);
  });

  it('captures nothing without chosen types', () => {
    const seen: number[] = [];
    new HeaderScanner({ messageStart: () => {}, captured: (type) => seen.push(type) }, false).scan(stream);
    expect(seen).toEqual([]);
  });
});
