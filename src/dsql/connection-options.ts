// The dsql subcommand's flags for how cluster connections are opened and kept: login pacing
// (shared with rds-iam) and optimistic-concurrency retries (DSQL only). Each is also an
// AURORA_PG_PROXY_* variable and a configuration-file key (the flag in camelCase).
import type { Command } from 'commander';
import { DEFAULTS } from '../config/types.js';
import { positiveInt } from '../config/validate.js';
import { envOption } from '../cli/common-options.js';
import { addLoginPacingOptions, loginPacingSettings, type LoginPacingFlags } from '../iam-relay/pacing-options.js';
import type { DsqlSettings } from './config.js';

export interface DsqlConnectionFlags extends LoginPacingFlags {
  occRetries: string;
}

export function addDsqlConnectionOptions(cmd: Command): Command {
  addLoginPacingOptions(cmd, 'cluster', { maxConnectRate: DEFAULTS.maxConnectRate, connectBurst: DEFAULTS.connectBurst });
  return cmd.addOption(
    envOption(
      '--occ-retries <n>',
      'times a single implicit transaction failed by an optimistic-concurrency conflict (40001) is sent again (0: never)',
      'OCC_RETRIES',
      String(DEFAULTS.occRetries),
    ),
  );
}

export function dsqlConnectionSettings(flags: DsqlConnectionFlags): Pick<DsqlSettings, 'maxConnectRate' | 'connectBurst' | 'occRetries'> {
  return {
    ...loginPacingSettings(flags),
    occRetries: positiveInt('--occ-retries', flags.occRetries, { min: 0, max: 20 }),
  };
}
