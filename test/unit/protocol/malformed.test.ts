import { describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import { ProtocolViolation } from '../../../src/protocol/errors.js';
import { FrameReader } from '../../../src/protocol/framer.js';
import {
  decodeFrontendMessage,
  decodePasswordMessage,
  decodeSaslInitialResponse,
  decodeStartupPacket,
} from '../../../src/protocol/frontend-decoder.js';
import { encodeFrontendMessage, encodeStartupMessage } from '../../../src/protocol/frontend-encoder.js';
import { SqlState } from '../../../src/protocol/sqlstate.js';

// Every malformed input must end in a ProtocolViolation with the right SQLSTATE, never in a
// TypeError or RangeError escaping from Buffer.

function violation(fn: () => unknown): ProtocolViolation {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolViolation);
    return error as ProtocolViolation;
  }
  throw new Error('expected a ProtocolViolation, but nothing was thrown');
}

function expectViolation(fn: () => unknown, sqlstate: string, message: string): void {
  const error = violation(fn);
  expect({ sqlstate: error.sqlstate, message: error.message }).toEqual({ sqlstate, message });
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

function startupBody(version: number, ...pairs: string[]): Buffer {
  return Buffer.concat([int32(version), Buffer.from(pairs.map((p) => `${p}\0`).join('') + '\0')]);
}

function decode(type: string, body: Buffer | string) {
  return decodeFrontendMessage(type.charCodeAt(0), typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
}

const PV = SqlState.PROTOCOL_VIOLATION;

describe('malformed startup packets', () => {
  it.each([
    ['4', 4],
    ['7', 7],
    ['0', 0],
    ['10001', 10001],
    ['2^31', 2 ** 31],
    ['-1', 0xffffffff],
  ])('refuses length %s from the 4-byte header alone', (_label, length) => {
    const reader = new FrameReader({ maxMessageLength: 1 << 20 });
    reader.push(int32(length));
    expectViolation(() => reader.nextStartupPacket(), PV, 'invalid length of startup packet');
  });

  it('accepts the boundary lengths 8 and 10000', () => {
    const reader = new FrameReader({ maxMessageLength: 1 << 20 });
    reader.push(Buffer.concat([int32(8), int32(80877103)]));
    expect(reader.nextStartupPacket()).toEqual(int32(80877103));
    // 4 length + 4 version + "user\0" (5) + value + NUL + final NUL = 10000
    const packet = encodeStartupMessage({ user: 'u'.repeat(10000 - 4 - 4 - 5 - 1 - 1) });
    expect(packet.length).toBe(10000);
    reader.push(packet);
    const body = reader.nextStartupPacket();
    expect(body).not.toBeNull();
    expect(decodeStartupPacket(body!).kind).toBe('StartupMessage');
  });

  it('refuses a body too short to hold a code', () => {
    expectViolation(() => decodeStartupPacket(Buffer.from([0, 3, 0])), PV, 'invalid length of startup packet');
  });

  it.each([
    [2, 0, '2.0'],
    [1, 0, '1.0'],
    [4, 0, '4.0'],
    [1234, 5681, '1234.5681'], // next to the SSL/GSS/cancel codes, yet not one of them
  ])('refuses protocol %d.%d with 0A000', (major, minor, shown) => {
    expectViolation(
      () => decodeStartupPacket(startupBody((major << 16) | minor, 'user', 'u')),
      SqlState.FEATURE_NOT_SUPPORTED,
      `unsupported frontend protocol ${shown}: server supports 3.0 to 3.0`,
    );
  });

  it('accepts any 3.x minor and reports it', () => {
    const packet = decodeStartupPacket(startupBody((3 << 16) | 2, 'user', 'u', '_pq_.x', '1'));
    expect(packet).toEqual({
      kind: 'StartupMessage',
      protocolVersion: (3 << 16) | 2,
      parameters: { user: 'u' },
      protocolOptions: ['_pq_.x'],
    });
  });

  it.each([
    ['4 bytes', 4],
    ['12 bytes', 12],
    ['no bytes', 0],
  ])('refuses a CancelRequest with %s after the code (8 expected)', (_label, extra) => {
    const body = Buffer.concat([int32(80877102), Buffer.alloc(extra)]);
    expectViolation(() => decodeStartupPacket(body), PV, 'invalid length of startup packet');
  });

  it('refuses a CancelRequest of 20 bytes arriving through the framer', () => {
    const reader = new FrameReader({ maxMessageLength: 1 << 20 });
    reader.push(Buffer.concat([int32(20), int32(80877102), int32(1), int32(2), int32(3)]));
    const body = reader.nextStartupPacket();
    expect(body?.length).toBe(16);
    expectViolation(() => decodeStartupPacket(body!), PV, 'invalid length of startup packet');
  });

  it('refuses SSLRequest and GSSENCRequest with extra bytes', () => {
    for (const code of [80877103, 80877104]) {
      expectViolation(() => decodeStartupPacket(Buffer.concat([int32(code), Buffer.alloc(1)])), PV, 'invalid length of startup packet');
    }
  });

  it('refuses a StartupMessage without a user name, with 28000', () => {
    const message = 'no PostgreSQL user name specified in startup packet';
    const code = SqlState.INVALID_AUTHORIZATION_SPECIFICATION;
    expectViolation(() => decodeStartupPacket(startupBody(196608, 'database', 'd')), code, message);
    expectViolation(() => decodeStartupPacket(startupBody(196608, 'user', '')), code, message);
    expectViolation(() => decodeStartupPacket(startupBody(196608)), code, message);
  });

  it('refuses a StartupMessage whose layout is broken', () => {
    const layout = 'invalid startup packet layout: expected terminator as last byte';
    const version = int32(196608);
    const cases = [
      Buffer.concat([version]), // no terminator at all
      Buffer.concat([version, Buffer.from('user\0u\0')]), // pairs but no final NUL
      Buffer.concat([version, Buffer.from('user\0u\0database\0')]), // name without value
      Buffer.concat([version, Buffer.from('user\0u\0database')]), // name without NUL
      Buffer.concat([version, Buffer.from('user\0u\0\0junk')]), // bytes after the terminator
      Buffer.concat([version, Buffer.from('user\0u\0\0\0')]),
    ];
    for (const body of cases) expectViolation(() => decodeStartupPacket(body), PV, layout);
  });

  it('refuses invalid UTF-8 in a parameter with 22021', () => {
    const body = Buffer.concat([int32(196608), Buffer.from('user\0'), Buffer.from([0x61, 0xc3, 0x28, 0]), Buffer.from([0])]);
    expectViolation(
      () => decodeStartupPacket(body),
      SqlState.CHARACTER_NOT_IN_REPERTOIRE,
      'invalid byte sequence for encoding "UTF8": 0xc3 0x28',
    );
  });

  it('keeps a parameter named __proto__ as plain data', () => {
    const packet = decodeStartupPacket(startupBody(196608, 'user', 'u', '__proto__', 'x', 'constructor', 'y'));
    if (packet.kind !== 'StartupMessage') throw new Error('unreachable');
    expect(Object.getPrototypeOf(packet.parameters)).toBe(Object.prototype);
    expect(Object.entries(packet.parameters)).toEqual([
      ['user', 'u'],
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
  });
});

describe('malformed regular message frames', () => {
  it.each([
    ['3', 3],
    ['0', 0],
    ['negative', 0xfffffffc],
    ['2^31', 2 ** 31],
  ])('refuses length %s from the 5-byte header alone', (_label, length) => {
    const reader = new FrameReader({ maxMessageLength: 1 << 20 });
    reader.push(Buffer.concat([Buffer.from('Q'), int32(length)]));
    expectViolation(() => reader.nextMessage(), PV, 'invalid message length');
  });

  it('refuses a message over the cap before its body arrives', () => {
    const reader = new FrameReader({ maxMessageLength: 1000 });
    reader.push(Buffer.concat([Buffer.from('d'), int32(1001)]));
    expect(reader.bufferedBytes).toBe(5);
    expectViolation(() => reader.nextMessage(), PV, 'invalid message length');
  });

  it('refuses a header split across chunks just the same', () => {
    const reader = new FrameReader({ maxMessageLength: 1000 });
    const header = Buffer.concat([Buffer.from('d'), int32(5000)]);
    for (let i = 0; i < header.length - 1; i++) {
      reader.push(header.subarray(i, i + 1));
      expect(reader.nextMessage()).toBeNull();
    }
    reader.push(header.subarray(header.length - 1));
    expectViolation(() => reader.nextMessage(), PV, 'invalid message length');
  });
});

describe('malformed message bodies', () => {
  it.each([
    [0x78, 'invalid frontend message type 120'],
    [0, 'invalid frontend message type 0'],
    [255, 'invalid frontend message type 255'],
    ['R'.charCodeAt(0), 'invalid frontend message type 82'],
  ])('refuses unknown type byte %d', (type, message) => {
    expectViolation(() => decodeFrontendMessage(type, Buffer.alloc(0)), PV, message);
  });

  it('refuses truncated C strings', () => {
    expectViolation(() => decode('Q', 'SELECT 1'), PV, 'invalid string in message');
    expectViolation(() => decode('Q', ''), PV, 'invalid string in message');
    expectViolation(() => decode('f', 'oops'), PV, 'invalid string in message');
    expectViolation(() => decode('P', 'name\0SELECT'), PV, 'invalid string in message');
  });

  it('refuses trailing garbage', () => {
    expectViolation(() => decode('Q', 'SELECT 1\0x'), PV, 'invalid message format');
    expectViolation(() => decode('S', 'x'), PV, 'invalid message format');
    expectViolation(() => decode('H', '\0'), PV, 'invalid message format');
    expectViolation(() => decode('E', '\0\0\0\0\0\0'), PV, 'invalid message format');
    expectViolation(() => decode('D', 'Sname\0\0'), PV, 'invalid message format');
  });

  it('refuses invalid UTF-8 in SQL text with 22021', () => {
    const body = Buffer.concat([Buffer.from("SELECT '"), Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from("'\0")]);
    expectViolation(() => decode('Q', body), SqlState.CHARACTER_NOT_IN_REPERTOIRE, 'invalid byte sequence for encoding "UTF8": 0xe2 0x28 0xa1');
    // An overlong encoding of '/' and a lone surrogate are invalid too.
    expect(violation(() => decode('Q', Buffer.from([0xc0, 0xaf, 0]))).sqlstate).toBe(SqlState.CHARACTER_NOT_IN_REPERTOIRE);
    expect(violation(() => decode('Q', Buffer.from([0xed, 0xa0, 0x80, 0]))).sqlstate).toBe(SqlState.CHARACTER_NOT_IN_REPERTOIRE);
  });

  it('refuses a truncated Parse', () => {
    const body = Buffer.concat([Buffer.from('s\0SELECT $1, $2\0'), Buffer.from([0, 2]), int32(23)]);
    expectViolation(() => decode('P', body), PV, 'insufficient data left in message');
  });

  describe('Bind', () => {
    const head = Buffer.from('portal\0stmt\0');
    const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

    it('refuses a parameter format count that matches neither 0, 1 nor the parameter count', () => {
      const body = Buffer.concat([head, u16(2), u16(0), u16(0), u16(3), int32(-1), int32(-1), int32(-1), u16(0)]);
      expectViolation(() => decode('B', body), PV, 'bind message has 2 parameter formats but 3 parameters');
    });

    it('refuses a parameter count larger than the values present', () => {
      const body = Buffer.concat([head, u16(0), u16(2), int32(1), Buffer.from('x'), u16(0)]);
      expectViolation(() => decode('B', body), PV, 'insufficient data left in message');
    });

    it('refuses a parameter count smaller than the values present', () => {
      const body = Buffer.concat([head, u16(0), u16(1), int32(1), Buffer.from('x'), int32(1), Buffer.from('y'), u16(0)]);
      expectViolation(() => decode('B', body), PV, 'invalid message format');
    });

    it('refuses negative value lengths other than -1, and lengths beyond the body', () => {
      for (const length of [-2, -2147483648, 2147483647, 5]) {
        const body = Buffer.concat([head, u16(0), u16(1), int32(length), Buffer.from('abc'), u16(0)]);
        expectViolation(() => decode('B', body), PV, 'insufficient data left in message');
      }
    });

    it('refuses format codes other than 0 and 1 with 22023', () => {
      const body = Buffer.concat([head, u16(1), u16(2), u16(0), u16(0)]);
      expectViolation(() => decode('B', body), SqlState.INVALID_PARAMETER_VALUE, 'unsupported format code: 2');
      const result = Buffer.concat([head, u16(0), u16(0), u16(1), Buffer.from([0xff, 0xff])]);
      expectViolation(() => decode('B', result), SqlState.INVALID_PARAMETER_VALUE, 'unsupported format code: -1');
    });

    it('refuses a Bind cut at every byte', () => {
      const full = encodeFrontendMessage({
        type: 'Bind',
        portal: 'p',
        statement: 's',
        paramFormats: [0, 1],
        params: [Buffer.from('ab'), null],
        resultFormats: [1],
      }).subarray(5);
      expect(decode('B', full).type).toBe('Bind');
      for (let cut = 0; cut < full.length; cut++) {
        expect(violation(() => decode('B', full.subarray(0, cut))).sqlstate).toBe(PV);
      }
    });
  });

  it('refuses Describe and Close with a target other than S or P', () => {
    expectViolation(() => decode('D', 'Xname\0'), PV, 'invalid DESCRIBE message subtype 88');
    expectViolation(() => decode('C', 'Qname\0'), PV, 'invalid CLOSE message subtype 81');
    expectViolation(() => decode('D', ''), PV, 'insufficient data left in message');
  });

  it('refuses a truncated Execute', () => {
    expectViolation(() => decode('E', 'portal\0\0\0'), PV, 'insufficient data left in message');
  });

  it('refuses malformed password messages', () => {
    for (const body of ['', 'secret', 'sec\0ret\0', 'secret\0\0']) {
      expectViolation(() => decodePasswordMessage(Buffer.from(body)), PV, 'invalid password packet size');
    }
  });

  it('refuses malformed SASLInitialResponse messages', () => {
    const mech = Buffer.from('SCRAM-SHA-256\0');
    expectViolation(() => decodeSaslInitialResponse(Buffer.from('SCRAM-SHA-256')), PV, 'invalid string in message');
    expectViolation(() => decodeSaslInitialResponse(Buffer.concat([mech, Buffer.from([0, 0])])), PV, 'insufficient data left in message');
    expectViolation(() => decodeSaslInitialResponse(Buffer.concat([mech, int32(-2)])), PV, 'insufficient data left in message');
    expectViolation(() => decodeSaslInitialResponse(Buffer.concat([mech, int32(10), Buffer.from('abc')])), PV, 'insufficient data left in message');
    expectViolation(() => decodeSaslInitialResponse(Buffer.concat([mech, int32(1), Buffer.from('ab')])), PV, 'invalid message format');
  });
});

describe('decoders never throw anything but ProtocolViolation', () => {
  // A fixed-seed generator keeps the test deterministic.
  function prng(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state;
    };
  }

  const frontendTypes = [...'QPBDESHCXpdcfF'].map((c) => c.charCodeAt(0));

  it('survives every truncation of valid messages', () => {
    const samples = [
      serialize.parse({ name: 's', text: 'SELECT $1', types: [23] }),
      serialize.bind({ portal: 'p', statement: 's', values: ['1', Buffer.from([1]), null] }),
      serialize.describe({ type: 'S', name: 's' }),
      serialize.execute({ portal: 'p', rows: 5 }),
      serialize.close({ type: 'P', name: 'p' }),
      serialize.query('SELECT 1'),
      serialize.copyFail('x'),
    ];
    for (const sample of samples) {
      const body = sample.subarray(5);
      for (let cut = 0; cut < body.length; cut++) {
        try {
          decodeFrontendMessage(sample[0], body.subarray(0, cut));
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolViolation);
        }
      }
    }
  });

  it('survives random bodies for every message type and the startup decoder', () => {
    const next = prng(0x5eed);
    let violations = 0;
    for (let round = 0; round < 3000; round++) {
      const length = next() % 40;
      const body = Buffer.alloc(length);
      for (let i = 0; i < length; i++) {
        // Bias towards small values so that counts and lengths are sometimes plausible.
        body[i] = next() % 4 === 0 ? next() & 0xff : next() % 4;
      }
      const decoders: (() => unknown)[] = [
        () => decodeFrontendMessage(frontendTypes[round % frontendTypes.length], body),
        () => decodeStartupPacket(Buffer.concat([int32(round % 2 ? 196608 : 80877102), body])),
        () => decodeSaslInitialResponse(body),
        () => decodePasswordMessage(body),
      ];
      for (const run of decoders) {
        try {
          run();
        } catch (error) {
          if (!(error instanceof ProtocolViolation)) throw error;
          violations++;
        }
      }
    }
    // Most random input is malformed; this proves the loop exercised the error paths.
    expect(violations).toBeGreaterThan(3000);
  });

  it('frames and decodes a stream of random frames without other exceptions', () => {
    const next = prng(42);
    let outcomes = 0;
    for (let round = 0; round < 200; round++) {
      const reader = new FrameReader({ maxMessageLength: 64 });
      const chunk = Buffer.alloc(next() % 64);
      for (let i = 0; i < chunk.length; i++) chunk[i] = i % 5 === 1 ? 0 : next() & 0xff;
      reader.push(chunk);
      try {
        for (let f = reader.nextMessage(); f; f = reader.nextMessage()) {
          decodeFrontendMessage(f.type, f.body);
          outcomes++;
        }
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolViolation);
        outcomes++;
      }
    }
    expect(outcomes).toBeGreaterThan(100);
  });
});
