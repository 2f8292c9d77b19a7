// TLS to the cluster by the native relay: the socket's SSLRequest has been answered 'S', and the
// handshake (SNI, certificate and name verification) runs in the addon. What JavaScript gets back
// is an ordinary socket carrying the connection's plaintext (a socketpair the addon bridges), so
// that the login, the warm check and the reset query run exactly as over Node's TLS; a client's
// session then takes the TLS connection itself (native-relay.ts) and the bridge goes away.
import { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
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
  ) {
    super(message);
  }
}

export interface NativeTlsConnection {
  /** The connection's plaintext, for the login. */
  socket: Socket;
  /** The addon's link, for native-relay.ts to join to a client. */
  link: number;
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

/** The descriptor of a connected TCP or pipe socket, or null (a JS stream, a TLS socket, or gone). */
export function socketFd(stream: unknown): number | null {
  if (!(stream instanceof Socket) || stream.destroyed) return null;
  if ('encrypted' in stream) return null;
  const fd = (stream as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

export function connectNativeTls(addon: NativeRelayAddon, key: object, tcp: Socket, target: NativeTlsTarget): Promise<NativeTlsConnection> {
  const fd = socketFd(tcp);
  if (fd === null) return Promise.reject(new NativeTlsError('the connection closed before TLS', 0));
  const context = contextFor(addon, key, target);
  return new Promise((resolve, reject) => {
    let settled = false;
    let link = -1;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      addon.closeLink(link);
      reject(new NativeTlsError('TLS handshake timed out', 0));
    }, target.connectTimeoutMs);
    link = addon.connectTls(context, fd, target.hostname, (kind, detail, verify) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (kind === 'error') reject(new NativeTlsError(String(detail), verify));
      else resolve({ socket: new Socket({ fd: detail as number, readable: true, writable: true }), link });
    });
    // The addon holds its own descriptor for the connection from here on.
    tcp.destroy();
  });
}
