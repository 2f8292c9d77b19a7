// The DSQL mode: for each client, sign (or reuse) an IAM token, log in to the cluster with the
// client's startup parameters, show the client what the cluster said, swap the cancel key for
// ours, then relay.
import { encodeBackendKeyData, encodeNoticeResponse } from '../protocol/backend-encoder.js';
import { ClientFacingError, terminationFields } from '../server/client-error.js';
import type { Backend, ClientSession } from '../server/types.js';
import { DsqlTokenProvider, type TokenEvents } from './token-provider.js';
import { cancelUpstream, openUpstream, probeUpstream, UpstreamServerError, type UpstreamTarget } from './upstream.js';
import { startRelay, type RelayObserver } from './relay.js';
import { tokenActionForUser } from './endpoint.js';

export interface DsqlBackendOptions {
  target: UpstreamTarget;
  region: string;
  profile?: string;
  tokenTtlSeconds: number;
  credentials?: import('@smithy/types').AwsCredentialIdentityProvider;
  /** Minutes before DSQL's 60-minute connection limit at which the client gets a NOTICE. */
  lifetimeNoticeMinutes?: number;
  /** How long the cluster keeps a connection; DSQL's quota unless told otherwise. */
  connectionLifetimeMs?: number;
}

export interface DsqlObserver extends RelayObserver, TokenEvents {
  upstreamConnected?(result: 'success' | 'failure', seconds: number): void;
}

/** DSQL ends every connection after 60 minutes (its quota page). */
export const DSQL_MAX_CONNECTION_MS = 60 * 60 * 1000;

export class DsqlBackend implements Backend {
  readonly mode = 'dsql';
  readonly tokens: DsqlTokenProvider;

  constructor(
    private readonly opts: DsqlBackendOptions,
    private readonly observer: DsqlObserver = {},
  ) {
    this.tokens = new DsqlTokenProvider(
      {
        hostname: opts.target.hostname,
        region: opts.region,
        profile: opts.profile,
        ttlSeconds: opts.tokenTtlSeconds,
        credentials: opts.credentials,
      },
      observer,
    );
  }

  async serve(session: ClientSession): Promise<void> {
    const t0 = performance.now();
    let upstream;
    try {
      upstream = await openUpstream(this.opts.target, { ...session.parameters }, () => this.tokens.token(session.user));
      this.observer.upstreamConnected?.('success', (performance.now() - t0) / 1000);
    } catch (err) {
      this.observer.upstreamConnected?.('failure', (performance.now() - t0) / 1000);
      throw explainLoginFailure(err, session.user, this.opts.target.hostname);
    }
    const { socket, backendKey } = upstream;
    if (backendKey) session.onCancel(() => void cancelUpstream(this.opts.target, backendKey));

    const client = session.stream;
    client.write(Buffer.concat([...upstream.loginFrames, encodeBackendKeyData(session.cancelKey.processId, session.cancelKey.secretKey), upstream.readyFrame]));
    if (upstream.pending.length > 0) client.write(upstream.pending);
    if (session.pending.length > 0) socket.write(session.pending);

    const relay = startRelay(client, socket, session.counters, this.observer);
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
    await this.tokens.token('admin');
    await probeUpstream(this.opts.target);
  }

  private scheduleLifetimeNotice(relay: ReturnType<typeof startRelay>): NodeJS.Timeout | null {
    const minutes = this.opts.lifetimeNoticeMinutes ?? 5;
    if (minutes <= 0) return null;
    const timer = setTimeout(() => {
      relay.notice(
        {
          severity: 'NOTICE',
          code: '01000',
          message: `Aurora DSQL will close this connection in about ${minutes} minutes (DSQL ends connections after 60 minutes)`,
          hint: 'Reconnect when convenient; aurora-pg-proxy signs a fresh token for the new connection.',
        },
        encodeNoticeResponse,
      );
    }, Math.max(0, (this.opts.connectionLifetimeMs ?? DSQL_MAX_CONNECTION_MS) - minutes * 60_000));
    timer.unref();
    return timer;
  }
}

/**
 * Passes the cluster's own login errors through, adding what to do when the token was refused.
 * DSQL refuses a token with 08006 "unable to accept connection, access denied" and puts the
 * reason in the hint; PostgreSQL-style refusals use class 28.
 */
function explainLoginFailure(err: unknown, user: string, hostname: string): unknown {
  if (!(err instanceof UpstreamServerError)) return err;
  const f = err.fields;
  const refused = f.code.startsWith('28') || /access denied|authentication failed/i.test(f.message);
  if (!refused) return new ClientFacingError(f.code, f.message, { ...f });
  const action = tokenActionForUser(user);
  const advice =
    `${hostname} refused the IAM token aurora-pg-proxy signed for user "${user}": the identity of the proxy's AWS ` +
    `credentials needs dsql:${action} on this cluster` +
    (user === 'admin' ? '.' : `, and the database role "${user}" must exist and be linked to that identity (AWS IAM GRANT).`);
  return new ClientFacingError(f.code, f.message, { ...f, hint: f.hint ? `${f.hint}\n${advice}` : advice });
}
