// Clients that give up on a login at once, as a killed psql, a connect timeout or a load
// balancer's probe do: each kind connects, goes as far as its name says, and vanishes.
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { encodeStartupMessage } from '../../src/protocol/index.js';

export type AbandonedLogin =
  /** The startup message over plain TCP, then gone. */
  | 'after-startup'
  /** SSLRequest, then a ClientHello cut short, then gone without a TLS alert. */
  | 'mid-tls-handshake'
  /** SSLRequest, a whole TLS handshake, the startup message, then gone. */
  | 'after-tls-startup';

export const ABANDONED_LOGINS: readonly AbandonedLogin[] = ['after-startup', 'mid-tls-handshake', 'after-tls-startup'];

/** SSLRequest, the message a client sends to ask for TLS. */
export function sslRequest(): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8, 0);
  b.writeUInt32BE(80877103, 4);
  return b;
}

/** Connects to host:port as a client that abandons its login the given way; returns once it has gone. */
export async function abandonLogin(host: string, port: number, how: AbandonedLogin, parameters: Record<string, string>): Promise<void> {
  const startup = encodeStartupMessage(parameters);
  const socket: Socket = connectTcp({ host, port });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  if (how === 'after-startup') {
    socket.write(startup);
    socket.destroy();
    return;
  }
  socket.write(sslRequest());
  await new Promise((resolve) => socket.once('data', resolve));
  if (how === 'mid-tls-handshake') {
    socket.write(Buffer.from([0x16, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3]));
    await new Promise((resolve) => setTimeout(resolve, 5));
    socket.destroy();
    return;
  }
  const tls = connectTls({ socket, rejectUnauthorized: false });
  tls.on('error', () => {});
  await new Promise((resolve) => tls.once('secureConnect', resolve));
  tls.write(startup);
  tls.destroy();
}
