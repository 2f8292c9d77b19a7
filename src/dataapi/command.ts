// `aurora-pg-proxy data-api`: serve PostgreSQL clients through the RDS Data API of an Aurora
// PostgreSQL cluster.
import { Command } from 'commander';
import { ConfigError, type ListenerConfigOf, type ProxyConfig } from '../config/types.js';
import { nonEmpty, oneOf } from '../config/validate.js';
import { addCommonOptions, commonListenerConfig, envOption, processSettings, type CommonFlags } from '../cli/common-options.js';

export interface DataApiFlags extends CommonFlags {
  resourceArn: string;
  secretArn: string;
  database?: string;
  region?: string;
  endpointUrl?: string;
  profile?: string;
  readinessCheck: string;
  pageInTransactions?: boolean;
}

const ARN = /^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$/;

export function dataApiCommand(run: (config: ProxyConfig) => Promise<void>): Command {
  const cmd = new Command('data-api')
    .description('serve PostgreSQL clients through the RDS Data API of an Aurora PostgreSQL cluster (HTTPS, no database connection)')
    .addOption(envOption('--resource-arn <arn>', 'ARN of the Aurora cluster, arn:aws:rds:REGION:ACCOUNT:cluster:NAME', 'RESOURCE_ARN').makeOptionMandatory())
    .addOption(envOption('--secret-arn <arn>', 'ARN of the Secrets Manager secret with the database credentials', 'SECRET_ARN').makeOptionMandatory())
    .addOption(envOption('--database <name>', 'database to run statements in (default: the secret\'s / cluster\'s default)', 'DATABASE'))
    .addOption(envOption('--region <region>', 'AWS region (default: taken from --resource-arn)', 'REGION'))
    .addOption(envOption('--endpoint-url <url>', 'Data API endpoint, e.g. the local emulator http://127.0.0.1:8080', 'ENDPOINT_URL'))
    .addOption(envOption('--profile <name>', 'AWS shared-config profile for credentials (default: the standard chain)', 'PROFILE'))
    .addOption(
      envOption(
        '--page-in-transactions',
        'read every SELECT inside a client transaction through a cursor, so results over the 1 MiB cap work there too (one or two calls more per SELECT)',
        'PAGE_IN_TRANSACTIONS',
      ),
    )
    .addOption(
      envOption(
        '--readiness-check <kind>',
        'statement (SELECT 1) or endpoint (reach the service without running SQL, so probes never wake a cluster that pauses when idle)',
        'READINESS_CHECK',
        'statement',
      ),
    );
  addCommonOptions(cmd);
  cmd.action(async (flags: DataApiFlags) => run(dataApiConfigFromFlags(flags)));
  return cmd;
}

export function dataApiConfigFromFlags(flags: DataApiFlags): ProxyConfig {
  return { ...processSettings(flags), listeners: [dataApiListenerFromFlags(flags)] };
}

export function dataApiListenerFromFlags(flags: DataApiFlags): ListenerConfigOf<'data-api'> {
  const resourceArn = nonEmpty('--resource-arn', flags.resourceArn);
  const secretArn = nonEmpty('--secret-arn', flags.secretArn);
  const resource = ARN.exec(resourceArn);
  if (!resource || resource[1] !== 'rds') {
    throw new ConfigError('--resource-arn', `expected an Aurora cluster ARN like arn:aws:rds:us-east-1:123456789012:cluster:my-cluster, got "${resourceArn}"`);
  }
  const secret = ARN.exec(secretArn);
  if (!secret || secret[1] !== 'secretsmanager') {
    throw new ConfigError('--secret-arn', `expected a Secrets Manager ARN like arn:aws:secretsmanager:us-east-1:123456789012:secret:name, got "${secretArn}"`);
  }
  const region = flags.region ?? resource[2];
  if (!region) throw new ConfigError('--region', 'cannot tell the region from --resource-arn; pass --region');
  if (flags.endpointUrl && !/^https?:\/\/[^\s]+$/.test(flags.endpointUrl)) {
    throw new ConfigError('--endpoint-url', `expected an http:// or https:// URL, got "${flags.endpointUrl}"`);
  }
  return {
    ...commonListenerConfig(flags, 'data-api'),
    mode: 'data-api',
    settings: {
      resourceArn,
      secretArn,
      database: flags.database,
      region,
      endpointUrl: flags.endpointUrl,
      profile: flags.profile,
      pageInTransactions: Boolean(flags.pageInTransactions),
      readinessCheck: oneOf('--readiness-check', flags.readinessCheck ?? 'statement', ['statement', 'endpoint'] as const),
    },
  };
}
