// Invalid command lines fail before anything starts: exit code 2 and a message that names the
// flag and says what to do.
import { describe, expect, it } from 'vitest';
import { CLI } from '../harness/proxy-process.js';
import { run } from '../harness/clients.js';

const DSQL_HOST = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';

async function cli(args: string[]) {
  return run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeoutMs: 20_000 });
}

describe('command-line validation', () => {
  it.each([
    [['dsql', '--host', DSQL_HOST, '--listen', '0.0.0.0:45000'], /--listen: 0\.0\.0\.0 is reachable from other machines.*AURORA_PG_PROXY_CLIENT_PASSWORD/],
    [['dsql', '--host', DSQL_HOST, '--token-ttl', '999999999'], /--token-ttl: expected a whole number from 1 to 604800/],
    [['dsql', '--host', 'db.example.com'], /--region: cannot tell the region from "db\.example\.com"/],
    [['dsql', '--host', DSQL_HOST, '--listen', '127.0.0.1:99999'], /--listen: invalid address/],
    [['dsql', '--host', DSQL_HOST, '--client-auth', 'scram-sha-256'], /--client-auth: scram-sha-256 needs a password/],
    [['data-api', '--resource-arn', 'arn:aws:s3:::bucket', '--secret-arn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x'], /--resource-arn: expected an Aurora cluster ARN/],
    [['data-api', '--resource-arn', 'arn:aws:rds:us-east-1:123456789012:cluster:x', '--secret-arn', 'nope'], /--secret-arn: expected a Secrets Manager ARN/],
    [['data-api', '--resource-arn', 'arn:aws:rds:us-east-1:123456789012:cluster:x', '--secret-arn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x', '--readiness-check', 'sometimes'], /--readiness-check: expected one of statement, endpoint/],
    [['rds-iam', '--host', 'db.example.com'], /--region: cannot tell the region from "db\.example\.com"/],
    [['rds-iam', '--host', 'orders.cluster-abc.us-east-1.rds.amazonaws.com', '--port', '70000'], /--port: expected a whole number from 1 to 65535/],
    [['rds-iam', '--host', 'orders.cluster-abc.us-east-1.rds.amazonaws.com', '--listen', '0.0.0.0:45000'], /--listen: 0\.0\.0\.0 is reachable from other machines/],
  ])('%j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('says which flag is missing', async () => {
    const r = await cli(['dsql']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/required option '--host <endpoint>' not specified/);
  });
});
