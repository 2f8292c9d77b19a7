// The startup phase of one client connection: SSL/GSSENC negotiation (including direct TLS as
// PostgreSQL 17 clients may send it), CancelRequest, and the StartupMessage with protocol
// version negotiation. Ends with a stream (plain or TLS) ready for authentication.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { NativeTlsError, type NativeServerTls, type NativeTlsConnection } from '../iam-relay/native/tls-link.js';
import { Duplex } from 'node:stream';
import { decodeStartupPacket } from '../protocol/frontend-decoder.js';
import { encodeNegotiateProtocolVersion } from '../protocol/backend-encoder.js';
import { ProtocolViolation } from '../protocol/errors.js';
import { SqlState } from '../protocol/sqlstate.js';
import { PROTOCOL_3_0, type StartupPacket } from '../protocol/messages.js';
import { MessageChannel } from './message-channel.js';
import { StartupAbandoned, readStartupOrAbandon, startsWithTerminate } from './startup-abandoned.js';

type StartupMessage = Extract<StartupPacket, { kind: 'StartupMessage' }>;

export type StartupOutcome =
  | { kind: 'startup'; stream: Duplex; channel: MessageChannel; message: StartupMessage; tls: boolean; nativeLink?: number }
  | { kind: 'cancel'; processId: number; secretKey: number };

const TLS_HANDSHAKE_RECORD = 0x16;

export async function negotiateStartup(
  socket: Socket,
  opts: {
    tls: SecureContext | null;
    nativeTls?: NativeServerTls | null;
    handshakeTimeoutMs?: number;
    maxMessageLength: number;
    /** TLS the native door ran already (its SSLRequest answered there): the startup comes over it. */
    established?: NativeTlsConnection;
  },
): Promise<StartupOutcome> {
  let stream: Duplex = socket;
  let tls = false;
  let nativeLink: number | undefined;

  if (opts.established) {
    stream = opts.established.socket;
    nativeLink = opts.established.link;
    tls = true;
  } else {
    // Direct TLS (sslnegotiation=direct): the first byte is a TLS handshake record, not a length.
    const first = await peekFirstChunk(socket);
    if (startsWithTerminate(first)) throw new StartupAbandoned('terminate');
    if (first[0] === TLS_HANDSHAKE_RECORD) {
      if (!opts.tls) throw new ProtocolViolation('direct TLS connection refused: TLS is not enabled on this listener');
      stream = await upgradeToTls(withPrefix(socket, first), opts.tls, true);
      tls = true;
    } else {
      socket.unshift(first);
    }
  }

  let channel = new MessageChannel(stream, opts.maxMessageLength);
  for (;;) {
    const packet = await readStartupOrAbandon(async () => decodeStartupPacket(await channel.readStartupPacket()));
    switch (packet.kind) {
      case 'CancelRequest':
        channel.detach();
        return { kind: 'cancel', processId: packet.processId, secretKey: packet.secretKey };
      case 'GSSENCRequest':
        if (tls) throw new ProtocolViolation('GSSENCRequest after TLS was established');
        stream.write('N');
        continue;
      case 'SSLRequest': {
        if (tls) throw new ProtocolViolation('SSLRequest after TLS was established');
        if (!opts.tls) {
          stream.write('N');
          continue;
        }
        // Bytes the client sent after SSLRequest but before the handshake would be trusted as
        // if they had come encrypted (CVE-2021-23214); PostgreSQL refuses them, so do we.
        const extra = channel.detach();
        if (extra.length > 0) throw new ProtocolViolation('received unencrypted data after SSL request');
        stream.write('S');
        if (opts.nativeTls) {
          const conn = await opts.nativeTls.accept(socket, opts.handshakeTimeoutMs ?? 10_000).catch((err: Error) => {
            throw handshakeFailure(err.message, err instanceof NativeTlsError && err.peerClosed);
          });
          stream = conn.socket;
          nativeLink = conn.link;
        } else stream = await upgradeToTls(socket, opts.tls, false);
        tls = true;
        channel = new MessageChannel(stream, opts.maxMessageLength);
        continue;
      }
      case 'StartupMessage':
        if (packet.protocolVersion !== PROTOCOL_3_0 || packet.protocolOptions.length > 0) {
          // We speak 3.0 only; the client learns that and carries on (PostgreSQL does the same).
          stream.write(encodeNegotiateProtocolVersion(0, packet.protocolOptions));
        }
        return { kind: 'startup', stream, channel, message: packet, tls, nativeLink };
    }
  }
}

/**
 * What a failed TLS handshake of the addon's (the listener's or the native door's) ends the
 * startup with: a client that gave up mid-handshake is gone, as with Node's TLS (upgradeToTls).
 */
export function handshakeFailure(why: string, peerClosed: boolean): Error {
  if (peerClosed) return new StartupAbandoned('no-data');
  return new ProtocolViolation(`TLS handshake failed: ${why}`, SqlState.PROTOCOL_VIOLATION);
}

function peekFirstChunk(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      cleanup();
      socket.pause();
      resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      reject(new StartupAbandoned('no-data'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    socket.resume();
  });
}

function upgradeToTls(socket: Duplex, secureContext: SecureContext, direct: boolean): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tlsSocket = new TLSSocket(socket, {
      isServer: true,
      secureContext,
      // Direct TLS must negotiate ALPN "postgresql" (PostgreSQL 17 refuses it otherwise).
      ALPNProtocols: ['postgresql'],
    });
    const onSecure = () => {
      tlsSocket.off('error', onError);
      tlsSocket.off('close', onClose);
      if (direct && tlsSocket.alpnProtocol !== 'postgresql') {
        tlsSocket.destroy();
        reject(new ProtocolViolation('direct TLS connection without ALPN protocol "postgresql"'));
        return;
      }
      resolve(tlsSocket);
    };
    const onError = (err: Error) => {
      tlsSocket.off('secure', onSecure);
      tlsSocket.off('close', onClose);
      reject(new ProtocolViolation(`TLS handshake failed: ${err.message}`, SqlState.PROTOCOL_VIOLATION));
    };
    // A client that leaves mid-handshake without a TLS alert gives no 'error': only the close.
    const onClose = () => {
      tlsSocket.off('secure', onSecure);
      tlsSocket.off('error', onError);
      reject(new StartupAbandoned('no-data'));
    };
    tlsSocket.once('secure', onSecure);
    tlsSocket.once('error', onError);
    tlsSocket.once('close', onClose);
  });
}

/**
 * The socket as a stream that first yields bytes already read from it. TLSSocket over a bare
 * net.Socket reads the handle directly and would miss them.
 */
function withPrefix(socket: Socket, prefix: Buffer): Duplex {
  const wrapped = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  wrapped.push(prefix);
  socket.on('data', (chunk: Buffer) => {
    if (!wrapped.push(chunk)) socket.pause();
  });
  socket.on('end', () => wrapped.push(null));
  socket.on('error', (err) => wrapped.destroy(err));
  socket.on('close', () => wrapped.destroy());
  return wrapped;
}
