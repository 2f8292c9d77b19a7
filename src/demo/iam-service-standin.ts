// The demo's local stand-in for an IAM-authenticated database service (Aurora DSQL, or RDS /
// Aurora PostgreSQL with IAM database authentication), in front of the embedded PostgreSQL. Like
// the real services it requires TLS, requires SNI naming its endpoint, asks for a cleartext
// password, and accepts only a token whose SigV4 signature it computes again with the demo
// credentials (presigned-token.ts); then it relays bytes to the embedded PostgreSQL unchanged.
// It listens on loopback only and refuses everything else with a FATAL ErrorResponse.
import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { generate } from 'selfsigned';
import { FrameReader } from '../protocol/framer.js';
import { decodePasswordMessage, decodeStartupPacket } from '../protocol/frontend-decoder.js';
import { encodeAuthenticationCleartextPassword, encodeErrorResponse } from '../protocol/backend-encoder.js';
import { encodeCancelRequest, encodeStartupMessage } from '../protocol/frontend-encoder.js';
import type { NoticeFields } from '../protocol/messages.js';
import type { TokenVerdict } from './presigned-token.js';

export interface IamServiceStandInOptions {
  /** The endpoint name the certificate is made for and SNI must name. */
  hostname: string;
  /** Checks the token a client logs in with as `user`. */
  verify(token: string, user: string): TokenVerdict;
  /** How the service refuses a token (DSQL and RDS word it differently). */
  refusal(user: string, why: string): Omit<NoticeFields, 'severity'>;
  /** The embedded PostgreSQL, logged in to as `postgres` whatever the client's user. */
  upstream: { host: string; port: number };
}

export interface IamServiceStandIn {
  port: number;
  /** The self-signed certificate of the endpoint: the proxy trusts it as --upstream-ca. */
  certPem: string;
  stop(): Promise<void>;
}

const MAX_MESSAGE = 1024 * 1024;

export async function startIamServiceStandIn(opts: IamServiceStandInOptions): Promise<IamServiceStandIn> {
  const generated = await generate([{ name: 'commonName', value: opts.hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
    extensions: [
      // Its own trust anchor: the proxy is given this certificate as its CA.
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: opts.hostname }] },
    ],
  });
  const context = createSecureContext({ cert: generated.cert, key: generated.private });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    track(sockets, socket);
    serveConnection(socket, context, opts, sockets);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    certPem: generated.cert,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

function track(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.on('error', () => {});
  socket.once('close', () => sockets.delete(socket));
}

function refuse(stream: Socket, fields: Omit<NoticeFields, 'severity'>): void {
  stream.end(encodeErrorResponse({ severity: 'FATAL', ...fields }));
  setTimeout(() => stream.destroy(), 2000).unref();
}

function serveConnection(raw: Socket, context: SecureContext, opts: IamServiceStandInOptions, sockets: Set<Socket>): void {
  const plain = new FrameReader({ maxMessageLength: MAX_MESSAGE });
  const onPlain = (chunk: Buffer) => {
    plain.push(chunk);
    let body: Buffer | null;
    try {
      body = plain.nextStartupPacket();
    } catch {
      refuse(raw, { code: '08P01', message: 'invalid startup packet' });
      return;
    }
    if (!body) return;
    raw.off('data', onPlain);
    let packet;
    try {
      packet = decodeStartupPacket(body);
    } catch {
      refuse(raw, { code: '08P01', message: 'invalid startup packet' });
      return;
    }
    if (packet.kind === 'CancelRequest') {
      const up = connectTcp(opts.upstream);
      track(sockets, up);
      up.once('connect', () => up.end(encodeCancelRequest(packet.processId, packet.secretKey)));
      raw.end();
      return;
    }
    if (packet.kind !== 'SSLRequest' || plain.bufferedBytes > 0) {
      refuse(raw, { code: '28000', message: 'connections to this endpoint must use TLS' });
      return;
    }
    raw.write('S');
    const tls = new TLSSocket(raw, { isServer: true, secureContext: context });
    track(sockets, tls as unknown as Socket);
    tls.once('secure', () => {
      const sni = tls.servername;
      if (typeof sni !== 'string' || sni.toLowerCase() !== opts.hostname.toLowerCase()) {
        refuse(tls as unknown as Socket, { code: '08P01', message: `unable to accept connection, TLS SNI must name ${opts.hostname}` });
        return;
      }
      authenticate(tls as unknown as Socket, opts, sockets);
    });
  };
  raw.on('data', onPlain);
}

function authenticate(stream: Socket, opts: IamServiceStandInOptions, sockets: Set<Socket>): void {
  const reader = new FrameReader({ maxMessageLength: MAX_MESSAGE });
  let user: string | null = null;
  let params: Record<string, string> = {};
  const onData = (chunk: Buffer) => {
    reader.push(chunk);
    try {
      if (user === null) {
        const body = reader.nextStartupPacket();
        if (!body) return;
        const packet = decodeStartupPacket(body);
        if (packet.kind !== 'StartupMessage') throw new Error('expected a StartupMessage');
        params = { ...packet.parameters };
        user = params.user;
        stream.write(encodeAuthenticationCleartextPassword());
      }
      const frame = reader.nextMessage();
      if (!frame) return;
      if (frame.type !== 'p'.charCodeAt(0)) throw new Error('expected a password message');
      stream.off('data', onData);
      const verdict = opts.verify(decodePasswordMessage(frame.body), user);
      if (!verdict.ok) {
        refuse(stream, opts.refusal(user, verdict.why));
        return;
      }
      relay(stream, { ...params, user: 'postgres' }, reader.takeBuffered(), opts, sockets);
    } catch (err) {
      stream.off('data', onData);
      refuse(stream, { code: '08P01', message: (err as Error).message });
    }
  };
  stream.on('data', onData);
}

function relay(client: Socket, params: Record<string, string>, early: Buffer, opts: IamServiceStandInOptions, sockets: Set<Socket>): void {
  client.pause();
  const upstream = connectTcp(opts.upstream);
  track(sockets, upstream);
  upstream.once('error', () => refuse(client, { code: '08006', message: 'the demo database is not reachable' }));
  upstream.once('connect', () => {
    upstream.write(encodeStartupMessage(params));
    if (early.length > 0) upstream.write(early);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
}
