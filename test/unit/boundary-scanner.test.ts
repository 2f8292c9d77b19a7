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
