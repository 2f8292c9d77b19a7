// Facts derived from a DSQL cluster endpoint name.

/** `<id>.dsql.<region>.on.aws`, also the `dsql-xxxx` suffixed forms AWS uses. */
const REGION_IN_ENDPOINT = /\.dsql[^.]*\.([a-z0-9-]+)\.on\.aws\.?$/i;

export function regionFromEndpoint(host: string): string | undefined {
  return REGION_IN_ENDPOINT.exec(host)?.[1]?.toLowerCase();
}

/** The admin role needs dsql:DbConnectAdmin; every other role dsql:DbConnect. */
export function tokenActionForUser(user: string): 'DbConnectAdmin' | 'DbConnect' {
  return user === 'admin' ? 'DbConnectAdmin' : 'DbConnect';
}
