// `aurora-pg-proxy dsql`: serve PostgreSQL clients in front of an Aurora DSQL cluster.
import { Command } from 'commander';
import { parseHostPort } from '../server/addresses.js';
import { ConfigError, DEFAULTS, type ListenerConfigOf, type ProxyConfig } from '../config/types.js';
import { positiveInt } from '../config/validate.js';
import { regionFromEndpoint } from './endpoint.js';
import { addDsqlConnectionOptions, dsqlConnectionSettings, type DsqlConnectionFlags } from './connection-options.js';
import { addWorkersOption } from '../cluster/workers-option.js';
import { addCommonOptions, commonListenerConfig, envOption, processSettings, wrap, type CommonFlags } from '../cli/common-options.js';

export interface DsqlFlags extends CommonFlags, DsqlConnectionFlags {
  host: string;
  region?: string;
  profile?: string;
  tokenTtl: string;
  connectTo?: string;
  upstreamCa?: string;
  connectTimeout: string;
  lifetimeNotice: string;
}

/** DSQL accepts token lifetimes up to one week. */
const MAX_TOKEN_TTL = 604800;

export function dsqlCommand(run: (config: ProxyConfig) => Promise<void>): Command {
  const cmd = new Command('dsql')
    .description('serve PostgreSQL clients in front of an Aurora DSQL cluster, signing a fresh IAM token for each login')
    .addOption(envOption('--host <endpoint>', 'cluster endpoint, e.g. abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'DSQL_HOST').makeOptionMandatory())
    .addOption(envOption('--region <region>', 'AWS region (default: taken from the endpoint name)', 'REGION'))
    .addOption(envOption('--profile <name>', 'AWS shared-config profile for credentials (default: the standard chain)', 'PROFILE'))
    .addOption(envOption('--token-ttl <seconds>', 'lifetime of each signed token', 'TOKEN_TTL', String(DEFAULTS.tokenTtlSeconds)))
    .addOption(
      envOption('--connect-to <addr>', 'dial this HOST:PORT instead; SNI, certificate check and token still use --host', 'CONNECT_TO'),
    )
    .addOption(envOption('--upstream-ca <file>', 'extra PEM CA certificates trusted for the cluster', 'UPSTREAM_CA'))
    .addOption(envOption('--connect-timeout <seconds>', 'time allowed to reach the cluster', 'CONNECT_TIMEOUT', String(DEFAULTS.connectTimeoutSeconds)))
    .addOption(
      envOption(
        '--lifetime-notice <minutes>',
        'send clients a NOTICE this many minutes before DSQL closes the connection at 60 minutes (0: never)',
        'LIFETIME_NOTICE',
        String(DEFAULTS.lifetimeNoticeMinutes),
      ),
    );
  addDsqlConnectionOptions(cmd);
  addWorkersOption(cmd);
  addCommonOptions(cmd);
  cmd.action(async (flags: DsqlFlags) => run(dsqlConfigFromFlags(flags)));
  return cmd;
}

export function dsqlConfigFromFlags(flags: DsqlFlags): ProxyConfig {
  return { ...processSettings(flags), listeners: [dsqlListenerFromFlags(flags)] };
}

export function dsqlListenerFromFlags(flags: DsqlFlags): ListenerConfigOf<'dsql'> {
  const host = flags.host.trim().replace(/\.$/, '');
  const region = flags.region ?? regionFromEndpoint(host);
  if (!region) {
    throw new ConfigError('--region', `cannot tell the region from "${host}"; pass --region (for example --region us-east-1)`);
  }
  return {
    ...commonListenerConfig(flags, 'dsql'),
    mode: 'dsql',
    settings: {
      host,
      region,
      profile: flags.profile,
      tokenTtlSeconds: positiveInt('--token-ttl', flags.tokenTtl, { min: 1, max: MAX_TOKEN_TTL }),
      connectTo: flags.connectTo ? wrap('--connect-to', () => parseHostPort(flags.connectTo!, host, 5432)) : undefined,
      upstreamCaFile: flags.upstreamCa,
      connectTimeoutSeconds: positiveInt('--connect-timeout', flags.connectTimeout),
      lifetimeNoticeMinutes: positiveInt('--lifetime-notice', flags.lifetimeNotice, { min: 0, max: 59 }),
      ...dsqlConnectionSettings(flags),
    },
  };
}
