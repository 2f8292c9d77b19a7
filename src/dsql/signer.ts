// DSQL tokens: the admin role signs with dsql:DbConnectAdmin, every other role with dsql:DbConnect,
// so all non-admin users share one token.
import { DsqlSigner } from '@aws-sdk/dsql-signer';
import type { IamTokenSigner } from '../iam-relay/token-cache.js';
import { tokenActionForUser } from './endpoint.js';

export function dsqlSigner(hostname: string, region: string): IamTokenSigner {
  return {
    tokenKind: 'DSQL token',
    aTokenKind: 'a DSQL token',
    cacheKey: tokenActionForUser,
    async sign(user, credentials, expiresIn) {
      const signer = new DsqlSigner({ hostname, region, credentials, expiresIn });
      return tokenActionForUser(user) === 'DbConnectAdmin' ? signer.getDbConnectAdminAuthToken() : signer.getDbConnectAuthToken();
    },
  };
}
