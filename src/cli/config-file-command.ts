// `aurora-pg-proxy --config FILE`: every listener of the file in one process. Process-wide
// settings come from flags, then AURORA_PG_PROXY_* variables, then the file.
import type { Command } from 'commander';
import { PROCESS_KEYS, readConfigFile, type FlagValues } from '../config/file.js';
import { ConfigError, type ListenerConfig, type ProxyConfig } from '../config/types.js';
import { processSettings, type CommonFlags } from './common-options.js';
import { findMode, modeNames } from './modes.js';

export function configFromFile(path: string, program: Command): ProxyConfig {
  const file = readConfigFile(path);
  const listeners: ListenerConfig[] = [];
  const names = new Set<string>();
  for (const entry of file.listeners) {
    const where = `listeners[${entry.index}]`;
    const mode = findMode(entry.mode);
    if (!mode) throw new ConfigError(`${where}.mode`, `unknown mode "${entry.mode}"; expected one of ${modeNames().join(', ')}`);
    const command = mode.command(async () => {});
    const flags = defaultsOf(command);
    for (const [key, value] of Object.entries(entry.values)) {
      if (!(key in flags) || (PROCESS_KEYS as readonly string[]).includes(key)) {
        const known = Object.keys(flags).filter((k) => !(PROCESS_KEYS as readonly string[]).includes(k));
        throw new ConfigError(`${where}.${key}`, `unknown setting for mode ${mode.name}; known settings: ${known.join(', ')}`);
      }
      flags[key] = value;
    }
    flags.name ??= entry.values.name ?? mode.name;
    let listener: ListenerConfig;
    try {
      listener = mode.listenerFromFlags(flags);
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(`${where}.${flagToKey(e.key)}`, e.message.slice(e.key.length + 2));
      throw e;
    }
    if (names.has(listener.name)) throw new ConfigError(`${where}.name`, `"${listener.name}" is used by another listener; give each a unique name`);
    names.add(listener.name);
    listeners.push(listener);
  }
  const processFlags: FlagValues = { ...file.process };
  for (const key of PROCESS_KEYS) {
    const source = program.getOptionValueSource(key);
    const value = program.getOptionValue(key) as string | boolean | undefined;
    if (source === 'cli' || source === 'env' || (processFlags[key] === undefined && value !== undefined)) processFlags[key] = value;
  }
  try {
    return { ...processSettings(processFlags as unknown as CommonFlags), listeners };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(flagToKey(e.key), e.message.slice(e.key.length + 2));
    throw e;
  }
}

function defaultsOf(command: Command): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const opt of command.options) out[opt.attributeName()] = opt.defaultValue;
  return out;
}

/** `--token-ttl` -> `tokenTtl`. */
function flagToKey(flag: string): string {
  return flag.startsWith('--') ? flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) : flag;
}
