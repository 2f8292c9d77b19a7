// Flags every serving subcommand shares (client side of the proxy, logging, lifecycle), and
// their translation into the validated listener settings.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { isLoopbackHost, parseHostPort } from '../server/addresses.js';
import { ConfigError, DEFAULTS, type CommonListenerConfig, type ProxyConfig } from '../config/types.js';
import { oneOf, positiveInt } from '../config/validate.js';
import { parseWorkerCount } from '../cluster/worker-count.js';

export interface CommonFlags {
  listen: string;
  name?: string;
  clientAuth?: string;
  clientPasswordFile?: string;
  allowUnauthenticatedRemote?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  requireTls?: boolean;
  maxConnections: string;
  startupTimeout: string;
  maxMessageSize: string;
  idleTimeout: string;
  logLevel: string;
  logFormat: string;
  maxSigtermDelay: string;
  metricsListen?: string | boolean;
  readinessCache?: string;
  /** Only the IAM relay modes (and --config) have --workers (src/cluster/workers-option.ts). */
  workers?: string;
}

export const ENV_PREFIX = 'AURORA_PG_PROXY_';

/** A flag whose default comes from AURORA_PG_PROXY_<NAME> when set. */
export function envOption(flags: string, description: string, envName: string, fallback?: string): Option {
  const opt = new Option(flags, description).env(ENV_PREFIX + envName);
  if (fallback !== undefined) opt.default(fallback);
  return opt;
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(envOption('--listen <addr>', 'address clients connect to, HOST:PORT', 'LISTEN', `${DEFAULTS.listen.host}:${DEFAULTS.listen.port}`))
    .addOption(envOption('--name <name>', 'listener name used in logs and metrics', 'NAME'))
    .addOption(
      envOption('--client-auth <method>', 'client authentication: trust, scram-sha-256 or password (cleartext, for TLS clients)', 'CLIENT_AUTH'),
    )
    .addOption(
      envOption(
        '--client-password-file <file>',
        'file holding the password clients must give; the password may also come from AURORA_PG_PROXY_CLIENT_PASSWORD',
        'CLIENT_PASSWORD_FILE',
      ),
    )
    .addOption(
      envOption('--allow-unauthenticated-remote', 'serve clients without a password on a non-loopback address (dangerous)', 'ALLOW_UNAUTHENTICATED_REMOTE'),
    )
    .addOption(envOption('--tls-cert <file>', 'PEM certificate shown to clients (default: a self-signed one made at start)', 'TLS_CERT'))
    .addOption(envOption('--tls-key <file>', 'PEM private key of --tls-cert', 'TLS_KEY'))
    .addOption(envOption('--require-tls', 'refuse clients that do not use TLS', 'REQUIRE_TLS'))
    .addOption(envOption('--max-connections <n>', 'most client connections at once', 'MAX_CONNECTIONS', String(DEFAULTS.maxConnections)))
    .addOption(
      envOption('--startup-timeout <seconds>', 'time a client has to finish startup and authentication', 'STARTUP_TIMEOUT', String(DEFAULTS.startupTimeoutSeconds)),
    )
    .addOption(
      envOption('--max-message-size <bytes>', 'largest protocol message accepted from a client', 'MAX_MESSAGE_SIZE', String(DEFAULTS.maxMessageBytes)),
    )
    .addOption(envOption('--idle-timeout <seconds>', 'end client sessions with no traffic either way for this long (0: never)', 'IDLE_TIMEOUT', '0'))
    .addOption(envOption('--log-level <level>', 'trace, debug, info, warn, error or silent', 'LOG_LEVEL', 'info'))
    .addOption(envOption('--log-format <format>', 'auto (text on a terminal, else JSON), json or pretty', 'LOG_FORMAT', 'auto'))
    .addOption(
      envOption(
        '--metrics-listen [addr]',
        `serve /metrics, /startup, /liveness and /readiness on HOST:PORT (default ${DEFAULTS.metricsListen.host}:${DEFAULTS.metricsListen.port})`,
        'METRICS_LISTEN',
      ),
    )
    .addOption(
      envOption(
        '--readiness-cache <seconds>',
        'how long a /readiness answer is reused before the upstream is checked again',
        'READINESS_CACHE',
        String(DEFAULTS.readinessCacheSeconds),
      ),
    )
    .addOption(
      envOption(
        '--max-sigterm-delay <seconds>',
        'on SIGTERM/SIGINT, how long running sessions may go on before they are ended',
        'MAX_SIGTERM_DELAY',
        String(DEFAULTS.maxSigtermDelaySeconds),
      ),
    );
}

