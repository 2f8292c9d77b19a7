// The YAML configuration file, through the real process: one file with a dsql listener (in front
// of the DSQL stand-in) and a data-api listener (in front of the Data API emulator) served at once;
// validation that names the offending key and exits with code 2; and the order of precedence
// flags > AURORA_PG_PROXY_* environment > file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freePort } from '../harness/ports.js';
import { CLI, credentialEnv, isolatedAwsEnv, startProxyProcess, type ProxyProcess } from '../harness/proxy-process.js';
import { DSQL_HOSTNAME, useDsqlStack } from './dsql-fixture.js';
import { RESOURCE_ARN, SECRET_ARN, useDataApiStack } from './dataapi-fixture.js';

const dsql = useDsqlStack();
const dataApi = useDataApiStack();

const dir = mkdtempSync(join(tmpdir(), 'ops-config-'));
const started: ProxyProcess[] = [];
const children: ReturnType<typeof spawn>[] = [];

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
function writeConfig(text: string): string {
  const path = join(dir, `config-${++fileCount}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** The two listener entries of the file, pointed at the test stacks. */
function listenersYaml(dsqlPort: number, dataApiPort: number): string {
  return [
    'listeners:',
    '  - name: orders-dsql',
    '    mode: dsql',
    `    listen: 127.0.0.1:${dsqlPort}`,
    `    host: ${DSQL_HOSTNAME}`,
    `    connectTo: 127.0.0.1:${dsql().standIn.port}`,
    `    upstreamCa: ${dsql().pki.caPath}`,
    '    connectTimeout: 5',
    '  - name: reports-data-api',
    '    mode: data-api',
    `    listen: 127.0.0.1:${dataApiPort}`,
    `    resourceArn: ${RESOURCE_ARN}`,
    `    secretArn: ${SECRET_ARN}`,
    `    endpointUrl: ${dataApi().emulator.url}`,
    '    maxConnections: 5',
  ].join('\n');
}

interface Ran {
  code: number | null;
  output: string;
}

/** Runs the CLI to its exit (bounded), collecting stdout and stderr. */
function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: isolatedAwsEnv({ ...credentialEnv(), ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`aurora-pg-proxy ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Starts the CLI and waits until `port` accepts TCP connections (it may log nothing at all). */
async function startUntilListening(args: string[], env: Record<string, string>, port: number): Promise<{ output: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...isolatedAwsEnv({ ...credentialEnv(), ...env }), AURORA_PG_PROXY_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`proxy exited with ${child.exitCode}:\n${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`proxy did not listen on ${port}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function liveness(port: number): Promise<number | string> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/liveness`)).status;
  } catch (e) {
    return (e as Error).cause ? String((e as { cause: { code?: string } }).cause.code) : 'unreachable';
  }
}

describe('a configuration file with a dsql and a data-api listener', () => {
  it('serves both clusters at once from one process', async () => {
    const dsqlDb = new pg.Client(dsql().db.url);
    const dataDb = new pg.Client(dataApi().directConfig());
    await Promise.all([dsqlDb.connect(), dataDb.connect()]);
    await dsqlDb.query("create table where_am_i (place text); insert into where_am_i values ('behind dsql')");
    await dataDb.query("create table where_am_i (place text); insert into where_am_i values ('behind the data api')");
    await Promise.all([dsqlDb.end(), dataDb.end()]);

    const [dsqlPort, dataApiPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const file = writeConfig([`metricsListen: 127.0.0.1:${metricsPort}`, 'maxSigtermDelay: 2', listenersYaml(dsqlPort, dataApiPort)].join('\n'));
    const proxy = await startProxyProcess(['--config', file], {
      env: isolatedAwsEnv(credentialEnv()),
      readyPattern: new RegExp(`listening on 127\\.0\\.0\\.1:${dataApiPort} `),
    });
    started.push(proxy);
    const listening = proxy.logRecords().filter((r) => r.msg && String(r.msg).startsWith('listening on'));
    expect(listening.map((r) => [r.listener, r.mode, r.address])).toEqual([
      ['orders-dsql', 'dsql', `127.0.0.1:${dsqlPort}`],
      ['reports-data-api', 'data-api', `127.0.0.1:${dataApiPort}`],
    ]);

    const viaDsql = new pg.Client({ host: '127.0.0.1', port: dsqlPort, user: 'admin', database: 'postgres' });
    const viaDataApi = new pg.Client({ host: '127.0.0.1', port: dataApiPort, user: 'postgres', database: 'postgres' });
    await Promise.all([viaDsql.connect(), viaDataApi.connect()]);
    try {
      // Both sessions open at the same time, each reaching its own cluster.
      const [a, b] = await Promise.all([
        viaDsql.query('select place, $1::int as n from where_am_i', [1]),
        viaDataApi.query('select place, $1::int as n from where_am_i', [2]),
      ]);
      expect(a.rows).toEqual([{ place: 'behind dsql', n: 1 }]);
      expect(b.rows).toEqual([{ place: 'behind the data api', n: 2 }]);
      const [va, vb] = await Promise.all([viaDsql.query('select current_user as u'), viaDataApi.query('select 1 as one')]);
      expect(va.rows).toEqual([{ u: 'postgres' }]); // the stand-in maps DSQL's admin to postgres
      expect(vb.rows).toEqual([{ one: 1 }]);
    } finally {
      await Promise.all([viaDsql.end(), viaDataApi.end()]);
    }

    // One metrics server covers both listeners, and readiness checks both upstreams.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('aurora_pg_proxy_client_connections_open{listener="orders-dsql",mode="dsql"}');
    expect(metrics).toContain('aurora_pg_proxy_client_connections_open{listener="reports-data-api",mode="data-api"}');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/readiness`)).status).toBe(200);

    await proxy.waitForLog(/"listener":"reports-data-api".*"connection closed"/);
    expect(await proxy.stop()).toBe(0);
  });
});

