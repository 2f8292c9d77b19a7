import { describe, expect, it } from 'vitest';
import { BoundaryScanner } from '../../src/protocol/boundary-scanner.js';

function msg(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

describe('BoundaryScanner', () => {
  const stream = Buffer.concat([
    msg('Q', Buffer.from('select 1\0')),
    msg('P', Buffer.alloc(70000, 1)),
    msg('S', Buffer.alloc(0)),
    msg('X', Buffer.alloc(0)),
  ]);

  it('reports every message once whatever the chunking', () => {
    for (const size of [1, 2, 3, 4, 5, 6, 7, 64, 1000, stream.length]) {
      const seen: string[] = [];
      const scanner = new BoundaryScanner((t, len) => seen.push(`${String.fromCharCode(t)}${len}`));
      for (let i = 0; i < stream.length; i += size) scanner.scan(stream.subarray(i, i + size));
      expect(seen).toEqual(['Q13', 'P70004', 'S4', 'X4']);
      expect(scanner.atBoundary).toBe(true);
    }
  });

  it('knows when it stands inside a message', () => {
    const scanner = new BoundaryScanner(() => {});
    scanner.scan(stream.subarray(0, 16));
    expect(scanner.atBoundary).toBe(false);
    scanner.scan(stream.subarray(16, 20));
    expect(scanner.atBoundary).toBe(false);
    scanner.scan(stream.subarray(20));
    expect(scanner.atBoundary).toBe(true);
  });
});

describe('BoundaryScanner body capture', () => {
  const rfq = (status: string) => msg('Z', Buffer.from(status));
  const error = Buffer.concat([Buffer.from('SERROR\0C42P01\0M'), Buffer.alloc(600, 0x61), Buffer.from('\0\0')]);
  const stream = Buffer.concat([msg('T', Buffer.alloc(300, 7)), msg('E', error), rfq('T'), msg('D', Buffer.alloc(50)), rfq('I')]);

  it('hands over the bodies of the chosen types, cut at the cap, whatever the chunking', () => {
    for (const size of [1, 3, 5, 17, 256, stream.length]) {
      const bodies: string[] = [];
      const scanner = new BoundaryScanner(() => {}, {
        types: new Set(['Z'.charCodeAt(0), 'E'.charCodeAt(0)]),
        maxBytes: 16,
        onBody: (type, body) => bodies.push(`${String.fromCharCode(type)}:${body.toString('latin1')}`),
      });
      for (let i = 0; i < stream.length; i += size) scanner.scan(stream.subarray(i, i + size));
      expect(bodies).toEqual([`E:${error.subarray(0, 16).toString('latin1')}`, 'Z:T', 'Z:I']);
      expect(scanner.atBoundary).toBe(true);
    }
  });
});
