// --relay-engine of the IAM relay modes (dsql, rds-iam): which relay moves a session's bytes once
// it is logged in; --relay-io: how the native one asks the kernel. Also AURORA_PG_PROXY_RELAY_ENGINE
// and AURORA_PG_PROXY_RELAY_IO, and the configuration keys relayEngine and relayIo.
import type { Command } from 'commander';
import { ConfigError } from '../config/types.js';
import { envOption } from '../cli/common-options.js';

/**
 * auto: the native relay for clients on plain TCP or on TLS after SSLRequest when the addon is
 * built, the JavaScript relay otherwise (and for direct TLS clients);
 * native: the same, but the proxy refuses to start without the addon; node: always the
 * JavaScript relay.
 */
export type RelayEngine = 'auto' | 'native' | 'node';
const ENGINES: readonly RelayEngine[] = ['auto', 'native', 'node'];

/**
 * How the native relay moves bytes: io_uring (receives and sends submitted to one ring per event
 * loop, all of a turn's in one system call; refuses to start where the kernel or a seccomp profile
 * refuses io_uring), epoll (a readiness wait, then a recv or send of its own), or auto (io_uring
 * where the kernel allows it).
 */
export type RelayIo = 'auto' | 'io_uring' | 'epoll';
const IO_MODES: readonly RelayIo[] = ['auto', 'io_uring', 'epoll'];

export interface RelayEngineFlags {
  relayEngine: string;
  relayIo: string;
}

export function addRelayEngineOption(cmd: Command): Command {
  addRelayIoOption(cmd);
  return cmd.addOption(
    envOption(
      '--relay-engine <engine>',
      'what relays a logged-in session: native (C on the event loop; clients on plain TCP or TLS after SSLRequest), node (JavaScript), or auto (native where it can)',
      'RELAY_ENGINE',
      'auto',
    ),
  );
}

export function addRelayIoOption(cmd: Command): Command {
  return cmd.addOption(
    envOption(
      '--relay-io <how>',
      "how the native relay moves bytes: io_uring (one system call per turn of the event loop), epoll (one per receive and send), or auto (io_uring where the kernel allows it)",
      'RELAY_IO',
      'auto',
    ),
  );
}

export function relayIoSetting(flags: RelayEngineFlags): RelayIo {
  const value = flags.relayIo ?? 'auto';
  if (!(IO_MODES as readonly string[]).includes(value)) throw new ConfigError('--relay-io', `must be one of ${IO_MODES.join(', ')} (got "${value}")`);
  return value as RelayIo;
}

export function relayEngineSetting(flags: RelayEngineFlags): RelayEngine {
  const value = flags.relayEngine ?? 'auto';
  if (!(ENGINES as readonly string[]).includes(value)) throw new ConfigError('--relay-engine', `must be one of ${ENGINES.join(', ')} (got "${value}")`);
  return value as RelayEngine;
}
