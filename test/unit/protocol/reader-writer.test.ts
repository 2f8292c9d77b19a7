import { describe, expect, it } from 'vitest';
import { ProtocolViolation } from '../../../src/protocol/errors.js';
import { BufferReader } from '../../../src/protocol/reader.js';
import { BufferWriter, buildMessage, buildStartupPacket } from '../../../src/protocol/writer.js';

describe('BufferWriter and BufferReader', () => {
  it('round-trip every integer width at its limits', () => {
    const w = new BufferWriter(16);
    w.int8(-128).int8(127).uint8(255).int16(-32768).int16(32767).uint16(65535);
    w.int32(-2147483648).int32(2147483647).uint32(4294967295).int32OrUint32(0xdeadbeef).int32OrUint32(-1);
    const r = new BufferReader(w.finish());
    expect([r.int8(), r.int8(), r.uint8(), r.int16(), r.int16(), r.uint16()]).toEqual([-128, 127, 255, -32768, 32767, 65535]);
    expect([r.int32(), r.int32(), r.uint32(), r.uint32(), r.int32()]).toEqual([
      -2147483648, 2147483647, 4294967295, 0xdeadbeef, -1,
    ]);
    expect(r.remaining).toBe(0);
    r.end();
  });

  it('counts UTF-8 bytes, not string length, and grows as needed', () => {
    const text = 'héllo ✓ 日本 😀';
    const w = new BufferWriter(16);
    for (let i = 0; i < 100; i++) w.cstring(text);
    const bytes = w.finish();
    expect(bytes.length).toBe(100 * (Buffer.byteLength(text) + 1));
    expect(Buffer.byteLength(text)).toBeGreaterThan(text.length);
    const r = new BufferReader(bytes);
    for (let i = 0; i < 100; i++) expect(r.cstring()).toBe(text);
    r.end();
  });

  it('refuses values that do not fit, and NUL inside a C string', () => {
    const w = new BufferWriter();
    expect(() => w.int16(32768)).toThrow(RangeError);
    expect(() => w.uint8(-1)).toThrow(RangeError);
    expect(() => w.int32(1.5)).toThrow(RangeError);
    expect(() => w.uint32(2 ** 32)).toThrow(RangeError);
    expect(() => w.cstring('a\0b')).toThrow(RangeError);
    expect(w.length).toBe(0);
  });

  it('reports reads past the end as ProtocolViolation', () => {
    const r = new BufferReader(Buffer.from([1, 2, 3]));
    expect(() => r.int32()).toThrow(new ProtocolViolation('insufficient data left in message'));
    expect(() => r.bytes(4)).toThrow(ProtocolViolation);
    expect(() => r.bytes(-1)).toThrow(ProtocolViolation);
    expect(() => r.cstring()).toThrow(new ProtocolViolation('invalid string in message'));
    expect(r.int16()).toBe(0x0102);
    expect(() => r.end()).toThrow(new ProtocolViolation('invalid message format'));
    expect(r.bytes(1)).toEqual(Buffer.from([3]));
    expect(() => r.uint8()).toThrow(ProtocolViolation);
    expect(r.position).toBe(3);
  });

  it('frames messages and startup packets with lengths that count themselves', () => {
    expect(buildMessage('Z', (w) => w.uint8(0x49))).toEqual(Buffer.from([0x5a, 0, 0, 0, 5, 0x49]));
    expect(buildMessage('1')).toEqual(Buffer.from([0x31, 0, 0, 0, 4]));
    expect(buildStartupPacket((w) => w.int32(80877103))).toEqual(Buffer.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]));
  });
});
