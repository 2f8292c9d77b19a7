// The DSQL mode's backend: the IAM relay with DSQL's signer, the system roots, DSQL's wording,
// its advice on a refused token, and a NOTICE before DSQL's 60-minute connection limit.
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { NoticeFields } from '../protocol/messages.js';
import { IamRelayBackend, type IamRelayObserver, type WarmConnectionOptions } from '../iam-relay/backend.js';
import type { LoginPacerOptions } from '../iam-relay/login-pacer.js';
import { nativeOccPolicy, OccRetrier, type OccObserver } from './occ-retry.js';
import type { RelayEngine, RelayIo } from '../iam-relay/engine-option.js';
import type { UpstreamService, UpstreamTarget } from '../iam-relay/upstream.js';
import { dsqlSigner } from './signer.js';
import { tokenActionForUser } from './endpoint.js';

export interface DsqlBackendOptions {
  target: Omit<UpstreamTarget, 'service'>;
  region: string;
  profile?: string;
  tokenTtlSeconds: number;
  credentials?: AwsCredentialIdentityProvider;
  /** Minutes before DSQL's 60-minute connection limit at which the client gets a NOTICE. */
  lifetimeNoticeMinutes?: number;
  /** How long the cluster keeps a connection; DSQL's quota unless told otherwise. */
  connectionLifetimeMs?: number;
  /** Token bucket for cluster logins (--max-connect-rate, --connect-burst); none: unpaced. */
  pacing?: LoginPacerOptions;
  /** --occ-retries; 0 or absent: conflicts go to the client. */
  occRetries?: number;
  /** --warm-connections, --reuse-connections; none: every client logs in itself. */
  warm?: WarmConnectionOptions;
  /** --relay-engine; auto when absent. */
  relayEngine?: RelayEngine;
  /** --relay-io; auto when absent. */
  relayIo?: RelayIo;
}

export type DsqlObserver = IamRelayObserver & OccObserver;

/** DSQL ends every connection after 60 minutes (its quota page). */
export const DSQL_MAX_CONNECTION_MS = 60 * 60 * 1000;

export const DSQL_SERVICE: UpstreamService = {
  name: 'DSQL',
  endpointKind: 'DSQL endpoint',
  trustDescription: 'the system roots',
  unreachableHint: 'Check the cluster endpoint, that the cluster is active, and that this machine reaches it on port 5432.',
  unsupportedAuth: (code) => ({
    message: `asked for authentication method ${code}; DSQL asks for a cleartext password (the IAM token)`,
    hint: 'Is --host a DSQL cluster endpoint?',
  }),
};

export class DsqlBackend extends IamRelayBackend {
  constructor(opts: DsqlBackendOptions, observer: DsqlObserver = {}) {
    const hostname = opts.target.hostname;
    super(
      {
        mode: 'dsql',
        target: { ...opts.target, service: DSQL_SERVICE },
        signer: dsqlSigner(hostname, opts.region),
        profile: opts.profile,
        tokenTtlSeconds: opts.tokenTtlSeconds,
        credentials: opts.credentials,
        readinessUser: 'admin',
        upstreamName: 'the DSQL cluster',
        refusedTokenAdvice: (fields, user) => dsqlRefusalAdvice(fields, user, hostname),
        lifetimeNotice: lifetimeNotice(opts),
        pacing: opts.pacing,
        createRetrier: occRetrierFactory(opts.occRetries ?? 0, observer),
        nativeRetry: (opts.occRetries ?? 0) > 0 ? nativeOccPolicy(opts.occRetries ?? 0, observer) : null,
        warm: opts.warm,
        relayEngine: opts.relayEngine,
        relayIo: opts.relayIo,
      },
      observer,
    );
  }
}

/** Each session gets its own retrier; with no retries allowed, none at all (the relay's plain path). */
function occRetrierFactory(retries: number, observer: OccObserver): (() => OccRetrier) | undefined {
  return retries > 0 ? () => new OccRetrier(retries, observer) : undefined;
}

/**
 * DSQL refuses a token with 08006 "unable to accept connection, access denied" and puts the
 * reason in the hint; PostgreSQL-style refusals use class 28.
 */
function dsqlRefusalAdvice(f: NoticeFields, user: string, hostname: string): string | undefined {
  const refused = f.code.startsWith('28') || /access denied|authentication failed/i.test(f.message);
  if (!refused) return undefined;
  const action = tokenActionForUser(user);
  return (
    `${hostname} refused the IAM token aurora-pg-proxy signed for user "${user}": the identity of the proxy's AWS ` +
    `credentials needs dsql:${action} on this cluster` +
    (user === 'admin' ? '.' : `, and the database role "${user}" must exist and be linked to that identity (AWS IAM GRANT).`)
  );
}

function lifetimeNotice(opts: DsqlBackendOptions): { afterMs: number; fields: NoticeFields } | undefined {
  const minutes = opts.lifetimeNoticeMinutes ?? 5;
  if (minutes <= 0) return undefined;
  return {
    afterMs: (opts.connectionLifetimeMs ?? DSQL_MAX_CONNECTION_MS) - minutes * 60_000,
    fields: {
      severity: 'NOTICE',
      code: '01000',
      message: `Aurora DSQL will close this connection in about ${minutes} minutes (DSQL ends connections after 60 minutes)`,
      hint: 'Reconnect when convenient; aurora-pg-proxy signs a fresh token for the new connection.',
    },
  };
}
