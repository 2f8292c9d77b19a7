// Runs the real `aurora-pg-proxy` command (the compiled CLI, as users run it) in a child
// process, waits until it listens, and keeps its log for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import type { RelayIo } from '../../src/iam-relay/engine-option.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO_ROOT, 'bin', 'aurora-pg-proxy.js');

/** Test AWS credentials the DSQL stand-in and the emulator trust. */
export const TEST_CREDENTIALS = {
  accessKeyId: 'AKIDAURORAPGPROXYTEST',
  secretAccessKey: 'aurora-pg-proxy/test/secret/key/0123456789',
};

/**
 * An environment with no ambient AWS configuration: no shared config or credential files, no
 * instance-metadata lookups (they would leave this machine), plus the given variables.
 */
export function isolatedAwsEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('AWS_') && !k.startsWith('AURORA_PG_PROXY_')) env[k] = v;
  }
  env.AWS_EC2_METADATA_DISABLED = 'true';
  env.AWS_CONFIG_FILE = '/nonexistent/aurora-pg-proxy-test/config';
  env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aurora-pg-proxy-test/credentials';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * APGP_RELAY_IO (auto, io_uring, epoll) sets --relay-io for every proxy the tests start, in a
 * child process or in this one, unless a test passes its own: CI runs the relay suites once more
 * with epoll, since auto takes io_uring wherever the kernel allows it.
 */
export function testRelayIo(): RelayIo | undefined {
  const io = process.env.APGP_RELAY_IO;
  return io === 'auto' || io === 'io_uring' || io === 'epoll' ? io : undefined;
}

export function credentialEnv(creds = TEST_CREDENTIALS): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey };
}

export interface ProxyProcess {
  host: string;
  port: number;
  child: ChildProcess;
  /** Everything the proxy logged so far (stderr and stdout). */
  output(): string;
  /** Log lines parsed as JSON (non-JSON lines skipped). */
  logRecords(): Record<string, unknown>[];
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

type StartOptions = Parameters<typeof startProxyProcessOnce>[1];

/**
 * Starts the proxy; when the harness picked its port, a port another test took between
 * freePort() and the proxy's bind (EADDRINUSE) is replaced by a new one, up to three times.
 */
export async function startProxyProcess(args: string[], opts: StartOptions = {}): Promise<ProxyProcess> {
  const harnessPort = opts.port === undefined && !args.includes('--listen') && !args.includes('--config');
  for (let attempt = 1; ; attempt++) {
    try {
      return await startProxyProcessOnce(args, opts);
    } catch (err) {
      if (!harnessPort || attempt >= 3 || !/EADDRINUSE/.test(err instanceof Error ? err.message : '')) throw err;
    }
  }
}

function relayIoEnv(): Record<string, string> {
  const io = testRelayIo();
  return io ? { AURORA_PG_PROXY_RELAY_IO: io } : {};
}

async function startProxyProcessOnce(
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    port?: number;
    readyPattern?: RegExp;
    readyTimeoutMs?: number;
    /** Another build's bin/aurora-pg-proxy.js (benchmarks). */
    cli?: string;
    /** A command the proxy runs under, with its arguments (setpriv, to drop a capability). */
    launcher?: string[];
  } = {},
): Promise<ProxyProcess> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  }
  const port = opts.port ?? (await freePort());
  const hasListen = args.includes('--listen') || args.includes('--config');
  const fullArgs = hasListen ? args : [...args, '--listen', `127.0.0.1:${port}`];
  const [command, ...commandArgs] = [...(opts.launcher ?? []), process.execPath, opts.cli ?? CLI, ...fullArgs];
  const child = spawn(command!, commandArgs, {
    env: { ...relayIoEnv(), ...(opts.env ?? isolatedAwsEnv()), AURORA_PG_PROXY_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const w of waiters.splice(0)) w();
  });

  const waitForLog = async (pattern: RegExp, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out)) {
      if (hasExited) throw new Error(`proxy exited before logging ${pattern}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`proxy did not log ${pattern} within ${timeoutMs} ms:\n${out}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  try {
    await waitForLog(opts.readyPattern ?? /listening on/, opts.readyTimeoutMs);
  } catch (err) {
    // A proxy that never became ready is nobody's to stop: stop it here rather than leak it.
    if (!hasExited) child.kill('SIGKILL');
    throw err;
  }

  return {
    host: '127.0.0.1',
    port,
    child,
    output: () => out,
    logRecords: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    waitForLog,
    exited,
    async stop(signal = 'SIGTERM') {
      if (!hasExited) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
