// `aurora-pg-proxy emulate-data-api` as application developers run it: a separate process that
// the AWS SDK reaches over HTTP, checking SigV4 when asked to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { TEST_CREDENTIALS, credentialEnv, isolatedAwsEnv, startProxyProcess, type ProxyProcess } from '../harness/proxy-process.js';
import { RESOURCE_ARN, SECRET_ARN } from './dataapi-fixture.js';

describe('emulate-data-api command', () => {
  let db: ThrowawayPostgres;
  let emulator: ProxyProcess;

  beforeAll(async () => {
    db = await startPostgres();
    emulator = await startProxyProcess(['emulate-data-api', '--postgres', db.url, '--verify-sigv4'], {
      env: isolatedAwsEnv(credentialEnv()),
      readyPattern: /Data API emulator listening/,
    });
  });
  afterAll(async () => {
    await emulator?.stop();
    await db?.stop();
  });

  const sdk = (secretAccessKey: string) =>
    new RDSDataClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${emulator.port}`,
      credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });

  it('serves ExecuteStatement to the SDK', async () => {
    const out = await sdk(TEST_CREDENTIALS.secretAccessKey).send(
      new ExecuteStatementCommand({ resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, sql: "SELECT 'emulated' AS v", includeResultMetadata: true }),
    );
    expect(out.records).toEqual([[{ stringValue: 'emulated' }]]);
    expect(out.columnMetadata?.[0]?.typeName).toBe('text');
  });

  it('refuses a request signed with another secret', async () => {
    await expect(
      sdk('not-the-secret').send(new ExecuteStatementCommand({ resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, sql: 'SELECT 1' })),
    ).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await emulator.stop()).toBe(0);
  });
});
