// The IAM relay shared by the DSQL and rds-iam modes: for each client, sign (or reuse) an IAM
// token, log in to the server with the client's startup parameters, show the client what the
// server said, swap the cancel key for ours, then relay. What differs between the services (the
// signer, the trusted CAs, the wording and the advice on a refused token) comes in the options.
import { encodeBackendKeyData, encodeNoticeResponse } from '../protocol/backend-encoder.js';
import { ClientFacingError, terminationFields } from '../protocol/client-error.js';
import type { NoticeFields } from '../protocol/messages.js';
import type { Backend, ClientSession } from '../server/types.js';
import { IamTokenCache, type IamTokenSigner, type TokenEvents } from './token-cache.js';
import { cancelUpstream, openUpstream, probeUpstream, UpstreamServerError, type UpstreamTarget } from './upstream.js';
import type { RelayHandle, RelayObserver } from './relay.js';
import { startFastRelay } from './fast-relay.js';
import type { AnswerRetrier } from './answer-retrier.js';
import { LoginPacer, type LoginPacerOptions, type PacerObserver } from './login-pacer.js';

export interface IamRelayBackendOptions {
  /** The mode name in logs and metrics: 'dsql', 'rds-iam'. */
  mode: string;
  target: UpstreamTarget;
  signer: IamTokenSigner;
  profile?: string;
  tokenTtlSeconds: number;
  credentials?: import('@smithy/types').AwsCredentialIdentityProvider;
  /** The user whose token the readiness check signs. */
  readinessUser: string;
  /** How a lost connection names the server: 'the DSQL cluster'. */
  upstreamName: string;
  /**
   * Advice added to the server's refusal of a login when it refused the token; undefined when the
   * error is not a refused token (then it passes through as the server sent it).
   */
  refusedTokenAdvice(fields: NoticeFields, user: string): string | undefined;
  /** A NOTICE sent this long after login, when the server ends connections at a fixed age (DSQL). */
  lifetimeNotice?: { afterMs: number; fields: NoticeFields };
  /** Token bucket for logins to the server (--max-connect-rate, --connect-burst); none: unpaced. */
  pacing?: LoginPacerOptions;
  /** A fresh retrier for each session that may resend failed batches (DSQL's --occ-retries); none: never. */
  createRetrier?: () => AnswerRetrier | null;
}

export interface IamRelayObserver extends RelayObserver, TokenEvents, PacerObserver {
  upstreamConnected?(result: 'success' | 'failure', seconds: number): void;
}

export class IamRelayBackend implements Backend {
  readonly mode: string;
  readonly tokens: IamTokenCache;
  private readonly pacer: LoginPacer | null;

  constructor(
    private readonly opts: IamRelayBackendOptions,
    private readonly observer: IamRelayObserver = {},
  ) {
    this.mode = opts.mode;
    this.tokens = new IamTokenCache(
      {
        signer: opts.signer,
        profile: opts.profile,
        ttlSeconds: opts.tokenTtlSeconds,
        credentials: opts.credentials,
      },
      observer,
    );
    this.pacer = opts.pacing ? new LoginPacer({ upstreamName: opts.upstreamName, ...opts.pacing }, observer) : null;
  }

  async serve(session: ClientSession): Promise<void> {
    const t0 = performance.now();
    let upstream;
    try {
      // A refused turn (53400) counts as a failed login: the client never reached the server.
      await this.pacer?.acquire(this.opts.target.connectTimeoutMs);
      upstream = await openUpstream(this.opts.target, { ...session.parameters }, () => this.tokens.token(session.user));
      this.observer.upstreamConnected?.('success', (performance.now() - t0) / 1000);
    } catch (err) {
      this.observer.upstreamConnected?.('failure', (performance.now() - t0) / 1000);
      throw explainLoginFailure(err, (fields) => this.opts.refusedTokenAdvice(fields, session.user));
    }
    const { socket, backendKey } = upstream;
    if (backendKey) session.onCancel(() => void cancelUpstream(this.opts.target, backendKey));

    const client = session.stream;
    client.write(Buffer.concat([...upstream.loginFrames, encodeBackendKeyData(session.cancelKey.processId, session.cancelKey.secretKey), upstream.readyFrame]));
    if (upstream.pending.length > 0) client.write(upstream.pending);
    if (session.pending.length > 0) socket.write(session.pending);

    const relay = startFastRelay(client, socket, session.counters, this.observer, {
      upstreamName: this.opts.upstreamName,
      retrier: this.opts.createRetrier?.() ?? null,
    });
    const onShutdown = () => relay.terminate(terminationFields(session.shutdownSignal.reason));
    session.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    const noticeTimer = this.scheduleLifetimeNotice(relay);
    client.resume();
    try {
      await relay.done;
    } finally {
      session.shutdownSignal.removeEventListener('abort', onShutdown);
      if (noticeTimer) clearTimeout(noticeTimer);
    }
  }

  async checkReady(): Promise<void> {
    // A token can be signed (credentials are there) and the endpoint completes a TLS handshake.
    await this.tokens.token(this.opts.readinessUser);
    await probeUpstream(this.opts.target);
  }

  private scheduleLifetimeNotice(relay: RelayHandle): NodeJS.Timeout | null {
    const notice = this.opts.lifetimeNotice;
    if (!notice) return null;
    const timer = setTimeout(() => relay.notice(notice.fields, encodeNoticeResponse), Math.max(0, notice.afterMs));
    timer.unref();
    return timer;
  }
}

/**
 * Passes the server's own login errors through, adding what to do when the token was refused.
 */
function explainLoginFailure(err: unknown, adviceFor: (fields: NoticeFields) => string | undefined): unknown {
  if (!(err instanceof UpstreamServerError)) return err;
  const f = err.fields;
  const advice = adviceFor(f);
  if (!advice) return new ClientFacingError(f.code, f.message, { ...f });
  return new ClientFacingError(f.code, f.message, { ...f, hint: f.hint ? `${f.hint}\n${advice}` : advice });
}
