// Facts derived from an RDS or Aurora PostgreSQL endpoint name.

/**
 * `<name>.<id>.<region>.rds.amazonaws.com` for clusters, readers, instances and RDS Proxy
 * endpoints (`.rds.amazonaws.com.cn` in China).
 */
const REGION_IN_ENDPOINT = /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?\.?$/i;

export function regionFromRdsEndpoint(host: string): string | undefined {
  return REGION_IN_ENDPOINT.exec(host)?.[1]?.toLowerCase();
}

/**
 * The resource an IAM policy must allow rds-db:connect on for this user. The account and the
 * database's resource id cannot be read from the endpoint name, so they stay placeholders.
 */
export function dbUserArn(region: string, user: string): string {
  return `arn:aws:rds-db:${region}:ACCOUNT:dbuser:RESOURCE-ID/${user}`;
}
