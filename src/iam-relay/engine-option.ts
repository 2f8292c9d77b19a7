// --relay-engine of the IAM relay modes (dsql, rds-iam): which relay moves a session's bytes once
// it is logged in. Also AURORA_PG_PROXY_RELAY_ENGINE and the configuration key relayEngine.
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

export interface RelayEngineFlags {
  relayEngine: string;
}

export function addRelayEngineOption(cmd: Command): Command {
  return cmd.addOption(
    envOption(
      '--relay-engine <engine>',
      'what relays a logged-in session: native (C on the event loop; clients on plain TCP or TLS after SSLRequest), node (JavaScript), or auto (native where it can)',
      'RELAY_ENGINE',
      'auto',
    ),
  );
}

export function relayEngineSetting(flags: RelayEngineFlags): RelayEngine {
  const value = flags.relayEngine ?? 'auto';
  if (!(ENGINES as readonly string[]).includes(value)) throw new ConfigError('--relay-engine', `must be one of ${ENGINES.join(', ')} (got "${value}")`);
  return value as RelayEngine;
}
