// `aurora-pg-proxy emulate-data-api`: a local RDS Data API over a real PostgreSQL, for tests,
// the demo, and application developers who want the Data API's behaviour without AWS.
import { Command } from 'commander';
import { parseHostPort } from '../server/addresses.js';
import { positiveInt } from '../config/validate.js';
import { startEmulator } from '../emulator/index.js';
import { createLogger } from '../util/logger.js';
import { envOption, wrap } from './common-options.js';

interface EmulateFlags {
  postgres: string;
  listen: string;
  verifySigv4?: boolean;
  region?: string;
  transactionTimeout: string;
  statementTimeout: string;
  logLevel: string;
}

export function emulateCommand(): Command {
  return new Command('emulate-data-api')
    .description('run a local RDS Data API (rest-json, the live service\'s behaviour and limits) over a PostgreSQL database')
    .addOption(envOption('--postgres <url>', 'PostgreSQL connection string, e.g. postgres://user:pass@127.0.0.1:5432/db', 'EMULATOR_POSTGRES').makeOptionMandatory())
    .addOption(envOption('--listen <addr>', 'HOST:PORT to serve the Data API on', 'EMULATOR_LISTEN', '127.0.0.1:8080'))
    .addOption(envOption('--verify-sigv4', 'require requests signed (SigV4, service rds-data) with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY', 'EMULATOR_VERIFY_SIGV4'))
    .addOption(envOption('--region <region>', 'with --verify-sigv4: the region signatures must name', 'REGION'))
    .addOption(envOption('--transaction-timeout <seconds>', 'idle time after which a transaction is rolled back', 'EMULATOR_TRANSACTION_TIMEOUT', '180'))
    .addOption(envOption('--statement-timeout <seconds>', 'time after which a call fails with StatementTimeoutException', 'EMULATOR_STATEMENT_TIMEOUT', '45'))
    .addOption(envOption('--log-level <level>', 'trace, debug, info, warn, error or silent', 'LOG_LEVEL', 'info'))
    .action(async (flags: EmulateFlags) => {
      const listen = wrap('--listen', () => parseHostPort(flags.listen, '127.0.0.1', 8080));
      const log = createLogger({ level: flags.logLevel as 'info' });
      let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
      if (flags.verifySigv4) {
        const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
        const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
        if (!accessKeyId || !secretAccessKey) throw new Error('--verify-sigv4 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment');
        credentials = { accessKeyId, secretAccessKey };
      }
      const emulator = await startEmulator({
        postgresUrl: flags.postgres,
        host: listen.host,
        port: listen.port,
        credentials,
        region: flags.region,
        transactionIdleTimeoutMs: positiveInt('--transaction-timeout', flags.transactionTimeout) * 1000,
        statementTimeoutMs: positiveInt('--statement-timeout', flags.statementTimeout) * 1000,
        logger: log,
      });
      const stop = () => {
        void emulator.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
