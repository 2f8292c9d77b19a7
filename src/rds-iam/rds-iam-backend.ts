// The rds-iam mode's backend: the IAM relay with RDS's signer (one token per database user), the
// RDS certificate authorities, RDS's wording and its advice on a refused token.
import type { RelayEngine, RelayIo } from '../iam-relay/engine-option.js';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { NoticeFields } from '../protocol/messages.js';
import { IamRelayBackend, type IamRelayObserver, type WarmConnectionOptions } from '../iam-relay/backend.js';
import type { LoginPacerOptions } from '../iam-relay/login-pacer.js';
import type { UpstreamService, UpstreamTarget } from '../iam-relay/upstream.js';
import { rdsSigner, RDS_TOKEN_TTL_SECONDS } from './signer.js';
import { RDS_CA_BUNDLE, RDS_CA_BUNDLE_NAME } from './trust.js';
import { dbUserArn } from './endpoint.js';

export interface RdsIamBackendOptions {
  /** hostname and port are the endpoint's: SNI, certificate name and token use them. */
  target: Omit<UpstreamTarget, 'service' | 'port'> & { port: number };
  region: string;
  profile?: string;
  credentials?: AwsCredentialIdentityProvider;
  /** The CAs trusted besides the system roots; the RDS bundle unless told otherwise (the demo). */
  bundledCa?: { certificates: readonly string[]; name: string };
  /** Token bucket for database logins (--max-connect-rate, --connect-burst); none: unpaced. */
  pacing?: LoginPacerOptions;
  /** --warm-connections, --reuse-connections; none: every client logs in itself. */
  warm?: WarmConnectionOptions;
  /** --relay-engine; auto when absent. */
  relayEngine?: RelayEngine;
  /** --relay-io; auto when absent. */
  relayIo?: RelayIo;
}

export type RdsIamObserver = IamRelayObserver;

/** AuthenticationSASL, AuthenticationMD5Password: what RDS asks of a user that is not an IAM user. */
const PASSWORD_METHODS: Record<number, string> = { 5: 'an MD5 password', 10: 'a SCRAM password' };

function rdsService(bundle: { certificates: readonly string[]; name: string }, port: number): UpstreamService {
  return {
    name: 'RDS for PostgreSQL',
    endpointKind: 'RDS endpoint',
    bundledCa: bundle.certificates,
    trustDescription: `the system roots and ${bundle.name}`,
    unreachableHint:
      `Check the endpoint name, that the database is available, and that this machine reaches it on port ${port} ` +
      '(a private cluster needs a VPN, or a tunnel given with --connect-to HOST:PORT).',
    unsupportedAuth: (code) => ({
      message:
        code in PASSWORD_METHODS
          ? `asked for ${PASSWORD_METHODS[code]} instead of an IAM token: the database user is not an IAM user`
          : `asked for authentication method ${code}; RDS asks IAM users for a cleartext password (the IAM token)`,
      hint: 'As an administrator, run GRANT rds_iam TO "<user>"; and check that IAM database authentication is enabled on the cluster or instance.',
    }),
  };
}

export class RdsIamBackend extends IamRelayBackend {
  constructor(opts: RdsIamBackendOptions, observer: RdsIamObserver = {}) {
    const { hostname, port } = opts.target;
    const bundle = opts.bundledCa ?? { certificates: RDS_CA_BUNDLE, name: RDS_CA_BUNDLE_NAME };
    super(
      {
        mode: 'rds-iam',
        target: { ...opts.target, service: rdsService(bundle, port) },
        signer: rdsSigner(hostname, port, opts.region),
        profile: opts.profile,
        tokenTtlSeconds: RDS_TOKEN_TTL_SECONDS,
        credentials: opts.credentials,
        readinessUser: 'aurora_pg_proxy_readiness',
        upstreamName: 'the RDS database',
        refusedTokenAdvice: (fields, user) => rdsRefusalAdvice(fields, user, hostname, opts.region),
        pacing: opts.pacing,
        warm: opts.warm,
        relayEngine: opts.relayEngine,
        relayIo: opts.relayIo,
      },
      observer,
    );
  }
}

/**
 * RDS checks the token through PAM: a refusal is 28000 `PAM authentication failed for user "x"`
 * (28P01 for a password failure in general). Either way the fix is on the AWS or database side.
 */
function rdsRefusalAdvice(f: NoticeFields, user: string, hostname: string, region: string): string | undefined {
  const refused = f.code.startsWith('28') || /PAM authentication failed|password authentication failed/i.test(f.message);
  if (!refused) return undefined;
  return (
    `${hostname} refused the IAM token aurora-pg-proxy signed for user "${user}". Check three things: ` +
    `the database user is an IAM user (as an administrator: GRANT rds_iam TO "${user}";); ` +
    'IAM database authentication is enabled on the cluster or instance; ' +
    `and the identity of the proxy's AWS credentials is allowed rds-db:connect on ${dbUserArn(region, user)} ` +
    '(RESOURCE-ID is the cluster\'s DbClusterResourceId "cluster-...", the instance\'s DbiResourceId "db-..." or the RDS Proxy\'s "prx-...").'
  );
}
