import { describe, expect, it } from 'vitest';
import { dbUserArn, regionFromRdsEndpoint } from '../../../src/rds-iam/endpoint.js';

describe('regionFromRdsEndpoint', () => {
  it.each([
    ['orders.cluster-abc123xyz.us-east-1.rds.amazonaws.com', 'us-east-1'],
    ['orders.cluster-ro-abc123xyz.eu-central-1.rds.amazonaws.com', 'eu-central-1'],
    ['orders-instance-1.abc123xyz.ap-southeast-2.rds.amazonaws.com.', 'ap-southeast-2'],
    ['my-proxy.proxy-abc123xyz.us-gov-west-1.rds.amazonaws.com', 'us-gov-west-1'],
    ['orders.cluster-abc123xyz.cn-north-1.rds.amazonaws.com.cn', 'cn-north-1'],
    ['db.example.com', undefined],
    ['localhost', undefined],
  ])('%s -> %s', (host, region) => {
    expect(regionFromRdsEndpoint(host)).toBe(region);
  });

  it('names the rds-db:connect resource of a user', () => {
    expect(dbUserArn('us-east-1', 'app_reader')).toBe('arn:aws:rds-db:us-east-1:ACCOUNT:dbuser:RESOURCE-ID/app_reader');
  });
});
