// Signs DSQL IAM tokens and keeps them while they are fresh. A token is a SigV4 presigned URL
// computed locally; it is only checked when a connection opens, so one cached token serves every
// new connection until it is renewed, well before it expires (at 80% of its life, as the AWS
// connectors do) and never past the expiry of the credentials that signed it.
import { DsqlSigner } from '@aws-sdk/dsql-signer';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { SqlState } from '../protocol/sqlstate.js';
import { ClientFacingError } from '../server/client-error.js';
import { tokenActionForUser } from './endpoint.js';

export interface TokenProviderOptions {
  hostname: string;
  region: string;
  /** Named profile of the shared AWS config; the default chain otherwise. */
  profile?: string;
  /** Lifetime asked for each token, in seconds (DSQL allows up to 604800). */
  ttlSeconds: number;
  /** Overrides the default credential chain (tests, embedding). */
  credentials?: AwsCredentialIdentityProvider;
  now?: () => number;
}

export interface TokenEvents {
  generated?(result: 'success' | 'failure', seconds: number): void;
}

interface CachedToken {
  token: string;
  expiresAt: number;
  refreshAt: number;
}

export const REFRESH_FRACTION = 0.8;

export class DsqlTokenProvider {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly credentials: AwsCredentialIdentityProvider;
  private readonly now: () => number;

  constructor(
    private readonly opts: TokenProviderOptions,
    private readonly events: TokenEvents = {},
  ) {
    this.credentials = opts.credentials ?? fromNodeProviderChain(opts.profile ? { profile: opts.profile } : {});
    this.now = opts.now ?? Date.now;
  }

  /** A valid token for this user's role, from the cache when it is still fresh. */
  async token(user: string): Promise<string> {
    const action = tokenActionForUser(user);
    const cached = this.cache.get(action);
    if (cached && this.now() < cached.refreshAt) return cached.token;
    let pending = this.inflight.get(action);
    if (!pending) {
      pending = this.sign(action).finally(() => this.inflight.delete(action));
      this.inflight.set(action, pending);
    }
    return (await pending).token;
  }

  /** Seconds until the soonest cached token expires (for metrics); undefined when none. */
  secondsUntilExpiry(): number | undefined {
    let soonest: number | undefined;
    for (const t of this.cache.values()) soonest = soonest === undefined ? t.expiresAt : Math.min(soonest, t.expiresAt);
    return soonest === undefined ? undefined : Math.max(0, (soonest - this.now()) / 1000);
  }

  private async sign(action: 'DbConnectAdmin' | 'DbConnect'): Promise<CachedToken> {
    const started = this.now();
    try {
      const creds = await resolveCredentials(this.credentials, this.opts.profile);
      const issuedAt = this.now();
      let lifetimeMs = this.opts.ttlSeconds * 1000;
      if (creds.expiration) {
        const credsLeft = creds.expiration.getTime() - issuedAt;
        if (credsLeft <= 0) throw expiredCredentials(this.opts.profile);
        lifetimeMs = Math.min(lifetimeMs, credsLeft);
      }
      const signer = new DsqlSigner({
        hostname: this.opts.hostname,
        region: this.opts.region,
        credentials: creds,
        expiresIn: this.opts.ttlSeconds,
      });
      const token = action === 'DbConnectAdmin' ? await signer.getDbConnectAdminAuthToken() : await signer.getDbConnectAuthToken();
      const entry = { token, expiresAt: issuedAt + lifetimeMs, refreshAt: issuedAt + lifetimeMs * REFRESH_FRACTION };
      this.cache.set(action, entry);
      this.events.generated?.('success', (this.now() - started) / 1000);
      return entry;
    } catch (err) {
      this.events.generated?.('failure', (this.now() - started) / 1000);
      throw err instanceof ClientFacingError ? err : credentialError(err, this.opts.profile);
    }
  }
}

async function resolveCredentials(provider: AwsCredentialIdentityProvider, profile?: string): Promise<AwsCredentialIdentity> {
  const creds = await provider();
  if (!creds?.accessKeyId || !creds.secretAccessKey) throw noCredentials(profile, 'the credential provider returned no keys');
  return creds;
}

function profileHint(profile?: string): string {
  const p = profile ? ` --profile ${profile}` : '';
  return (
    `Give aurora-pg-proxy AWS credentials: environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ` +
    `--profile NAME (after \`aws sso login${p}\` for SSO), or a role from the container or instance.`
  );
}

function noCredentials(profile: string | undefined, why: string): ClientFacingError {
  return new ClientFacingError(
    SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
    `aurora-pg-proxy found no AWS credentials to sign the DSQL token: ${why}`,
    { hint: profileHint(profile) },
  );
}

function expiredCredentials(profile?: string): ClientFacingError {
  const p = profile ? ` --profile ${profile}` : '';
  return new ClientFacingError(
    SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
    'the AWS credentials of aurora-pg-proxy have expired, so it cannot sign a DSQL token',
    { hint: `Refresh them (for SSO: \`aws sso login${p}\`); the proxy picks up new credentials without a restart.` },
  );
}

function credentialError(err: unknown, profile?: string): ClientFacingError {
  const e = err as { name?: string; message?: string };
  const text = `${e?.name ?? ''} ${e?.message ?? ''}`;
  if (/expired|ExpiredToken|token.*(is|has) expired|refresh.*failed/i.test(text)) return expiredCredentials(profile);
  // Credential-chain messages name providers and files, never secret values; keep the first line.
  const firstLine = (e?.message ?? String(err)).split('\n')[0].slice(0, 300);
  return noCredentials(profile, firstLine);
}
