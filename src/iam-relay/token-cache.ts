// Signs IAM authentication tokens (DSQL, RDS) and keeps them while they are fresh. A token is a
// SigV4 presigned URL computed locally; it is only checked when a connection opens, so one cached
// token serves every new connection until it is renewed, well before it expires (at 80% of its
// life, as the AWS connectors do) and never past the expiry of the credentials that signed it.
// What differs between services (the signer, which users share a token) is the IamTokenSigner.
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { SqlState } from '../protocol/sqlstate.js';
import { ClientFacingError } from '../protocol/client-error.js';

/** One service's token signing: DSQL (src/dsql/signer.ts) or RDS (src/rds-iam/signer.ts). */
export interface IamTokenSigner {
  /** Words for messages: 'DSQL token', 'RDS IAM token'. */
  readonly tokenKind: string;
  /** The same with its article: 'a DSQL token', 'an RDS IAM token'. */
  readonly aTokenKind: string;
  /** Users whose logins may share one token get the same key (DSQL: the action; RDS: the user). */
  cacheKey(user: string): string;
  /** Signs a token for `user` valid `expiresInSeconds`. */
  sign(user: string, credentials: AwsCredentialIdentity, expiresInSeconds: number): Promise<string>;
}

export interface TokenProviderOptions {
  signer: IamTokenSigner;
  /** Named profile of the shared AWS config; the default chain otherwise. */
  profile?: string;
  /** Lifetime asked for each token, in seconds (DSQL allows up to 604800, RDS tokens last 900). */
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

export class IamTokenCache {
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

  /** A valid token for this user, from the cache when it is still fresh. */
  async token(user: string): Promise<string> {
    const key = this.opts.signer.cacheKey(user);
    const cached = this.cache.get(key);
    if (cached && this.now() < cached.refreshAt) return cached.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.sign(user, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return (await pending).token;
  }

  /** Seconds until the soonest cached token expires (for metrics); undefined when none. */
  secondsUntilExpiry(): number | undefined {
    let soonest: number | undefined;
    for (const t of this.cache.values()) soonest = soonest === undefined ? t.expiresAt : Math.min(soonest, t.expiresAt);
    return soonest === undefined ? undefined : Math.max(0, (soonest - this.now()) / 1000);
  }

  private async sign(user: string, key: string): Promise<CachedToken> {
    const started = this.now();
    const kind = this.opts.signer.tokenKind;
    try {
      const creds = await resolveCredentials(this.credentials, kind, this.opts.profile);
      const issuedAt = this.now();
      let lifetimeMs = this.opts.ttlSeconds * 1000;
      if (creds.expiration) {
        const credsLeft = creds.expiration.getTime() - issuedAt;
        if (credsLeft <= 0) throw expiredCredentials(this.opts.signer.aTokenKind, this.opts.profile);
        lifetimeMs = Math.min(lifetimeMs, credsLeft);
      }
      const token = await this.opts.signer.sign(user, creds, this.opts.ttlSeconds);
      const entry = { token, expiresAt: issuedAt + lifetimeMs, refreshAt: issuedAt + lifetimeMs * REFRESH_FRACTION };
      this.cache.set(key, entry);
      this.events.generated?.('success', (this.now() - started) / 1000);
      return entry;
    } catch (err) {
      this.events.generated?.('failure', (this.now() - started) / 1000);
      throw err instanceof ClientFacingError ? err : credentialError(err, kind, this.opts.signer.aTokenKind, this.opts.profile);
    }
  }
}

async function resolveCredentials(provider: AwsCredentialIdentityProvider, kind: string, profile?: string): Promise<AwsCredentialIdentity> {
  const creds = await provider();
  if (!creds?.accessKeyId || !creds.secretAccessKey) throw noCredentials(kind, profile, 'the credential provider returned no keys');
  return creds;
}

function profileHint(profile?: string): string {
  const p = profile ? ` --profile ${profile}` : '';
  return (
    `Give aurora-pg-proxy AWS credentials: environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ` +
    `--profile NAME (after \`aws sso login${p}\` for SSO), or a role from the container or instance.`
  );
}

function noCredentials(kind: string, profile: string | undefined, why: string): ClientFacingError {
  return new ClientFacingError(
    SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
    `aurora-pg-proxy found no AWS credentials to sign the ${kind}: ${why}`,
    { hint: profileHint(profile) },
  );
}

function expiredCredentials(aKind: string, profile?: string): ClientFacingError {
  const p = profile ? ` --profile ${profile}` : '';
  return new ClientFacingError(
    SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
    `the AWS credentials of aurora-pg-proxy have expired, so it cannot sign ${aKind}`,
    { hint: `Refresh them (for SSO: \`aws sso login${p}\`); the proxy picks up new credentials without a restart.` },
  );
}

function credentialError(err: unknown, kind: string, aKind: string, profile?: string): ClientFacingError {
  const e = err as { name?: string; message?: string };
  const text = `${e?.name ?? ''} ${e?.message ?? ''}`;
  if (/expired|ExpiredToken|token.*(is|has) expired|refresh.*failed/i.test(text)) return expiredCredentials(aKind, profile);
  // Credential-chain messages name providers and files, never secret values; keep the first line.
  const firstLine = (e?.message ?? String(err)).split('\n')[0].slice(0, 300);
  return noCredentials(kind, profile, firstLine);
}
