// Lets the dsql and rds-iam settings tests read the configuration a command line or config file yields without starting a proxy.
import { Command, Option } from 'commander';
import type { dsqlCommand } from '../../../src/dsql/command.js';
import type { ProxyConfig } from '../../../src/config/types.js';

export const DSQL_HOST = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';
export const RDS_HOST = 'orders.cluster-abc123xyz.us-east-1.rds.amazonaws.com';

/** The ProxyConfig the subcommand that `make` builds would run with for `args`; rejects where the command would exit. */
export async function configFromSubcommand(make: typeof dsqlCommand, args: string[]): Promise<ProxyConfig> {
  let got: ProxyConfig | undefined;
  const cmd = make(async (c) => {
    got = c;
  });
  cmd.exitOverride();
  await cmd.parseAsync(args, { from: 'user' });
  return got!;
}

/** The top-level program's process-wide options with their defaults, as `--config` reads them. */
export function programDefaults(): Command {
  return new Command()
    .addOption(new Option('--log-level <level>').default('info'))
    .addOption(new Option('--log-format <format>').default('auto'))
    .addOption(new Option('--max-sigterm-delay <seconds>').default('0'))
    .addOption(new Option('--readiness-cache <seconds>').default('5'));
}
