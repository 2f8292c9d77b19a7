// `aurora-pg-proxy rds-iam`: serve PostgreSQL clients in front of an Aurora PostgreSQL or RDS for
// PostgreSQL database that uses IAM database authentication.
import { Command } from 'commander';
import { parseHostPort } from '../server/addresses.js';
import { ConfigError, DEFAULTS, type ListenerConfigOf, type ProxyConfig } from '../config/types.js';
import { positiveInt } from '../config/validate.js';
import { addWorkersOption } from '../cluster/workers-option.js';
import { addCommonOptions, commonListenerConfig, envOption, processSettings, wrap, type CommonFlags } from '../cli/common-options.js';
import { addLoginPacingOptions, loginPacingSettings, type LoginPacingFlags } from '../iam-relay/pacing-options.js';
import { addWarmConnectionOptions, warmConnectionSettings, type WarmConnectionDefaults, type WarmConnectionFlags } from '../iam-relay/warm-options.js';
import { regionFromRdsEndpoint } from './endpoint.js';
import { addRelayEngineOption, relayEngineSetting, relayIoSetting, type RelayEngineFlags } from '../iam-relay/engine-option.js';

/** PostgreSQL's own DISCARD ALL, as pgbouncer uses: settings, prepared statements, temporary tables, cursors, LISTEN, advisory locks. */
export const RDS_IAM_WARM_DEFAULTS: WarmConnectionDefaults = {
  server: 'database',
  serverResetQuery: 'DISCARD ALL',
  resetQueryNote: 'DISCARD ALL returns the session to its state after login',
  maxAgeLimitSeconds: 24 * 3600,
};

export interface RdsIamFlags extends CommonFlags, LoginPacingFlags, WarmConnectionFlags, RelayEngineFlags {
  host: string;
  port: string;
  region?: string;
  profile?: string;
  connectTo?: string;
  upstreamCa?: string;
  connectTimeout: string;
}

export function rdsIamCommand(run: (config: ProxyConfig) => Promise<void>): Command {
  const cmd = new Command('rds-iam')
    .description(
      'serve PostgreSQL clients in front of an Aurora PostgreSQL or RDS for PostgreSQL database with IAM database authentication, signing a token for each user',
    )
    .addOption(
      envOption('--host <endpoint>', 'cluster, reader, instance or RDS Proxy endpoint, e.g. mydb.cluster-abc123.us-east-1.rds.amazonaws.com', 'RDS_HOST').makeOptionMandatory(),
    )
    .addOption(envOption('--port <port>', 'port of the endpoint', 'RDS_PORT', String(DEFAULTS.postgresPort)))
    .addOption(envOption('--region <region>', 'AWS region (default: taken from the endpoint name)', 'REGION'))
    .addOption(envOption('--profile <name>', 'AWS shared-config profile for credentials (default: the standard chain)', 'PROFILE'))
    .addOption(
      envOption('--connect-to <addr>', 'dial this HOST:PORT instead (a tunnel); SNI, certificate check and token still use --host and --port', 'CONNECT_TO'),
    )
    .addOption(envOption('--upstream-ca <file>', 'extra PEM CA certificates trusted for the database, besides the RDS CAs', 'UPSTREAM_CA'))
    .addOption(envOption('--connect-timeout <seconds>', 'time allowed to reach the database', 'CONNECT_TIMEOUT', String(DEFAULTS.connectTimeoutSeconds)));
  addLoginPacingOptions(cmd, 'database', { maxConnectRate: DEFAULTS.rdsIamMaxConnectRate, connectBurst: DEFAULTS.rdsIamConnectBurst });
  addWorkersOption(cmd);
  addWarmConnectionOptions(cmd, RDS_IAM_WARM_DEFAULTS);
  addRelayEngineOption(cmd);
  addCommonOptions(cmd);
  cmd.action(async (flags: RdsIamFlags) => run(rdsIamConfigFromFlags(flags)));
  return cmd;
}

export function rdsIamConfigFromFlags(flags: RdsIamFlags): ProxyConfig {
  return { ...processSettings(flags), listeners: [rdsIamListenerFromFlags(flags)] };
}

export function rdsIamListenerFromFlags(flags: RdsIamFlags): ListenerConfigOf<'rds-iam'> {
  const host = String(flags.host ?? '').trim().replace(/\.$/, '');
  if (host === '') throw new ConfigError('--host', 'is required: the endpoint of the cluster, instance or RDS Proxy');
  const port = positiveInt('--port', flags.port ?? String(DEFAULTS.postgresPort), { min: 1, max: 65535 });
  const region = flags.region ?? regionFromRdsEndpoint(host);
  if (!region) {
    throw new ConfigError('--region', `cannot tell the region from "${host}"; pass --region (for example --region us-east-1)`);
  }
  return {
    ...commonListenerConfig(flags, 'rds-iam'),
    mode: 'rds-iam',
    settings: {
      host,
      port,
      region,
      profile: flags.profile,
      connectTo: flags.connectTo ? wrap('--connect-to', () => parseHostPort(flags.connectTo!, host, port)) : undefined,
      upstreamCaFile: flags.upstreamCa,
      connectTimeoutSeconds: positiveInt('--connect-timeout', flags.connectTimeout),
      ...loginPacingSettings(flags),
      ...warmConnectionSettings(flags, RDS_IAM_WARM_DEFAULTS),
      relayEngine: relayEngineSetting(flags),
      relayIo: relayIoSetting(flags),
    },
  };
}
