// Authentication of clients to this proxy (not to AWS): trust, or a configured password checked
// with SCRAM-SHA-256 (the default method of PostgreSQL 14+ clients) or in cleartext over TLS.
import { timingSafeEqual, createHash } from 'node:crypto';
import {
  encodeAuthenticationCleartextPassword,
  encodeAuthenticationSASL,
  encodeAuthenticationSASLContinue,
  encodeAuthenticationSASLFinal,
} from '../protocol/backend-encoder.js';
import { decodePasswordMessage, decodeSaslInitialResponse, decodeSaslResponse } from '../protocol/frontend-decoder.js';
import { ProtocolViolation } from '../protocol/errors.js';
import { SqlState } from '../protocol/sqlstate.js';
import { makeScramVerifier, ScramError, ScramServerExchange, type ScramVerifier } from './scram.js';
import type { MessageChannel } from './message-channel.js';

export type ClientAuthMethod = 'trust' | 'scram-sha-256' | 'password';

export interface ClientAuthSettings {
  method: ClientAuthMethod;
  /** The password clients must give (scram-sha-256 and password methods). */
  password?: string;
}

export class AuthenticationFailed extends Error {
  readonly sqlstate = SqlState.INVALID_PASSWORD;
}

/** Prepared once per listener: the SCRAM verifier is derived from the password at start. */
export class ClientAuthenticator {
  private readonly verifier: ScramVerifier | null;
  private readonly passwordDigest: Buffer | null;

  constructor(readonly settings: ClientAuthSettings) {
    if (settings.method !== 'trust' && !settings.password) {
      throw new Error(`client authentication method ${settings.method} needs a password`);
    }
    this.verifier = settings.method === 'scram-sha-256' ? makeScramVerifier(settings.password!) : null;
    this.passwordDigest = settings.method === 'password' ? digest(settings.password!) : null;
  }

  async authenticate(channel: MessageChannel, user: string): Promise<void> {
    const failed = () => new AuthenticationFailed(`password authentication failed for user "${user}"`);
    switch (this.settings.method) {
      case 'trust':
        return;
      case 'password': {
        channel.stream.write(encodeAuthenticationCleartextPassword());
        const given = decodePasswordMessage(await channel.expectMessage('p', 'password message'));
        if (!timingSafeEqual(digest(given), this.passwordDigest!)) throw failed();
        return;
      }
      case 'scram-sha-256': {
        channel.stream.write(encodeAuthenticationSASL(['SCRAM-SHA-256']));
        const initial = decodeSaslInitialResponse(await channel.expectMessage('p', 'SASL initial response'));
        if (initial.mechanism !== 'SCRAM-SHA-256') {
          throw new ProtocolViolation(
            'client selected an invalid SASL authentication mechanism',
            SqlState.PROTOCOL_VIOLATION,
          );
        }
        const exchange = new ScramServerExchange(this.verifier!);
        try {
          channel.stream.write(encodeAuthenticationSASLContinue(Buffer.from(exchange.start(initial.data?.toString('utf8') ?? ''))));
          const final = decodeSaslResponse(await channel.expectMessage('p', 'SASL response'));
          channel.stream.write(encodeAuthenticationSASLFinal(Buffer.from(exchange.finish(final.toString('utf8')))));
        } catch (e) {
          if (e instanceof ScramError) throw failed();
          throw e;
        }
        return;
      }
    }
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
