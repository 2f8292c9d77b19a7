// Opens an authenticated connection to an IAM-authenticated endpoint (a DSQL cluster, an RDS or
// Aurora PostgreSQL database): TCP to the endpoint (or --connect-to), SSLRequest, TLS with SNI and
// certificate verification against the endpoint name, then the client's StartupMessage and the IAM
// token as the cleartext password. Returns once the server has sent ReadyForQuery, with what it
// said during login for the client to see. The service's wording and trust are in `service`.
import { connect as netConnect, type Socket } from 'node:net';
import type { NativeRelayAddon } from './native/addon.js';
import { connectNativeTls, NativeTlsError } from './native/tls-link.js';
import { connect as tlsConnect, createSecureContext, rootCertificates, type SecureContext, type TLSSocket } from 'node:tls';
import { encodeCancelRequest, encodePasswordMessage, encodeSSLRequest, encodeStartupMessage } from '../protocol/frontend-encoder.js';
import { decodeBackendMessage } from '../protocol/backend-decoder.js';
import type { NoticeFields } from '../protocol/messages.js';
import { SqlState } from '../protocol/sqlstate.js';
import { ClientFacingError } from '../protocol/client-error.js';
import { MessageChannel, StreamClosedError } from '../server/message-channel.js';
import type { CancelKey } from '../server/types.js';

export interface UpstreamTarget {
  /** The cluster endpoint: SNI, certificate name and token all use it. */
  hostname: string;
  /** The endpoint's own port (the token is signed for it); 5432 when absent. */
  port?: number;
  /** Where to dial; defaults to hostname:port. */
  connectHost: string;
  connectPort: number;
  /** Extra trusted CA certificates (PEM), added to the default roots. */
  extraCa?: string;
  connectTimeoutMs: number;
  maxMessageBytes: number;
  service: UpstreamService;
}

/** What differs between the services behind the relay: names, trusted CAs and advice. */
export interface UpstreamService {
  /** 'Aurora DSQL', 'RDS' */
  name: string;
  /** 'DSQL endpoint', 'RDS endpoint' */
  endpointKind: string;
  /** PEM CA certificates trusted besides the system roots (the RDS CA bundle); none for DSQL. */
  bundledCa?: readonly string[];
  /** Names the certificates trusted, for certificate errors. */
  trustDescription: string;
  /** Advice when the endpoint cannot be reached. */
  unreachableHint: string;
  /** Message and advice when the server asks for an authentication method other than a password. */
  unsupportedAuth(code: number): { message: string; hint: string };
}

export interface UpstreamConnection {
  /** Node's TLS socket, or with the native relay the plaintext of the addon's TLS (see nativeLink). */
  socket: Socket;
  /** Raw ParameterStatus and NoticeResponse frames the cluster sent during login, in order. */
  loginFrames: Buffer[];
  backendKey: CancelKey | null;
  /** Bytes read after ReadyForQuery (normally none). */
  pending: Buffer;
  /** The ReadyForQuery frame itself. */
  readyFrame: Buffer;
  /** The native relay's link when the addon runs this connection's TLS (native/tls-link.ts). */
  nativeLink?: number;
  /**
   * Whether `socket` exists yet: a connection a native session gave back has no bridge until
   * something reads or writes it (keptUpstream), and asking for `socket` makes one. Absent: it
   * always has one.
   */
  socketMade?(): boolean;
}

/** The connection's socket exists (asking for it costs nothing). */
export function hasSocket(upstream: UpstreamConnection): boolean {
  return upstream.socketMade?.() ?? true;
}

/** An error the cluster itself sent (token rejected, limits...); passed to the client as is. */
export class UpstreamServerError extends Error {
  constructor(readonly fields: NoticeFields) {
    super(fields.message);
  }
  get sqlstate(): string {
    return this.fields.code;
  }
}

const AUTH_OK = 0;
const AUTH_CLEARTEXT = 3;

