// TLS run by the native addon, on a socket whose SSLRequest was answered 'S': toward the cluster
// (the proxy is the TLS client: SNI, certificate and name verification) or from a client (the
// proxy is the server, with its own certificate). What JavaScript gets back is an ordinary socket
// carrying the connection's plaintext (a socketpair the addon bridges), so that the login, the warm
// check, the reset query, and a client's startup and authentication run exactly as over Node's
// TLS; a session then takes the TLS connections themselves (native-relay.ts) and the bridges go.
import { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { UpstreamConnection } from '../upstream.js';
import type { NativeRelayAddon } from './addon.js';

export interface NativeTlsTarget {
  hostname: string;
  extraCa?: string;
  bundledCa?: readonly string[];
  connectTimeoutMs: number;
}

/** How the TLS step failed: `verify` is OpenSSL's certificate verification result (0: not a certificate problem). */
export class NativeTlsError extends Error {
  constructor(
    message: string,
    readonly verify: number,
    /** The peer went away in the middle of the handshake (a client that gave up, a server that dropped it). */
    readonly peerClosed = false,
  ) {
    super(message);
  }
}

export interface NativeTlsConnection {
  /** The connection's plaintext. */
  socket: Socket;
  /** The addon's link, for native-relay.ts to join. */
  link: number;
}

/** Sockets that are a link's plaintext end: never themselves a client to relay by descriptor. */
const bridges = new WeakSet<Socket>();
/** Bridges whose link a native session took (their closing no longer ends the connection). */
const joined = new WeakSet<Socket>();

/** The session has the link: the bridge may close while the connection goes on. */
export function markJoined(bridge: Socket): void {
  joined.add(bridge);
}

/** NODE_EXTRA_CA_CERTS is part of Node's default trust; the addon is given it too. */
function extraCaFromEnvironment(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

/** One OpenSSL context per target: parsing the ~150 system roots for each login would block the loop. */
const contexts = new WeakMap<object, number>();
function contextFor(addon: NativeRelayAddon, key: object, target: NativeTlsTarget): number {
  let context = contexts.get(key);
  if (context === undefined) {
    const pem = [...rootCertificates, ...extraCaFromEnvironment(), ...(target.bundledCa ?? []), ...(target.extraCa ? [target.extraCa] : [])].join('\n');
    context = addon.createClientContext(pem);
    contexts.set(key, context);
  }
  return context;
}

/** The descriptor of a socket the native relay can take as a plain client, or null (TLS, a bridge, a JS stream, gone). */
export function socketFd(stream: unknown): number | null {
  if (!(stream instanceof Socket) || stream.destroyed || bridges.has(stream)) return null;
  if ('encrypted' in stream) return null;
  const fd = (stream as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

/** Stops Node reading a socket whose bytes now go to the addon (it reads its own duplicate). */
export function stopReading(socket: Socket): void {
  (socket as unknown as { _handle?: { readStop?: () => void } })._handle?.readStop?.();
}

/** JavaScript's end of a link's bridge, as an ordinary socket. */
export function bridgeSocket(fd: number): Socket {
  const socket = new Socket({ fd, readable: true, writable: true });
  // A broken bridge shows as its close, which the login, the listener, the relay or the warm set handles.
  socket.on('error', () => {});
  bridges.add(socket);
  return socket;
}

/**
 * A cluster connection a native session gave back on `link` (--reuse-connections, or unused): it
 * has no bridge, and gets one (and a Node socket) only when JavaScript reads or writes it. The
 * addon resets it (resetLink) and the door serves it while it is parked, so on the way of a
 * client that connects per request it never needs one.
 */
export function keptUpstream(addon: NativeRelayAddon, login: UpstreamConnection, link: number): UpstreamConnection {
  let socket: Socket | null = null;
  return {
    loginFrames: login.loginFrames,
    backendKey: login.backendKey,
    readyFrame: login.readyFrame,
    pending: Buffer.alloc(0),
    nativeLink: link,
    get socket() {
      if (socket === null) {
        const fd = addon.bridgeLink(link);
        // A link already gone reads as a socket already closed.
        socket = fd >= 0 ? bridgeSocket(fd) : new Socket().destroy();
      }
      return socket;
    },
    socketMade: () => socket !== null,
  };
}

function openLink(addon: NativeRelayAddon, context: number, fd: number, servername: string | null, timeoutMs: number): Promise<NativeTlsConnection> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let link = -1;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      addon.closeLink(link);
      reject(new NativeTlsError('TLS handshake timed out', 0));
    }, timeoutMs);
    link = addon.openTls(context, fd, servername, (kind, detail, verify) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (kind === 'closed') return reject(new NativeTlsError(`the ${servername === null ? 'client' : 'server'} closed the connection during the TLS handshake`, 0, true));
      if (kind === 'error') return reject(new NativeTlsError(String(detail), verify));
      resolve({ socket: bridgeSocket(detail as number), link });
    });
  });
}

/** TLS to the cluster; `key` caches the trust (one context per target). */
export async function connectNativeTls(addon: NativeRelayAddon, key: object, tcp: Socket, target: NativeTlsTarget): Promise<NativeTlsConnection> {
  const fd = socketFd(tcp);
  if (fd === null) throw new NativeTlsError('the connection closed before TLS', 0);
  const opened = openLink(addon, contextFor(addon, key, target), fd, target.hostname, target.connectTimeoutMs);
  // The addon holds its own descriptor for the connection from here on.
  tcp.destroy();
  return opened;
}

/** TLS from clients with the proxy's certificate, run by the addon (the listener's SSLRequest path). */
export interface NativeServerTls {
  /** The addon's context (the native door runs TLS for the clients it may answer with it). */
  readonly context: number;
  /**
   * The server side of the handshake on a client socket that was just sent 'S'. The socket stays
   * open, unread, for the listener's bookkeeping until the session ends.
   */
  accept(socket: Socket, timeoutMs: number): Promise<NativeTlsConnection>;
  /**
   * A client whose handshake the native door ran: its link, and the bridge carrying its plaintext;
   * `socket` (the door's duplicate of the client's descriptor) is the listener's bookkeeping, as
   * in accept.
   */
  adopt(socket: Socket, link: number, bridgeFd: number): NativeTlsConnection;
}

/**
 * Until a session takes the link, the client's connection lives as long as its bridge (a refused
 * login ends the bridge, and the client must see the close), and the other way round (the
 * listener's startup timeout destroys the socket).
 */
function tiedToClient(socket: Socket, conn: NativeTlsConnection): NativeTlsConnection {
  conn.socket.once('close', () => {
    if (!joined.has(conn.socket)) socket.destroy();
  });
  socket.once('close', () => {
    if (!joined.has(conn.socket)) conn.socket.destroy();
  });
  return conn;
}

export function nativeServerTls(addon: NativeRelayAddon, certPem: string, keyPem: string): NativeServerTls {
  const context = addon.createServerContext(certPem, keyPem);
  return {
    context,
    accept(socket, timeoutMs) {
      const fd = socketFd(socket);
      if (fd === null) return Promise.reject(new NativeTlsError('the connection closed before TLS', 0));
      const opened = openLink(addon, context, fd, null, timeoutMs).then((conn) => tiedToClient(socket, conn));
      stopReading(socket);
      return opened;
    },
    adopt(socket, link, bridgeFd) {
      return tiedToClient(socket, { socket: bridgeSocket(bridgeFd), link });
    },
  };
}
