// The dsql subcommand's flags for how cluster connections are opened and kept: login pacing
// (shared with rds-iam) and optimistic-concurrency retries (DSQL only). Each is also an
// AURORA_PG_PROXY_* variable and a configuration-file key (the flag in camelCase).
import type { Command } from 'commander';
import { DEFAULTS } from '../config/types.js';
import { positiveInt } from '../config/validate.js';
import { envOption } from '../cli/common-options.js';
import { addLoginPacingOptions, loginPacingSettings, type LoginPacingFlags } from '../iam-relay/pacing-options.js';
import { addWarmConnectionOptions, warmConnectionSettings, type WarmConnectionDefaults, type WarmConnectionFlags } from '../iam-relay/warm-options.js';
import type { DsqlSettings } from './config.js';
import { addRelayEngineOption, relayEngineSetting, relayIoSetting, type RelayEngineFlags } from '../iam-relay/engine-option.js';

export interface DsqlConnectionFlags extends LoginPacingFlags, WarmConnectionFlags, RelayEngineFlags {
  occRetries: string;
}

/**
 * DSQL has no temporary tables, no SQL PREPARE, no LISTEN and no advisory locks, and DISCARD is
 * not among the statements it documents: what a session can leave behind there is its settings
 * (the allowlisted SET parameters), which RESET ALL clears. A session that made named prepared
 * statements with Parse is then not reused (RESET ALL keeps them); pass --server-reset-query
 * 'DISCARD ALL' where the cluster accepts it.
 */
export const DSQL_WARM_DEFAULTS: WarmConnectionDefaults = {
  server: 'cluster',
  serverResetQuery: 'RESET ALL',
  resetQueryNote: 'RESET ALL clears the session settings, all DSQL keeps per session besides prepared statements (a session that named any is not reused unless the query holds DISCARD ALL or DEALLOCATE ALL)',
  // DSQL ends every connection at 60 minutes; a warm one must leave its client most of that.
  maxAgeLimitSeconds: 30 * 60,
};

export function addDsqlConnectionOptions(cmd: Command): Command {
  addLoginPacingOptions(cmd, 'cluster', { maxConnectRate: DEFAULTS.maxConnectRate, connectBurst: DEFAULTS.connectBurst });
  addWarmConnectionOptions(cmd, DSQL_WARM_DEFAULTS);
  addRelayEngineOption(cmd);
  return cmd.addOption(
    envOption(
      '--occ-retries <n>',
      'times a single implicit transaction failed by an optimistic-concurrency conflict (40001) is sent again (0: never)',
      'OCC_RETRIES',
      String(DEFAULTS.occRetries),
    ),
  );
}

export function dsqlConnectionSettings(
  flags: DsqlConnectionFlags,
): Pick<DsqlSettings, 'maxConnectRate' | 'connectBurst' | 'occRetries' | 'warmConnections' | 'warmMaxAgeSeconds' | 'reuseConnections' | 'serverResetQuery' | 'relayEngine' | 'relayIo'> {
  return {
    ...loginPacingSettings(flags),
    ...warmConnectionSettings(flags, DSQL_WARM_DEFAULTS),
    occRetries: positiveInt('--occ-retries', flags.occRetries, { min: 0, max: 20 }),
    relayEngine: relayEngineSetting(flags),
    relayIo: relayIoSetting(flags),
  };
}
