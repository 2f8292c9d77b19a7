// --warm-connections, --warm-max-age, --reuse-connections and --server-reset-query (dsql and
// rds-iam): defaults, flags, environment variables and configuration-file keys, validated.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dsqlCommand } from '../../../src/dsql/command.js';
import { rdsIamCommand } from '../../../src/rds-iam/command.js';
import { configFromFile } from '../../../src/cli/config-file-command.js';
import type { DsqlSettings } from '../../../src/dsql/config.js';
import { resetClearsPreparedStatements } from '../../../src/iam-relay/connection-reuse.js';
import { warmConnectionOptions } from '../../../src/iam-relay/warm-backend-options.js';
import { DSQL_HOST, RDS_HOST, configFromSubcommand, programDefaults } from './subcommand-config.js';

const ENV_KEYS = ['AURORA_PG_PROXY_WARM_CONNECTIONS', 'AURORA_PG_PROXY_REUSE_CONNECTIONS', 'AURORA_PG_PROXY_SERVER_RESET_QUERY', 'AURORA_PG_PROXY_WARM_MAX_AGE'];

afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
});

describe('warm connection settings', () => {
  it('are off by default; dsql resets with RESET ALL, rds-iam with DISCARD ALL', async () => {
    const d = await configFromSubcommand(dsqlCommand, ['--host', DSQL_HOST]);
    expect(d.listeners[0].settings).toMatchObject({ warmConnections: 0, warmMaxAgeSeconds: 600, reuseConnections: false, serverResetQuery: 'RESET ALL' });
    expect(warmConnectionOptions(d.listeners[0].settings as DsqlSettings)).toBeUndefined();
    const r = await configFromSubcommand(rdsIamCommand, ['--host', RDS_HOST]);
    expect(r.listeners[0].settings).toMatchObject({ warmConnections: 0, reuseConnections: false, serverResetQuery: 'DISCARD ALL' });
  });

  it('take flags and environment variables', async () => {
    process.env.AURORA_PG_PROXY_WARM_CONNECTIONS = '3';
    process.env.AURORA_PG_PROXY_SERVER_RESET_QUERY = 'RESET ALL; DEALLOCATE ALL';
    const cfg = await configFromSubcommand(dsqlCommand, ['--host', DSQL_HOST, '--reuse-connections', '--warm-max-age', '120']);
    const s = cfg.listeners[0].settings as DsqlSettings;
    expect(s).toMatchObject({ warmConnections: 3, warmMaxAgeSeconds: 120, reuseConnections: true, serverResetQuery: 'RESET ALL; DEALLOCATE ALL' });
    expect(warmConnectionOptions(s)).toEqual({ size: 3, maxAgeMs: 120_000, reuse: { resetQuery: 'RESET ALL; DEALLOCATE ALL' } });
  });

  it('refuse reuse without warm connections, an empty reset query, and an age beyond DSQL limits', async () => {
    await expect(configFromSubcommand(dsqlCommand, ['--host', DSQL_HOST, '--reuse-connections'])).rejects.toThrow(/--reuse-connections: needs --warm-connections 1 or more/);
    await expect(configFromSubcommand(rdsIamCommand, ['--host', RDS_HOST, '--warm-connections', '1', '--server-reset-query', ' '])).rejects.toThrow(
      /--server-reset-query: must not be empty/,
    );
    await expect(configFromSubcommand(dsqlCommand, ['--host', DSQL_HOST, '--warm-max-age', '3600'])).rejects.toThrow(/--warm-max-age: expected a whole number from 1 to 1800/);
    await expect(configFromSubcommand(dsqlCommand, ['--host', DSQL_HOST, '--warm-connections', '101'])).rejects.toThrow(/--warm-connections: expected a whole number from 0 to 100/);
  });

  it('are configuration-file keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apgp-warm-'));
    try {
      const file = join(dir, 'proxy.yaml');
      writeFileSync(
        file,
        ['listeners:', '  - mode: rds-iam', `    host: ${RDS_HOST}`, '    warmConnections: 2', '    reuseConnections: true', "    serverResetQuery: 'DISCARD ALL'"].join('\n'),
      );
      const program = programDefaults();
      const cfg = configFromFile(file, program);
      expect(cfg.listeners[0].settings).toMatchObject({ warmConnections: 2, reuseConnections: true, serverResetQuery: 'DISCARD ALL' });
      writeFileSync(file, ['listeners:', '  - mode: dsql', `    host: ${DSQL_HOST}`, '    warmConnections: 1', '    reuseConnections: maybe'].join('\n'));
      expect(() => configFromFile(file, program)).toThrow(/reuseConnections: expected true or false/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('know which reset queries clear prepared statements', () => {
    expect(resetClearsPreparedStatements('DISCARD ALL')).toBe(true);
    expect(resetClearsPreparedStatements('reset all; deallocate all')).toBe(true);
    expect(resetClearsPreparedStatements('RESET ALL')).toBe(false);
    expect(resetClearsPreparedStatements('DISCARD PLANS')).toBe(false);
  });
});