describe('configuration file validation', () => {
  const base = () => listenersYaml(5433, 5434);

  async function refused(yaml: string, extraArgs: string[] = []): Promise<string> {
    const ran = await runCli(['--config', writeConfig(yaml), ...extraArgs]);
    expect(ran.code, ran.output).toBe(2);
    expect(ran.output).toMatch(/^aurora-pg-proxy: invalid setting /);
    expect(ran.output.trim().split('\n')).toHaveLength(1);
    return ran.output;
  }

  it('names an unknown key of a listener and lists the known ones', async () => {
    const out = await refused(base().replace('    maxConnections: 5', '    maxConections: 5'));
    expect(out).toContain('listeners[1].maxConections');
    expect(out).toContain('unknown setting for mode data-api');
    expect(out).toContain('maxConnections');
  });

  it('names an unknown top-level key', async () => {
    const out = await refused(`logLevle: debug\n${base()}`);
    expect(out).toContain('logLevle');
    expect(out).toContain('unknown top-level setting');
  });

  it('names a key with a bad value and says what is expected', async () => {
    const tooMany = await refused(base().replace('    maxConnections: 5', '    maxConnections: lots'));
    expect(tooMany).toContain('listeners[1].maxConnections');
    expect(tooMany).toContain('"lots"');
    const level = await refused(`logLevel: loud\n${base()}`);
    expect(level).toContain('logLevel');
    expect(level).toContain('expected one of');
    const listen = await refused(base().replace('listen: 127.0.0.1:5433', 'listen: 127.0.0.1:99999'));
    expect(listen).toContain('listeners[0].listen');
    const arn = await refused(base().replace(`resourceArn: ${RESOURCE_ARN}`, 'resourceArn: not-an-arn'));
    expect(arn).toContain('listeners[1].resourceArn');
  });

  it('names a duplicate listener name', async () => {
    const out = await refused(base().replace('name: reports-data-api', 'name: orders-dsql'));
    expect(out).toContain('listeners[1].name');
    expect(out).toContain('"orders-dsql"');
  });

  it('names an unknown mode, a missing mode and a missing required key', async () => {
    expect(await refused(base().replace('mode: data-api', 'mode: mysql'))).toContain('listeners[1].mode');
    expect(await refused(base().replace('    mode: data-api\n', ''))).toContain('listeners[1].mode');
    expect(await refused(base().replace(`    secretArn: ${SECRET_ARN}\n`, ''))).toContain('listeners[1].secretArn');
    expect(await refused('logLevel: info\n')).toContain('listeners');
  });

  it('refuses a file that is not there or not YAML', async () => {
    const missing = await runCli(['--config', join(dir, 'no-such-file.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('--config');
    const broken = await runCli(['--config', writeConfig('listeners: [ {name: a')]);
    expect(broken.code).toBe(2);
    expect(broken.output).toContain('not valid YAML');
  });
});

describe('precedence: flags over environment over file', () => {
  it('takes logLevel and metricsListen from the file, then the environment, then the flags', async () => {
    const [dsqlPort, dataApiPort, fileMetrics, envMetrics, flagMetrics] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const file = writeConfig([`logLevel: warn`, `metricsListen: 127.0.0.1:${fileMetrics}`, listenersYaml(dsqlPort, dataApiPort)].join('\n'));

    // File only: warn hides the info lines; metrics where the file says.
    const fromFile = await startUntilListening(['--config', file], {}, dataApiPort);
    expect(await liveness(fileMetrics)).toBe(200);
    expect(fromFile.output()).not.toContain('listening on');
    expect(await fromFile.stop()).toBe(0);

    // The environment beats the file.
    const env = { AURORA_PG_PROXY_LOG_LEVEL: 'info', AURORA_PG_PROXY_METRICS_LISTEN: `127.0.0.1:${envMetrics}` };
    const fromEnv = await startUntilListening(['--config', file], env, dataApiPort);
    expect(await liveness(envMetrics)).toBe(200);
    expect(await liveness(fileMetrics)).toBe('ECONNREFUSED');
    expect(fromEnv.output()).toContain('listening on');
    expect(await fromEnv.stop()).toBe(0);

    // Flags beat the environment.
    const fromFlags = await startUntilListening(
      ['--config', file, '--log-level', 'warn', '--metrics-listen', `127.0.0.1:${flagMetrics}`],
      env,
      dataApiPort,
    );
    expect(await liveness(flagMetrics)).toBe(200);
    expect(await liveness(envMetrics)).toBe('ECONNREFUSED');
    expect(fromFlags.output()).not.toContain('listening on');
    expect(await fromFlags.stop()).toBe(0);
  });

  it('applies the same order to a subcommand: a flag beats its environment variable', async () => {
    const port = await freePort();
    const metrics = await freePort();
    const p = await dataApi().startProxy(['--listen', `127.0.0.1:${port}`, '--metrics-listen', `127.0.0.1:${metrics}`, '--log-level', 'info'], {
      AURORA_PG_PROXY_LOG_LEVEL: 'error',
      AURORA_PG_PROXY_MAX_CONNECTIONS: 'not-a-number-but-overridden',
    }).catch((e: Error) => e);
    // AURORA_PG_PROXY_MAX_CONNECTIONS is read (no flag given), so the bad value is refused by name.
    expect(p).toBeInstanceOf(Error);
    expect((p as Error).message).toContain('--max-connections');

    const ok = await dataApi().startProxy(['--listen', `127.0.0.1:${port}`, '--metrics-listen', `127.0.0.1:${metrics}`, '--log-level', 'info'], {
      AURORA_PG_PROXY_LOG_LEVEL: 'error',
      AURORA_PG_PROXY_METRICS_LISTEN: '127.0.0.1:1',
    });
    expect(ok.output()).toContain('listening on');
    expect(await liveness(metrics)).toBe(200);
  });
});