export async function openUpstream(
  target: UpstreamTarget,
  startupParameters: Record<string, string>,
  password: () => Promise<string>,
  native: NativeRelayAddon | null = null,
): Promise<UpstreamConnection> {
  const tcp = await dial(target);
  let tls: Socket | null = null;
  let nativeLink: number | undefined;
  try {
    if (native) {
      const conn = await negotiateNativeTls(tcp, target, native);
      tls = conn.socket;
      nativeLink = conn.link;
    } else tls = await negotiateTls(tcp, target);
    const channel = new MessageChannel(tls, target.maxMessageBytes);
    tls.write(encodeStartupMessage(startupParameters));
    const loginFrames: Buffer[] = [];
    let backendKey: CancelKey | null = null;
    for (;;) {
      const { type, body } = await channel.readMessage().catch((err) => {
        throw err instanceof StreamClosedError ? closedDuringLogin(target) : err;
      });
      const msg = decodeBackendMessage(type, body);
      switch (msg.type) {
        case 'Authentication':
          if (msg.code === AUTH_CLEARTEXT) tls.write(encodePasswordMessage(await password()));
          else if (msg.code !== AUTH_OK) throw unsupportedAuth(target, msg.code);
          break;
        case 'ErrorResponse':
          throw new UpstreamServerError(msg.fields);
        case 'ParameterStatus':
        case 'NoticeResponse':
          loginFrames.push(frame(type, body));
          break;
        case 'BackendKeyData':
          backendKey = { processId: msg.processId, secretKey: msg.secretKey };
          break;
        case 'ReadyForQuery':
          return { socket: tls, loginFrames, backendKey, pending: channel.detach(), readyFrame: frame(type, body), nativeLink };
        case 'NegotiateProtocolVersion':
          break; // we ask for 3.0 exactly; nothing to adjust
        default:
          throw new ClientFacingError(
            SqlState.PROTOCOL_VIOLATION,
            `unexpected message '${String.fromCharCode(type)}' from ${target.hostname} during login`,
          );
      }
    }
  } catch (err) {
    (tls ?? tcp).destroy();
    throw err;
  }
}

/** Dials the endpoint and completes a TLS handshake, then hangs up: the readiness probe. */
export async function probeUpstream(target: UpstreamTarget): Promise<void> {
  const tcp = await dial(target);
  try {
    const tls = await negotiateTls(tcp, target);
    tls.destroy();
  } finally {
    tcp.destroy();
  }
}

/** Sends a CancelRequest for a running query, over TLS as DSQL requires for every connection. */
export async function cancelUpstream(target: UpstreamTarget, key: CancelKey): Promise<void> {
  // A cancel is best effort, as in PostgreSQL: an unreachable endpoint just means no cancel.
  const tcp = await dial(target).catch(() => null);
  if (!tcp) return;
  try {
    const tls = await negotiateTls(tcp, target);
    // Written, not ended, as libpq's PQcancel does: the server closes the connection once it has
    // processed the request, and that close is what the client's own cancel connection waits
    // for. A peer that closes on our end of writing (Node's default) would close before that.
    await new Promise<void>((resolve) => {
      tls.once('close', () => resolve());
      tls.write(encodeCancelRequest(key.processId, key.secretKey));
      setTimeout(() => {
        tls.destroy();
        resolve();
      }, 2000).unref();
    });
  } catch {
    tcp.destroy();
  }
}

function frame(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function dial(target: UpstreamTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: target.connectHost, port: target.connectPort, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(unreachable(target, `no answer within ${target.connectTimeoutMs / 1000} s`));
    }, target.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(target, describeNetError(err)));
    };
    socket.once('error', onError);
  });
}

/** PostgreSQL's SSLRequest; anything but 'S' means this is not the service's endpoint. */
async function requestTls(tcp: Socket, target: UpstreamTarget): Promise<void> {
  tcp.write(encodeSSLRequest());
  const answer = await readOneByte(tcp, target);
  if (answer !== 'S') {
    throw new ClientFacingError(
      SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
      `${target.hostname} refused TLS (answered '${answer}' to SSLRequest); ${target.service.name} always offers TLS, so this is not a ${target.service.endpointKind}`,
      { hint: 'Check --host and --connect-to.' },
    );
  }
}

/** The handshake in the native addon: same trust, same name check, same errors as negotiateTls. */
async function negotiateNativeTls(tcp: Socket, target: UpstreamTarget, addon: NativeRelayAddon) {
  await requestTls(tcp, target);
  const trust = { hostname: target.hostname, extraCa: target.extraCa, bundledCa: target.service.bundledCa, connectTimeoutMs: target.connectTimeoutMs };
  return connectNativeTls(addon, target, tcp, trust).catch((err: unknown) => {
    if (!(err instanceof NativeTlsError)) throw err;
    if (err.message === 'TLS handshake timed out') throw unreachable(target, err.message);
    throw tlsFailure(target, Object.assign(new Error(err.message), { code: err.verify !== 0 ? 'CERT_VERIFY_FAILED' : 'TLS_FAILED' }));
  });
}