export function commonListenerConfig(flags: CommonFlags, defaultName: string): CommonListenerConfig {
  const listen = wrap('--listen', () => parseHostPort(flags.listen, DEFAULTS.listen.host, DEFAULTS.listen.port));
  const password = readClientPassword(flags.clientPasswordFile);
  const method = flags.clientAuth
    ? oneOf('--client-auth', flags.clientAuth, ['trust', 'scram-sha-256', 'password'] as const)
    : password
      ? 'scram-sha-256'
      : 'trust';
  if (method === 'trust' && !isLoopbackHost(listen.host) && !flags.allowUnauthenticatedRemote) {
    throw new ConfigError(
      '--listen',
      `${listen.host} is reachable from other machines, so clients must give a password: set AURORA_PG_PROXY_CLIENT_PASSWORD or --client-password-file (or, knowingly, --allow-unauthenticated-remote)`,
    );
  }
  if (method !== 'trust' && !password) {
    throw new ConfigError('--client-auth', `${method} needs a password: set AURORA_PG_PROXY_CLIENT_PASSWORD or --client-password-file`);
  }
  return {
    name: flags.name ?? defaultName,
    listen,
    clientAuth: { method, password: method === 'trust' ? undefined : password },
    allowUnauthenticatedRemote: Boolean(flags.allowUnauthenticatedRemote),
    tls: { certFile: flags.tlsCert, keyFile: flags.tlsKey, require: Boolean(flags.requireTls) },
    maxConnections: positiveInt('--max-connections', flags.maxConnections),
    startupTimeoutSeconds: positiveInt('--startup-timeout', flags.startupTimeout),
    maxMessageBytes: positiveInt('--max-message-size', flags.maxMessageSize, { min: 1024, max: 1024 ** 3 }),
    idleTimeoutSeconds: positiveInt('--idle-timeout', flags.idleTimeout ?? '0', { min: 0 }),
  };
}

export function processSettings(flags: CommonFlags): Omit<ProxyConfig, 'listeners'> {
  return {
    log: {
      level: oneOf('--log-level', flags.logLevel, ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const),
      format: oneOf('--log-format', flags.logFormat, ['auto', 'json', 'pretty'] as const),
    },
    shutdown: { maxSigtermDelaySeconds: positiveInt('--max-sigterm-delay', flags.maxSigtermDelay, { min: 0 }) },
    metrics: metricsAddress(flags.metricsListen),
    readinessCacheSeconds: positiveInt('--readiness-cache', flags.readinessCache ?? String(DEFAULTS.readinessCacheSeconds), { min: 0, max: 3600 }),
    ...(flags.workers !== undefined ? { workers: parseWorkerCount(flags.workers) } : {}),
  };
}

function metricsAddress(value: string | boolean | undefined): ProxyConfig['metrics'] {
  if (value === undefined || value === false || value === 'false' || value === '') return undefined;
  const { host, port } = DEFAULTS.metricsListen;
  if (value === true || value === 'true') return { host, port };
  return wrap('--metrics-listen', () => parseHostPort(value, host, port));
}

function readClientPassword(file?: string): string | undefined {
  if (file) {
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new ConfigError('--client-password-file', `cannot read ${file}: ${(e as Error).message}`);
    }
  }
  const fromEnv = process.env[ENV_PREFIX + 'CLIENT_PASSWORD'];
  return fromEnv && fromEnv.length > 0 ? fromEnv : undefined;
}

export function wrap<T>(key: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(key, (e as Error).message);
  }
}
