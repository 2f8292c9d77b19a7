// The native addon's TLS links on their own, without PostgreSQL: toward a TLS server (the proxy as
// client, verifying the name) and from a TLS client (the proxy as server), each bridged to an
// ordinary socket that carries the plaintext both ways; verification failures name their
// reason; ids of links that ended are harmless. The relay sessions built on these links are
// tested end to end in test/integration/dsql-relay-engines.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { once } from 'node:events';
import { createTestPki, type TestPki } from '../../harness/pki.js';
import { nativeRelay } from '../../../src/iam-relay/native/addon.js';
import { connectNativeTls, nativeServerTls, NativeTlsError } from '../../../src/iam-relay/native/tls-link.js';

const NAME = 'link.test.invalid';
const addon = nativeRelay();

/** Reads from a socket until `n` bytes came. */
/** A TCP server that leaves its connections paused, for the addon to take; `accepted()` is the next one. */
async function pausedServer(): Promise<{ server: Server; port: number; accepted(): Promise<Socket> }> {
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return { server, port, accepted: () => new Promise<Socket>((resolve) => server.once('connection', resolve)) };
}

function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer) => {
      parts.push(chunk);
      got += chunk.length;
      if (got >= n) {
        socket.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe.skipIf(addon === null)('native TLS links', () => {
  let pki: TestPki;
  let echo: TlsServer;
  let echoPort: number;

  beforeAll(async () => {
    pki = await createTestPki([NAME]);
    echo = createTlsServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, (s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
  });
  afterAll(async () => {
    echo?.close();
    await pki?.cleanup();
  });

  async function dialEcho(): Promise<Socket> {
    const tcp = netConnect({ host: '127.0.0.1', port: echoPort });
    await once(tcp, 'connect');
    return tcp;
  }

  it('as the client: verifies the name against the given CA and carries 1 MB each way through the bridge', async () => {
    const key = {};
    const { socket, link } = await connectNativeTls(addon!, key, await dialEcho(), { hostname: NAME, extraCa: pki.caCertPem, connectTimeoutMs: 5000 });
    expect(link).toBeGreaterThan(0);
    const payload = Buffer.alloc(1 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const back = readBytes(socket, payload.length);
    socket.write(payload);
    expect((await back).equals(payload)).toBe(true);
    socket.destroy();
  });

  it('as the client: a certificate for another name fails with OpenSSL\'s reason and its verify code', async () => {
    const err = await connectNativeTls(addon!, {}, await dialEcho(), { hostname: 'other.test.invalid', extraCa: pki.caCertPem, connectTimeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NativeTlsError);
    expect((err as NativeTlsError).verify).not.toBe(0);
    expect((err as Error).message).toMatch(/hostname mismatch/);
  });

  it('as the client: a CA it was not given fails verification', async () => {
    const stranger = await createTestPki([NAME]);
    try {
      const err = await connectNativeTls(addon!, {}, await dialEcho(), { hostname: NAME, extraCa: stranger.caCertPem, connectTimeoutMs: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NativeTlsError);
      expect((err as NativeTlsError).verify).not.toBe(0);
      expect((err as Error).message).toMatch(/unable to get local issuer certificate|certificate verify failed/);
    } finally {
      await stranger.cleanup();
    }
  });

  it('as the server: completes a Node TLS client\'s handshake with the given certificate and carries bytes both ways', async () => {
    const tls = nativeServerTls(addon!, pki.serverCertPem, pki.serverKeyPem);
    const { server, port, accepted } = await pausedServer();
    try {
      const client = tlsConnect({ host: '127.0.0.1', port, servername: NAME, ca: pki.caCertPem });
      const secure = once(client, 'secureConnect');
      const raw = await accepted();
      const { socket: bridge } = await tls.accept(raw, 5000);
      await secure;
      expect(client.authorized).toBe(true);
      const fromClient = readBytes(bridge, 5);
      client.write('hello');
      expect((await fromClient).toString()).toBe('hello');
      const fromProxy = readBytes(client, 6);
      bridge.write('world!');
      expect((await fromProxy).toString()).toBe('world!');
      // Until a session takes the link, the bridge closing closes the client's connection.
      const closed = once(client, 'close');
      bridge.destroy();
      await closed;
      expect(raw.destroyed).toBe(true);
    } finally {
      server.close();
    }
  });

  it('as the server: a client gone mid-handshake is told apart from a failed handshake (peerClosed)', async () => {
    const tls = nativeServerTls(addon!, pki.serverCertPem, pki.serverKeyPem);
    const { server, port, accepted } = await pausedServer();
    try {
      const client = netConnect({ host: '127.0.0.1', port });
      client.on('error', () => {});
      const raw = await accepted();
      const handshake = tls.accept(raw, 5000).catch((e: unknown) => e);
      // The start of a ClientHello, then gone without an alert.
      client.end(Buffer.from([0x16, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3]));
      const err = await handshake;
      expect(err).toBeInstanceOf(NativeTlsError);
      expect((err as NativeTlsError).peerClosed).toBe(true);
      expect((err as Error).message).toBe('the client closed the connection during the TLS handshake');

      // Bytes that are not TLS at all are a failed handshake, not a client gone.
      const other = netConnect({ host: '127.0.0.1', port });
      other.on('error', () => {});
      const raw2 = await accepted();
      const handshake2 = tls.accept(raw2, 5000).catch((e: unknown) => e);
      other.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      const err2 = await handshake2;
      expect(err2).toBeInstanceOf(NativeTlsError);
      expect((err2 as NativeTlsError).peerClosed).toBe(false);
      other.destroy();
    } finally {
      server.close();
    }
  });

  it('ids of links and sessions that ended, or never were, change nothing', () => {
    expect(() => addon!.closeLink(123456)).not.toThrow();
    expect(addon!.stats(987654)).toBeUndefined();
    expect(() => addon!.notice(987654, Buffer.from('x'))).not.toThrow();
    expect(() => addon!.terminate(987654, Buffer.from('x'))).not.toThrow();
  });

  it('refuses a trust list with no certificate, and a key that is not one', () => {
    expect(() => addon!.createClientContext('not a certificate')).toThrow(/no CA certificate/);
    expect(() => addon!.createServerContext(pki.serverCertPem, 'not a key')).toThrow(/certificate or key/);
  });
});
