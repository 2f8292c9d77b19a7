// Server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it: the user name in the
// client-first message is ignored (PostgreSQL takes it from the startup packet) and channel
// binding is not offered, so clients send the "n" or "y" GS2 flag.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 4096;

export interface ScramVerifier {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** Derived once per configured password, so the plain password need not be kept around. */
export function makeScramVerifier(password: string, salt = randomBytes(16), iterations = ITERATIONS): ScramVerifier {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { salt, iterations, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}

export class ScramError extends Error {}

/** One SCRAM exchange: feed it the client's two messages in turn. */
export class ScramServerExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(private readonly verifier: ScramVerifier) {}

  /** Takes the client-first-message, returns the server-first-message. */
  start(clientFirst: string): string {
    const m = /^([nyp])(=[^,]*)?,([^,]*),(.*)$/.exec(clientFirst);
    if (!m) throw new ScramError('malformed SCRAM message');
    if (m[1] === 'p') throw new ScramError('channel binding was requested but is not offered by this server');
    this.clientFirstBare = m[4];
    const attrs = parseAttributes(this.clientFirstBare);
    const clientNonce = attrs.get('r');
    if (!clientNonce) throw new ScramError('malformed SCRAM message: no client nonce');
    this.nonce = clientNonce + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt.toString('base64')},i=${this.verifier.iterations}`;
    return this.serverFirst;
  }

  /** Takes the client-final-message; returns the server-final-message or throws when the proof is wrong. */
  finish(clientFinal: string): string {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('malformed SCRAM message: no proof');
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = parseAttributes(withoutProof);
    if (attrs.get('r') !== this.nonce) throw new ScramError('SCRAM nonce mismatch');
    const binding = attrs.get('c');
    if (binding !== 'biws' && binding !== 'eSws') throw new ScramError('unexpected SCRAM channel binding');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.verifier.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramError('password authentication failed');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ clientSignature[i];
    if (!timingSafeEqual(sha256(clientKey), this.verifier.storedKey)) throw new ScramError('password authentication failed');
    return `v=${hmac(this.verifier.serverKey, authMessage).toString('base64')}`;
  }
}

function parseAttributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0], part.slice(2));
  }
  return out;
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}
