import { describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import { FrameReader } from '../../../src/protocol/framer.js';
import {
  decodeFrontendMessage,
  decodePasswordMessage,
  decodeSaslInitialResponse,
  decodeSaslResponse,
  decodeStartupPacket,
} from '../../../src/protocol/frontend-decoder.js';
import {
  encodeCancelRequest,
  encodeFlush,
  encodeFrontendMessage,
  encodeGSSENCRequest,
  encodePasswordMessage,
  encodeQuery,
  encodeSASLInitialResponse,
  encodeSASLResponse,
  encodeSSLRequest,
  encodeStartupMessage,
  encodeSync,
  encodeTerminate,
} from '../../../src/protocol/frontend-encoder.js';
import { PROTOCOL_3_0, type FrontendMessage } from '../../../src/protocol/messages.js';

// What pg-protocol's serializer (an independent client implementation) writes must come back
// through our FrameReader and decoders with equal values.

const UNICODE = 'héllo ✓ 日本';

function startup(packet: Buffer) {
  const reader = new FrameReader({ maxMessageLength: 1 << 20 });
  reader.push(packet);
  const body = reader.nextStartupPacket();
  expect(body).not.toBeNull();
  expect(reader.bufferedBytes).toBe(0);
  return decodeStartupPacket(body!);
}

function messages(...buffers: Buffer[]): FrontendMessage[] {
  const reader = new FrameReader({ maxMessageLength: 1 << 20 });
  for (const b of buffers) reader.push(b);
  const out: FrontendMessage[] = [];
  for (let frame = reader.nextMessage(); frame; frame = reader.nextMessage()) {
    out.push(decodeFrontendMessage(frame.type, frame.body));
  }
  expect(reader.bufferedBytes).toBe(0);
  return out;
}

function one(buffer: Buffer): FrontendMessage {
  const decoded = messages(buffer);
  expect(decoded).toHaveLength(1);
  return decoded[0];
}

function passwordBody(buffer: Buffer): Buffer {
  const message = one(buffer);
  if (message.type !== 'PasswordLike') throw new Error(`expected PasswordLike, got ${message.type}`);
  return message.body;
}

describe('frontend decoder reads what pg-protocol serializes', () => {
  it('decodes a StartupMessage, parameters in order', () => {
    const packet = startup(serialize.startup({ user: 'alice', database: UNICODE, application_name: 'app' }));
    expect(packet).toEqual({
      kind: 'StartupMessage',
      protocolVersion: PROTOCOL_3_0,
      parameters: { user: 'alice', database: UNICODE, application_name: 'app', client_encoding: 'UTF8' },
      protocolOptions: [],
    });
    if (packet.kind !== 'StartupMessage') throw new Error('unreachable');
    expect(Object.keys(packet.parameters)).toEqual(['user', 'database', 'application_name', 'client_encoding']);
  });

  it('decodes SSLRequest and CancelRequest', () => {
    expect(startup(serialize.requestSsl())).toEqual({ kind: 'SSLRequest' });
    expect(startup(serialize.cancel(4321, -123456789))).toEqual({
      kind: 'CancelRequest',
      processId: 4321,
      secretKey: -123456789,
    });
  });

  it('decodes a cleartext password', () => {
    expect(decodePasswordMessage(passwordBody(serialize.password(`pässwörd ${UNICODE}`)))).toBe(`pässwörd ${UNICODE}`);
    expect(decodePasswordMessage(passwordBody(serialize.password('')))).toBe('');
  });

  it('decodes SASLInitialResponse and SASLResponse', () => {
    const clientFirst = 'n,,n=*,r=rOprNGfwEbeRWgbNEkqO';
    expect(decodeSaslInitialResponse(passwordBody(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', clientFirst)))).toEqual({
      mechanism: 'SCRAM-SHA-256',
      data: Buffer.from(clientFirst),
    });
    const clientFinal = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
    expect(decodeSaslResponse(passwordBody(serialize.sendSCRAMClientFinalMessage(clientFinal))).toString()).toBe(clientFinal);
  });

  it('decodes Query', () => {
    expect(one(serialize.query(`SELECT '${UNICODE}'`))).toEqual({ type: 'Query', sql: `SELECT '${UNICODE}'` });
    expect(one(serialize.query(''))).toEqual({ type: 'Query', sql: '' });
  });

  it('decodes Parse, named and unnamed', () => {
    expect(one(serialize.parse({ name: 'stmt_1', text: 'SELECT $1::int, $2', types: [23, 4_000_000_000] }))).toEqual({
      type: 'Parse',
      name: 'stmt_1',
      sql: 'SELECT $1::int, $2',
      paramTypes: [23, 4_000_000_000],
    });
    expect(one(serialize.parse({ text: 'SELECT 1' }))).toEqual({ type: 'Parse', name: '', sql: 'SELECT 1', paramTypes: [] });
  });

  it('decodes Bind with text, binary and NULL values, named portal and statement', () => {
    const binary = Buffer.from([0, 0, 0, 42, 0xff]);
    expect(
      one(serialize.bind({ portal: 'p1', statement: 's1', values: [UNICODE, binary, null, ''], binary: true })),
    ).toEqual({
      type: 'Bind',
      portal: 'p1',
      statement: 's1',
      paramFormats: [0, 1, 0, 0],
      params: [Buffer.from(UNICODE), binary, null, Buffer.alloc(0)],
      resultFormats: [1],
    });
  });

  it('decodes Bind without values', () => {
    expect(one(serialize.bind())).toEqual({
      type: 'Bind',
      portal: '',
      statement: '',
      paramFormats: [],
      params: [],
      resultFormats: [0],
    });
  });

  it('decodes Execute', () => {
    expect(one(serialize.execute())).toEqual({ type: 'Execute', portal: '', maxRows: 0 });
    expect(one(serialize.execute({ portal: 'p1', rows: 100 }))).toEqual({ type: 'Execute', portal: 'p1', maxRows: 100 });
  });

  it('decodes Describe and Close of statements and portals', () => {
    expect(one(serialize.describe({ type: 'S', name: 's1' }))).toEqual({ type: 'Describe', target: 'S', name: 's1' });
    expect(one(serialize.describe({ type: 'P' }))).toEqual({ type: 'Describe', target: 'P', name: '' });
    expect(one(serialize.describe({ type: 'S' }))).toEqual({ type: 'Describe', target: 'S', name: '' });
    expect(one(serialize.close({ type: 'P', name: 'p1' }))).toEqual({ type: 'Close', target: 'P', name: 'p1' });
    expect(one(serialize.close({ type: 'S' }))).toEqual({ type: 'Close', target: 'S', name: '' });
  });

  it('decodes Flush, Sync and Terminate', () => {
    expect(messages(serialize.flush(), serialize.sync(), serialize.end())).toEqual([
      { type: 'Flush' },
      { type: 'Sync' },
      { type: 'Terminate' },
    ]);
  });

  it('decodes CopyData, CopyDone and CopyFail', () => {
    const chunk = Buffer.from(`1\t${UNICODE}\n`);
    expect(messages(serialize.copyData(chunk), serialize.copyDone(), serialize.copyFail(`gave up ${UNICODE}`))).toEqual([
      { type: 'CopyData', data: chunk },
      { type: 'CopyDone' },
      { type: 'CopyFail', message: `gave up ${UNICODE}` },
    ]);
  });

  it('decodes a pipelined extended-query batch from one chunk', () => {
    const batch = Buffer.concat([
      serialize.parse({ name: '', text: 'SELECT $1', types: [] }),
      serialize.bind({ values: ['x'] }),
      serialize.describe({ type: 'P' }),
      serialize.execute(),
      serialize.sync(),
    ]);
    expect(messages(batch).map((m) => m.type)).toEqual(['Parse', 'Bind', 'Describe', 'Execute', 'Sync']);
  });
});

describe('frontend decoder reads what our frontend encoder writes', () => {
  it('round-trips startup packets with no implicit parameters', () => {
    expect(startup(encodeStartupMessage({ user: 'admin', database: 'postgres' }))).toEqual({
      kind: 'StartupMessage',
      protocolVersion: PROTOCOL_3_0,
      parameters: { user: 'admin', database: 'postgres' },
      protocolOptions: [],
    });
    expect(startup(encodeStartupMessage({ user: UNICODE, _pq_foo: 'x', '_pq_.bar': '1' }, PROTOCOL_3_0 + 2))).toEqual({
      kind: 'StartupMessage',
      protocolVersion: PROTOCOL_3_0 + 2,
      parameters: { user: UNICODE, _pq_foo: 'x' },
      protocolOptions: ['_pq_.bar'],
    });
    expect(startup(encodeSSLRequest())).toEqual({ kind: 'SSLRequest' });
    expect(startup(encodeGSSENCRequest())).toEqual({ kind: 'GSSENCRequest' });
    expect(startup(encodeCancelRequest(99, 0xfedcba98))).toEqual({
      kind: 'CancelRequest',
      processId: 99,
      secretKey: 0xfedcba98 | 0,
    });
  });

  it('matches pg-protocol byte for byte where both define the message', () => {
    expect(encodeSSLRequest()).toEqual(serialize.requestSsl());
    expect(encodeCancelRequest(1, 2)).toEqual(serialize.cancel(1, 2));
    expect(encodePasswordMessage(UNICODE)).toEqual(serialize.password(UNICODE));
    expect(encodeQuery(UNICODE)).toEqual(serialize.query(UNICODE));
    expect(encodeSync()).toEqual(serialize.sync());
    expect(encodeFlush()).toEqual(serialize.flush());
    expect(encodeTerminate()).toEqual(serialize.end());
    expect(encodeStartupMessage({ user: 'u', client_encoding: 'UTF8' })).toEqual(serialize.startup({ user: 'u' }));
    expect(encodeSASLInitialResponse('SCRAM-SHA-256', Buffer.from('n,,n=*,r=x'))).toEqual(
      serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'n,,n=*,r=x'),
    );
    expect(encodeSASLResponse(Buffer.from('c=biws'))).toEqual(serialize.sendSCRAMClientFinalMessage('c=biws'));
  });

  it('round-trips password and SASL messages', () => {
    expect(decodePasswordMessage(passwordBody(encodePasswordMessage('token?X-Amz-Signature=abc')))).toBe(
      'token?X-Amz-Signature=abc',
    );
    expect(decodeSaslInitialResponse(passwordBody(encodeSASLInitialResponse('SCRAM-SHA-256', null)))).toEqual({
      mechanism: 'SCRAM-SHA-256',
      data: null,
    });
    expect(decodeSaslResponse(passwordBody(encodeSASLResponse(Buffer.from([0, 1, 2]))))).toEqual(Buffer.from([0, 1, 2]));
  });

  it('round-trips every regular message type', () => {
    const all: FrontendMessage[] = [
      { type: 'Query', sql: UNICODE },
      { type: 'Parse', name: 'n', sql: 'SELECT $1, $2', paramTypes: [0, 25] },
      {
        type: 'Bind',
        portal: 'p',
        statement: 'n',
        paramFormats: [1],
        params: [Buffer.from([1, 2]), null, Buffer.alloc(0)],
        resultFormats: [0, 1],
      },
      { type: 'Describe', target: 'S', name: 'n' },
      { type: 'Execute', portal: 'p', maxRows: 50 },
      { type: 'Flush' },
      { type: 'Sync' },
      { type: 'Close', target: 'P', name: 'p' },
      { type: 'PasswordLike', body: Buffer.from('secret\0') },
      { type: 'CopyData', data: Buffer.from([0, 255, 10]) },
      { type: 'CopyDone' },
      { type: 'CopyFail', message: 'no' },
      { type: 'FunctionCall', body: Buffer.from([0, 0, 4, 0]) },
      { type: 'Terminate' },
    ];
    expect(messages(...all.map(encodeFrontendMessage))).toEqual(all);
  });
});
