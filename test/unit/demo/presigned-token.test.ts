// The demo's stand-ins accept only tokens whose SigV4 signature they compute again: tokens from
// the AWS SDK signers verify; a changed user, host, secret or an expired token does not.
import { describe, expect, it } from 'vitest';
import { Signer } from '@aws-sdk/rds-signer';
import { DsqlSigner } from '@aws-sdk/dsql-signer';
import { verifyPresignedToken, type TokenRules } from '../../../src/demo/presigned-token.js';

const credentials = { accessKeyId: 'AKIDEXAMPLEDEMO00000', secretAccessKey: 'secret/with+special=chars' };
const RDS_HOST = 'db.cluster-abc.eu-west-1.rds.amazonaws.com';
const DSQL_HOST = 'abcdefghijklmnopqrstuvwxyz.dsql.eu-west-1.on.aws';

function rdsRules(overrides: Partial<TokenRules> = {}): TokenRules {
  return {
    ...credentials,
    service: 'rds-db',
    region: 'eu-west-1',
    authority: `${RDS_HOST}:5432`,
    expected: { Action: 'connect', DBUser: 'app user' },
    maxLifetimeSeconds: 900,
    now: new Date(),
    ...overrides,
  };
}

const rdsToken = () => new Signer({ hostname: RDS_HOST, port: 5432, region: 'eu-west-1', username: 'app user', credentials }).getAuthToken();

describe('verifyPresignedToken', () => {
  it('accepts an RDS token from @aws-sdk/rds-signer for the right user, endpoint and port', async () => {
    expect(verifyPresignedToken(await rdsToken(), rdsRules())).toEqual({ ok: true });
  });

  it('accepts DSQL tokens from @aws-sdk/dsql-signer for the action of the user', async () => {
    const signer = new DsqlSigner({ hostname: DSQL_HOST, region: 'eu-west-1', credentials, expiresIn: 3600 });
    const rules = { ...rdsRules(), service: 'dsql', authority: DSQL_HOST, maxLifetimeSeconds: 604800 };
    expect(verifyPresignedToken(await signer.getDbConnectAdminAuthToken(), { ...rules, expected: { Action: 'DbConnectAdmin' } })).toEqual({ ok: true });
    expect(verifyPresignedToken(await signer.getDbConnectAuthToken(), { ...rules, expected: { Action: 'DbConnectAdmin' } }).ok).toBe(false);
  });

  it('refuses another user, another port, another secret, a changed parameter and an expired token', async () => {
    const token = await rdsToken();
    expect(verifyPresignedToken(token, rdsRules({ expected: { Action: 'connect', DBUser: 'admin' } })).ok).toBe(false);
    expect(verifyPresignedToken(token, rdsRules({ authority: `${RDS_HOST}:5433` })).ok).toBe(false);
    expect(verifyPresignedToken(token, rdsRules({ secretAccessKey: 'not-the-secret' }))).toEqual({ ok: false, why: 'signature does not match' });
    const forged = token.replace('DBUser=app%20user', 'DBUser=admin');
    expect(verifyPresignedToken(forged, rdsRules({ expected: { Action: 'connect', DBUser: 'admin' } }))).toEqual({ ok: false, why: 'signature does not match' });
    expect(verifyPresignedToken(token, rdsRules({ now: new Date(Date.now() + 16 * 60_000) }))).toEqual({ ok: false, why: 'token expired' });
  });
});