async function negotiateTls(tcp: Socket, target: UpstreamTarget): Promise<TLSSocket> {
  await requestTls(tcp, target);
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      socket: tcp,
      servername: target.hostname,
      secureContext: trustedRoots(target),
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
    const timer = setTimeout(() => {
      tls.destroy();
      reject(unreachable(target, 'TLS handshake timed out'));
    }, target.connectTimeoutMs);
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      tls.off('error', onError);
      tls.on('error', () => {}); // later errors surface through the relay's close handling
      resolve(tls);
    });
    const onError = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(tlsFailure(target, err));
    };
    tls.once('error', onError);
  });
}

/**
 * The CA set for a target, parsed once: a `ca` option on every connect would parse the ~150
 * system roots again for each login (about 30 ms of blocked event loop each time).
 */
const secureContexts = new WeakMap<UpstreamTarget, SecureContext>();
function trustedRoots(target: UpstreamTarget): SecureContext | undefined {
  const bundled = target.service.bundledCa ?? [];
  if (!target.extraCa && bundled.length === 0) return undefined; // Node's default context already holds the system roots
  let context = secureContexts.get(target);
  if (!context) {
    const extra = target.extraCa ? [target.extraCa] : [];
    context = createSecureContext({ ca: [...rootCertificates, ...bundled, ...extra], minVersion: 'TLSv1.2' });
    secureContexts.set(target, context);
  }
  return context;
}

function readOneByte(socket: Socket, target: UpstreamTarget): Promise<string> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      cleanup();
      socket.pause();
      // More than one byte means the server sent data before the TLS handshake: never trust it.
      const answer = String.fromCharCode(chunk[0]);
      if (answer === 'S' && chunk.length !== 1) {
        reject(new ClientFacingError(SqlState.PROTOCOL_VIOLATION, `${target.hostname} sent unexpected data after SSLRequest`));
      } else resolve(answer);
    };
    const onError = (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(unreachable(target, describeNetError(err)));
    };
    const onClose = () => {
      cleanup();
      reject(closedDuringLogin(target));
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

function describeNetError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the name does not resolve (is the cluster endpoint right, and is DNS reachable?)';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return err.message;
  }
}

function unreachable(target: UpstreamTarget, why: string): ClientFacingError {
  const where = `${target.connectHost}:${target.connectPort}`;
  const via = where === `${target.hostname}:${target.port ?? 5432}` ? '' : ` (dialled for ${target.hostname})`;
  return new ClientFacingError(
    SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
    `could not connect to ${target.service.endpointKind} ${where}${via}: ${why}`,
    { hint: target.service.unreachableHint },
  );
}

function tlsFailure(target: UpstreamTarget, err: NodeJS.ErrnoException): ClientFacingError {
  const code = err.code ?? '';
  const isCert = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME/.test(code);
  return new ClientFacingError(
    SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
    isCert
      ? `the certificate of ${target.hostname} could not be verified: ${err.message}`
      : `TLS handshake with ${target.hostname} failed: ${err.message}`,
    {
      hint: isCert
        ? `The proxy verifies the certificate against ${target.service.trustDescription}${target.extraCa ? ' and --upstream-ca' : ''}, ` +
          `for the name ${target.hostname}; add a private CA with --upstream-ca FILE.`
        : `Check that the endpoint is a ${target.service.endpointKind} and that nothing between intercepts TLS.`,
    },
  );
}

function closedDuringLogin(target: UpstreamTarget): ClientFacingError {
  return new ClientFacingError(
    SqlState.CONNECTION_FAILURE,
    `${target.hostname} closed the connection during login`,
  );
}

function unsupportedAuth(target: UpstreamTarget, code: number): ClientFacingError {
  const { message, hint } = target.service.unsupportedAuth(code);
  return new ClientFacingError(SqlState.FEATURE_NOT_SUPPORTED, `${target.hostname} ${message}`, { hint });
}
