// Entry point of the `aurora-pg-proxy` command.
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { ConfigError, type ProxyConfig } from '../config/types.js';
import { createLogger } from '../util/logger.js';
import { dsqlCommand } from './dsql-command.js';
import { exitOnSignals, startProxy } from './start-proxy.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

async function serve(config: ProxyConfig): Promise<void> {
  const log = createLogger(config.log);
  const proxy = await startProxy(config, log);
  exitOnSignals(proxy);
}

export function buildProgram(): Command {
  const program = new Command('aurora-pg-proxy')
    .description('PostgreSQL wire-protocol proxy for AWS Aurora: DSQL with fresh IAM tokens, and the RDS Data API')
    .version(version)
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(dsqlCommand(serve));
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof ConfigError) {
      process.stderr.write(`aurora-pg-proxy: invalid setting ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`aurora-pg-proxy: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

void main();
