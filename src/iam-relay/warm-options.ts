// The warm-connection flags of the IAM relay modes (dsql, rds-iam): --warm-connections,
// --warm-max-age, --reuse-connections and --server-reset-query. Each is also an
// AURORA_PG_PROXY_* variable and a configuration-file key (camelCase).
import type { Command } from 'commander';
import { ConfigError } from '../config/types.js';
import { positiveInt } from '../config/validate.js';
import { envOption } from '../cli/common-options.js';

export interface WarmConnectionFlags {
  warmConnections: string;
  warmMaxAge: string;
  reuseConnections?: boolean | string;
  serverResetQuery: string;
}

export interface WarmConnectionSettings {
  /** Connections kept logged in per (user, database, startup parameters); 0: none. */
  warmConnections: number;
  /** Unused warm connections are closed (and replaced) at this age. */
  warmMaxAgeSeconds: number;
  /** A cleanly ended session's connection is reset and kept for the next client of its key. */
  reuseConnections: boolean;
  serverResetQuery: string;
}

export interface WarmConnectionDefaults {
  /** 'cluster', 'database': how the help names the server. */
  server: string;
  serverResetQuery: string;
  /** Why this reset query by default, for the help. */
  resetQueryNote: string;
  /** The largest --warm-max-age allowed (below the server's own connection limit). */
  maxAgeLimitSeconds: number;
}

/** 10 minutes: a sixth of DSQL's 60-minute connection limit. */
export const DEFAULT_WARM_MAX_AGE_SECONDS = 600;

export function addWarmConnectionOptions(cmd: Command, d: WarmConnectionDefaults): Command {
  return cmd
    .addOption(
      envOption(
        '--warm-connections <n>',
        `${d.server} connections kept logged in, unused, for each user, database and startup parameters clients used in the last 5 minutes, so that the next such client is served at once (0: none)`,
        'WARM_CONNECTIONS',
        '0',
      ),
    )
    .addOption(
      envOption('--warm-max-age <seconds>', 'unused warm connections are closed and replaced at this age', 'WARM_MAX_AGE', String(DEFAULT_WARM_MAX_AGE_SECONDS)),
    )
    .addOption(
      envOption(
        '--reuse-connections',
        `keep the ${d.server} connection of a client that ended cleanly (idle, outside a transaction) for the next client with the same user, database and startup parameters, after --server-reset-query (needs --warm-connections)`,
        'REUSE_CONNECTIONS',
      ),
    )
    .addOption(
      envOption('--server-reset-query <sql>', `sent before a connection is reused; ${d.resetQueryNote}`, 'SERVER_RESET_QUERY', d.serverResetQuery),
    );
}

export function warmConnectionSettings(flags: WarmConnectionFlags, d: WarmConnectionDefaults): WarmConnectionSettings {
  const warmConnections = positiveInt('--warm-connections', flags.warmConnections ?? '0', { min: 0, max: 100 });
  const warmMaxAgeSeconds = positiveInt('--warm-max-age', flags.warmMaxAge ?? String(DEFAULT_WARM_MAX_AGE_SECONDS), {
    min: 1,
    max: d.maxAgeLimitSeconds,
  });
  const reuseConnections = booleanFlag('--reuse-connections', flags.reuseConnections);
  const serverResetQuery = String(flags.serverResetQuery ?? d.serverResetQuery).trim();
  if (reuseConnections && warmConnections === 0) {
    throw new ConfigError('--reuse-connections', 'needs --warm-connections 1 or more: reused connections join the warm set, which holds that many per key');
  }
  if (serverResetQuery === '') throw new ConfigError('--server-reset-query', 'must not be empty: a reused connection needs its session state cleared');
  return { warmConnections, warmMaxAgeSeconds, reuseConnections, serverResetQuery };
}

/** A switch given as a flag (true), a variable or a file key ("true", "false", "1", "0"...). */
function booleanFlag(name: string, value: boolean | string | undefined): boolean {
  if (value === undefined || typeof value === 'boolean') return value === true;
  if (/^(1|true|yes|on)$/i.test(value.trim())) return true;
  if (/^(0|false|no|off|)$/i.test(value.trim())) return false;
  throw new ConfigError(name, `expected true or false, got "${value}"`);
}
