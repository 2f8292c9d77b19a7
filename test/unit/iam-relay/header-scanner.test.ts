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

describe('HeaderScanner first-byte peek (named Parse detection for --reuse-connections)', () => {
  const parses = Buffer.concat([
    msg('P', '\0select 1\0\0\0'), // unnamed
    msg('B', '\0\0\0\0\0\0\0\0'),
    msg('P', 'S_1\0select 2\0\0\0'), // named
    msg('S', ''),
  ]);

  it('reports the first body byte of each message of the peeked type, however the stream is cut', () => {
    for (let cut = 1; cut < parses.length; cut++) {
      const bytes: number[] = [];
      const s = new HeaderScanner({ messageStart: () => {}, firstBodyByte: (b) => bytes.push(b) }, false, 'P'.charCodeAt(0));
      s.scan(parses.subarray(0, cut));
      s.scan(parses.subarray(cut));
      expect(bytes, `cut at ${cut}`).toEqual([0, 'S'.charCodeAt(0)]);
    }
  });

  it('reports nothing without a peeked type', () => {
    const bytes: number[] = [];
    new HeaderScanner({ messageStart: () => {}, firstBodyByte: (b) => bytes.push(b) }, false).scan(parses);
    expect(bytes).toEqual([]);
  });
});
