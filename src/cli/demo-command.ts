// `aurora-pg-proxy demo`: see src/demo/demo.ts.
import { Command } from 'commander';
import { parseHostPort } from '../server/addresses.js';
import { createLogger } from '../util/logger.js';
import { DEMO_MODES, startDemo } from '../demo/demo.js';
import { exitOnSignals } from './start-proxy.js';
import { envOption, wrap } from './common-options.js';
import { DEFAULTS } from '../config/types.js';
import { oneOf } from '../config/validate.js';

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'try it with no AWS account: an embedded PostgreSQL behind a local stand-in of the service (the Data API emulator by default), and the proxy in that mode in front',
    )
    .addOption(envOption('--mode <mode>', `the mode to show: ${DEMO_MODES.join(', ')}`, 'DEMO_MODE', 'data-api'))
    .addOption(envOption('--listen <addr>', 'address for psql; without it 127.0.0.1:5432 or the next free port', 'DEMO_LISTEN'))
    .addOption(envOption('--metrics-listen [addr]', 'also serve /metrics and health on HOST:PORT', 'METRICS_LISTEN'))
    .action(async (flags: { listen?: string; metricsListen?: string | boolean; mode: string }) => {
      const mode = oneOf('--mode', flags.mode, DEMO_MODES);
      const log = createLogger({ level: 'info', format: 'auto' });
      const listen = flags.listen ? wrap('--listen', () => parseHostPort(flags.listen!, '127.0.0.1', 5432)) : { host: '127.0.0.1', port: 5432 };
      const metrics =
        flags.metricsListen === undefined || flags.metricsListen === false
          ? undefined
          : flags.metricsListen === true
            ? DEFAULTS.metricsListen
            : wrap('--metrics-listen', () => parseHostPort(String(flags.metricsListen), DEFAULTS.metricsListen.host, DEFAULTS.metricsListen.port));
      const demo = await startDemo({ host: listen.host, port: listen.port, exactPort: Boolean(flags.listen), metrics, mode }, log);
      process.stdout.write(
        `\naurora-pg-proxy demo (${mode} mode) is ready: ${demo.description}.\n` +
          `Connect with:\n\n    ${demo.psqlCommand}\n\n` +
          `Try: \\dt   SELECT * FROM order_totals;   Stop with Ctrl-C.\n\n`,
      );
      exitOnSignals(demo.proxy, () => demo.stop());
    });
}
