// The login-pacing flags of the IAM relay modes (dsql, rds-iam): both log in to a metered
// endpoint, so the proxy spaces its own logins rather than have a burst of clients refused.
// Each flag is also an AURORA_PG_PROXY_* variable and a configuration-file key (camelCase).
import type { Command } from 'commander';
import { positiveInt } from '../config/validate.js';
import { envOption } from '../cli/common-options.js';

export interface LoginPacingFlags {
  maxConnectRate: string;
  connectBurst: string;
}

export interface LoginPacingSettings {
  /** Logins per second (the token bucket's refill) and the bucket's size. */
  maxConnectRate: number;
  connectBurst: number;
}

/** `server`: how the help names what the proxy logs in to ('cluster', 'database'). */
export function addLoginPacingOptions(cmd: Command, server: string, defaults: LoginPacingSettings): Command {
  return cmd
    .addOption(
      envOption(
        '--max-connect-rate <per-second>',
        `most ${server} logins per second; a burst beyond --connect-burst waits its turn within --connect-timeout`,
        'MAX_CONNECT_RATE',
        String(defaults.maxConnectRate),
      ),
    )
    .addOption(envOption('--connect-burst <n>', `${server} logins allowed at once before pacing starts`, 'CONNECT_BURST', String(defaults.connectBurst)));
}

export function loginPacingSettings(flags: LoginPacingFlags): LoginPacingSettings {
  return {
    maxConnectRate: positiveInt('--max-connect-rate', flags.maxConnectRate, { min: 1, max: 100_000 }),
    connectBurst: positiveInt('--connect-burst', flags.connectBurst, { min: 1, max: 100_000 }),
  };
}
