// --max-connect-rate, --connect-burst (dsql and rds-iam) and --occ-retries (dsql): flag,
// environment variable and configuration-file key, each validated and named when wrong.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dsqlCommand } from '../../../src/dsql/command.js';
import { rdsIamCommand } from '../../../src/rds-iam/command.js';
import { configFromFile } from '../../../src/cli/config-file-command.js';
import { DSQL_HOST, RDS_HOST, configFromSubcommand, programDefaults } from './subcommand-config.js';

const ENV_KEYS = ['AURORA_PG_PROXY_MAX_CONNECT_RATE', 'AURORA_PG_PROXY_CONNECT_BURST', 'AURORA_PG_PROXY_OCC_RETRIES'];

afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
});

describe('dsql connection settings', () => {
  it("defaults to DSQL's documented login rate and 3 OCC retries", async () => {
    const cfg = await configFromSubcommand(dsqlCommand, ['--host', DSQL_HOST]);
    expect(cfg.listeners[0].settings).toMatchObject({ maxConnectRate: 100, connectBurst: 1000, occRetries: 3 });
  });

  it('takes the flags, and the environment when no flag is given', async () => {
    process.env.AURORA_PG_PROXY_MAX_CONNECT_RATE = '7';
    process.env.AURORA_PG_PROXY_OCC_RETRIES = '0';
    const cfg = await configFromSubcommand(dsqlCommand, ['--host', DSQL_HOST, '--connect-burst', '9', '--max-connect-rate', '5']);
    expect(cfg.listeners[0].settings).toMatchObject({ maxConnectRate: 5, connectBurst: 9, occRetries: 0 });
  });

  it('names the flag of a value out of range', async () => {
    await expect(configFromSubcommand(dsqlCommand, ['--host', DSQL_HOST, '--max-connect-rate', '0'])).rejects.toThrow(/--max-connect-rate: expected a whole number from 1/);
    await expect(configFromSubcommand(dsqlCommand, ['--host', DSQL_HOST, '--occ-retries', '21'])).rejects.toThrow(/--occ-retries: expected a whole number from 0 to 20/);
  });
});

describe('rds-iam connection settings', () => {
  it('paces logins (200 per second by default) and has no OCC retries', async () => {
    const cfg = await configFromSubcommand(rdsIamCommand, ['--host', RDS_HOST]);
    expect(cfg.listeners[0].settings).toMatchObject({ maxConnectRate: 200, connectBurst: 200 });
    expect(cfg.listeners[0].settings).not.toHaveProperty('occRetries');
    await expect(configFromSubcommand(rdsIamCommand, ['--host', RDS_HOST, '--occ-retries', '1'])).rejects.toThrow(/unknown option '--occ-retries'/);
  });
});

describe('configuration file keys', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads maxConnectRate, connectBurst and occRetries per listener, and names a bad one', () => {
    dir = mkdtempSync(join(tmpdir(), 'apgp-pacing-'));
    const file = join(dir, 'proxy.yaml');
    writeFileSync(
      file,
      [
        'listeners:',
        '  - name: d',
        '    mode: dsql',
        `    host: ${DSQL_HOST}`,
        '    maxConnectRate: 20',
        '    connectBurst: 40',
        '    occRetries: 1',
        '  - name: r',
        '    mode: rds-iam',
        `    host: ${RDS_HOST}`,
        '    listen: 127.0.0.1:5433',
        '    maxConnectRate: 30',
      ].join('\n'),
    );
    const cfg = configFromFile(file, programDefaults());
    expect(cfg.listeners[0].settings).toMatchObject({ maxConnectRate: 20, connectBurst: 40, occRetries: 1 });
    expect(cfg.listeners[1].settings).toMatchObject({ maxConnectRate: 30, connectBurst: 200 });

    writeFileSync(file, ['listeners:', '  - mode: rds-iam', `    host: ${RDS_HOST}`, '    occRetries: 2'].join('\n'));
    expect(() => configFromFile(file, programDefaults())).toThrow(/listeners\[0\]\.occRetries: unknown setting for mode rds-iam/);
    writeFileSync(file, ['listeners:', '  - mode: dsql', `    host: ${DSQL_HOST}`, '    connectBurst: 0'].join('\n'));
    expect(() => configFromFile(file, programDefaults())).toThrow(/listeners\[0\]\.connectBurst: expected a whole number/);
  });
});
