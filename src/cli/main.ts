// Entry point of the `aurora-pg-proxy` command.
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { ConfigError, type ProxyConfig } from '../config/types.js';
import { createLogger } from '../util/logger.js';
import { MODES } from './modes.js';
import { emulateCommand } from './emulate-command.js';
import { demoCommand } from './demo-command.js';
import { configFromFile } from './config-file-command.js';
import { envOption } from './common-options.js';
import { DEFAULTS } from '../config/types.js';
import { exitOnSignals, startProxy } from './start-proxy.js';
import { serveInCluster } from '../cluster/serve.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

async function serve(config: ProxyConfig): Promise<void> {
  // --workers N: a primary and N worker processes (src/cluster/); 1 is this process alone.
  if (await serveInCluster(config)) return;
  const log = createLogger(config.log);
  const proxy = await startProxy(config, log);
  exitOnSignals(proxy);
}

export function buildProgram(): Command {
  const program = new Command('aurora-pg-proxy')
    .description('PostgreSQL wire-protocol proxy for AWS Aurora: DSQL and RDS/Aurora PostgreSQL with fresh IAM tokens, and the RDS Data API')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    // The process-wide flags below exist on the subcommands too; without this, commander would
    // hand `dsql --log-level debug` to the top-level option and the subcommand would never see it.
    .enablePositionalOptions()
    .addOption(envOption('--config <file>', 'YAML file describing one or more listeners (see config/)', 'CONFIG'))
    .addOption(envOption('--log-level <level>', 'with --config: trace, debug, info, warn, error or silent', 'LOG_LEVEL', 'info'))
    .addOption(envOption('--log-format <format>', 'with --config: auto, json or pretty', 'LOG_FORMAT', 'auto'))
    .addOption(envOption('--metrics-listen [addr]', `with --config: serve /metrics and health on HOST:PORT (default ${DEFAULTS.metricsListen.host}:${DEFAULTS.metricsListen.port})`, 'METRICS_LISTEN'))
    .addOption(envOption('--max-sigterm-delay <seconds>', 'with --config: grace period for sessions on SIGTERM/SIGINT', 'MAX_SIGTERM_DELAY', '0'))
    .addOption(envOption('--readiness-cache <seconds>', 'with --config: how long a /readiness answer is reused', 'READINESS_CACHE', String(DEFAULTS.readinessCacheSeconds)))
    .addOption(envOption('--workers <n>', 'with --config: processes serving clients, N or auto (only when every listener is dsql or rds-iam)', 'WORKERS', '1'))
    .action(async (opts: { config?: string }) => {
      if (!opts.config) {
        program.help();
        return;
      }
      await serve(configFromFile(opts.config, program));
    });
  for (const mode of MODES) program.addCommand(mode.command(serve));
  program.addCommand(emulateCommand());
  program.addCommand(demoCommand());
  return program;
}

/**
 * The AWS SDK warns at start that later versions will need Node 22; on stderr that line would
 * break JSON logs and says nothing an operator must act on today. Other warnings still print.
 */
function quietSdkNodeVersionWarning(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name === 'NodeVersionSupportWarning' || w.message.includes('NodeVersionSupportWarning')) return;
    process.stderr.write(`(node:${process.pid}) ${w.name}: ${w.message}\n`);
  });
}

/**
 * A promise rejected with nobody to handle it is a bug in one session; it must not end every
 * other session by ending the process (Node's default). It is logged for the bug report.
 */
function survivePromiseRejections(): void {
  process.on('unhandledRejection', (reason) => {
    const err = reason instanceof Error ? { message: reason.message, stack: reason.stack } : { message: String(reason) };
    process.stderr.write(JSON.stringify({ level: 50, time: new Date().toISOString(), err, msg: 'unhandled promise rejection (bug in aurora-pg-proxy)' }) + '\n');
  });
}

async function main(): Promise<void> {
  quietSdkNodeVersionWarning();
  survivePromiseRejections();
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
