// A local stand-in for an RDS for PostgreSQL or Aurora PostgreSQL endpoint with IAM database
// authentication, in front of a throwaway PostgreSQL: the DSQL stand-in's server (TLS required,
// SNI must name the endpoint, cleartext password, then a byte relay to PostgreSQL) with RDS's
// token check (rds-token-verify.ts: service rds-db, Action=connect, DBUser, the endpoint's
// host:port, the signature recomputed) and RDS's refusal: PAM checks IAM tokens, so every refused
// token is 28000 `PAM authentication failed for user "<user>"`, with no reason given.
import { startDsqlStandIn, type DsqlStandIn, type DsqlStandInOptions } from './dsql-standin.js';
import { verifyRdsToken } from './rds-token-verify.js';

export interface RdsIamStandInOptions extends Omit<DsqlStandInOptions, 'verifyToken'> {
  /** The endpoint's port, which tokens are signed for (the stand-in itself listens elsewhere). */
  endpointPort: number;
  /** Database users the identity may connect as (its rds-db:connect resources); all when absent. */
  allowedUsers?: readonly string[];
}

export type RdsIamStandIn = DsqlStandIn;

export function startRdsIamStandIn(opts: RdsIamStandInOptions): Promise<RdsIamStandIn> {
  return startDsqlStandIn({
    ...opts,
    verifyToken: async (token, user, now) => {
      const verdict = await verifyRdsToken(token, {
        hostname: opts.hostname,
        port: opts.endpointPort,
        region: opts.region,
        credentials: opts.credentials,
        allowedUsers: opts.allowedUsers,
        user,
        now,
      });
      if (verdict.ok) return { ok: true };
      return { ok: false, reason: verdict.reason, fields: { code: '28000', message: `PAM authentication failed for user "${user}"` } };
    },
  });
}
