import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameReader } from '../../../src/protocol/framer.js';
import { ProtocolViolation } from '../../../src/protocol/errors.js';
import {
  encodeQuery,
  encodeSSLRequest,
  encodeStartupMessage,
  encodeSync,
  encodeTerminate,
} from '../../../src/protocol/frontend-encoder.js';
import { encodeCopyData } from '../../../src/protocol/backend-encoder.js';

const MiB = 1 << 20;

type Frame = { type: number; body: Buffer };

function drain(reader: FrameReader): Frame[] {
  const out: Frame[] = [];
  for (let frame = reader.nextMessage(); frame; frame = reader.nextMessage()) {
    out.push({ type: frame.type, body: Buffer.from(frame.body) });
  }
  return out;
}

function expected(...messages: Buffer[]): Frame[] {
  return messages.map((m) => ({ type: m[0], body: m.subarray(5) }));
}

describe('FrameReader', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const stream = [encodeQuery('SELECT 1'), encodeQuery('héllo ✓ 日本'), encodeSync(), encodeTerminate()];
  const bytes = Buffer.concat(stream);

  it('reads several messages from one chunk', () => {
    const reader = new FrameReader({ maxMessageLength: MiB });
    reader.push(bytes);
    expect(drain(reader)).toEqual(expected(...stream));
    expect(reader.bufferedBytes).toBe(0);
    expect(reader.nextMessage()).toBeNull();
  });

  it('reads the same messages when the stream is split at every byte boundary', () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      const reader = new FrameReader({ maxMessageLength: MiB });
      reader.push(bytes.subarray(0, cut));
      const frames = drain(reader);
      reader.push(bytes.subarray(cut));
      frames.push(...drain(reader));
      expect(frames).toEqual(expected(...stream));
      expect(reader.bufferedBytes).toBe(0);
    }
  });

  it('reads the same messages when every byte arrives alone', () => {
    const reader = new FrameReader({ maxMessageLength: MiB });
    const frames: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) {
      reader.push(bytes.subarray(i, i + 1));
      frames.push(...drain(reader));
      // Nothing is consumed until a whole frame is there.
      expect(reader.bufferedBytes).toBe(i + 1 - frames.reduce((n, f) => n + 5 + f.body.length, 0));
    }
    expect(frames).toEqual(expected(...stream));
  });

  it('splits startup packets at every byte boundary, then switches to regular messages', () => {
    const startup = encodeStartupMessage({ user: 'u', database: 'd' });
    const all = Buffer.concat([encodeSSLRequest(), startup, encodeQuery('x')]);
    for (let cut = 1; cut < all.length; cut++) {
      const reader = new FrameReader({ maxMessageLength: MiB });
      const packets: Buffer[] = [];
      // A server reads exactly two startup-phase packets here, then regular messages.
      const readStartupPackets = () => {
        while (packets.length < 2) {
          const p = reader.nextStartupPacket();
          if (!p) return;
          packets.push(Buffer.from(p));
        }
      };
      reader.push(all.subarray(0, cut));
      readStartupPackets();
      reader.push(all.subarray(cut));
      readStartupPackets();
      expect(packets).toEqual([encodeSSLRequest().subarray(4), startup.subarray(4)]);
      expect(drain(reader)).toEqual(expected(encodeQuery('x')));
    }
  });

  it('returns null for an incomplete startup packet and keeps its bytes', () => {
    const reader = new FrameReader({ maxMessageLength: MiB });
    reader.push(encodeSSLRequest().subarray(0, 6));
    expect(reader.nextStartupPacket()).toBeNull();
    expect(reader.bufferedBytes).toBe(6);
  });

  it('hands back unconsumed bytes with takeBuffered', () => {
    const reader = new FrameReader({ maxMessageLength: MiB });
    const tlsHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
    reader.push(encodeSSLRequest());
    reader.push(tlsHello.subarray(0, 2));
    reader.push(tlsHello.subarray(2));
    expect(reader.nextStartupPacket()).not.toBeNull();
    expect(reader.bufferedBytes).toBe(tlsHello.length);
    expect(reader.takeBuffered()).toEqual(tlsHello);
    expect(reader.bufferedBytes).toBe(0);
    expect(reader.takeBuffered()).toEqual(Buffer.alloc(0));
  });

  it('hands back a partial message with takeBuffered, from the middle of a chunk', () => {
    const reader = new FrameReader({ maxMessageLength: MiB });
    const sync = encodeSync();
    const query = encodeQuery('SELECT 42');
    reader.push(Buffer.concat([sync, query.subarray(0, 7)]));
    expect(drain(reader)).toEqual(expected(sync));
    reader.push(query.subarray(7, 9));
    expect(reader.takeBuffered()).toEqual(query.subarray(0, 9));
    expect(reader.bufferedBytes).toBe(0);
    expect(reader.nextMessage()).toBeNull();
    // The reader starts afresh: whatever is pushed next is read from its first byte.
    reader.push(encodeTerminate());
    expect(drain(reader)).toEqual(expected(encodeTerminate()));
  });

  it('reassembles a 1 MiB message arriving in 1 KiB pieces', () => {
    const payload = Buffer.alloc(MiB);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const message = encodeCopyData(payload);
    const reader = new FrameReader({ maxMessageLength: 2 * MiB });
    let frame: { type: number; body: Buffer } | null = null;
    let pieces = 0;
    for (let offset = 0; offset < message.length; offset += 1024) {
      expect(frame).toBeNull();
      reader.push(message.subarray(offset, offset + 1024));
      pieces++;
      frame = reader.nextMessage();
    }
    expect(pieces).toBe(Math.ceil(message.length / 1024));
    expect(frame).not.toBeNull();
    expect(frame!.type).toBe('d'.charCodeAt(0));
    expect(frame!.body.equals(payload)).toBe(true);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('copies a message split into 1 KiB pieces once, not once per piece', () => {
    const message = encodeCopyData(Buffer.alloc(MiB, 0x61));
    const reader = new FrameReader({ maxMessageLength: 2 * MiB });
    // Spies call through; they only record what the reader allocates.
    const unsafe = vi.spyOn(Buffer, 'allocUnsafe');
    const safe = vi.spyOn(Buffer, 'alloc');
    const concat = vi.spyOn(Buffer, 'concat');
    let frame = null;
    for (let offset = 0; offset < message.length; offset += 1024) {
      reader.push(message.subarray(offset, offset + 1024));
      frame = reader.nextMessage();
    }
    expect(frame?.body.length).toBe(MiB);
    expect(concat).not.toHaveBeenCalled();
    expect(safe).not.toHaveBeenCalled();
    expect(unsafe.mock.calls.map(([size]) => size)).toEqual([message.length]);
  });

  it('reads many tiny chunks of many messages', () => {
    const many = Buffer.concat(Array.from({ length: 2000 }, (_, i) => encodeQuery(`SELECT ${i}`)));
    const reader = new FrameReader({ maxMessageLength: MiB });
    const frames: Frame[] = [];
    for (let offset = 0; offset < many.length; offset += 3) {
      reader.push(many.subarray(offset, offset + 3));
      frames.push(...drain(reader));
    }
    expect(frames).toHaveLength(2000);
    expect(frames[1999].body.toString()).toBe('SELECT 1999\0');
    expect(reader.bufferedBytes).toBe(0);
  });

  it('accepts a message exactly at the cap and refuses one byte more', () => {
    const atCap = encodeQuery('x'.repeat(95)); // length field = 4 + 95 + 1 = 100
    const reader = new FrameReader({ maxMessageLength: 100 });
    reader.push(atCap);
    expect(reader.nextMessage()?.body.length).toBe(96);

    const overCap = encodeQuery('x'.repeat(96));
    reader.push(overCap);
    expect(() => reader.nextMessage()).toThrow(new ProtocolViolation('invalid message length'));
  });

  it('ignores empty chunks', () => {
    const reader = new FrameReader({ maxMessageLength: MiB });
    reader.push(Buffer.alloc(0));
    expect(reader.nextMessage()).toBeNull();
    reader.push(encodeSync());
    reader.push(Buffer.alloc(0));
    expect(drain(reader)).toEqual(expected(encodeSync()));
  });

  it('rejects a nonsensical cap', () => {
    expect(() => new FrameReader({ maxMessageLength: 3 })).toThrow(RangeError);
    expect(() => new FrameReader({ maxMessageLength: Number.NaN })).toThrow(RangeError);
  });
});
