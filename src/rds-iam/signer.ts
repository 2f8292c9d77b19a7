// RDS IAM tokens: one per database user, signed by @aws-sdk/rds-signer for the endpoint's host
// and port. RDS tokens are valid for 15 minutes; the signer does not let the lifetime be chosen.
import { Signer } from '@aws-sdk/rds-signer';
import type { IamTokenSigner } from '../iam-relay/token-cache.js';

/** The lifetime of every RDS IAM token. */
export const RDS_TOKEN_TTL_SECONDS = 900;

export function rdsSigner(hostname: string, port: number, region: string): IamTokenSigner {
  return {
    tokenKind: 'RDS IAM token',
    aTokenKind: 'an RDS IAM token',
    cacheKey: (user) => user,
    async sign(user, credentials) {
      return new Signer({ hostname, port, region, username: user, credentials }).getAuthToken();
    },
  };
}
