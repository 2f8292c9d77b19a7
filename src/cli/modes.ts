// The serving modes: each contributes a subcommand and the function that turns its flags into a
// listener. The configuration file reuses both, so a key in the file means what the flag means.
import type { Command } from 'commander';
import type { ListenerConfig, ProxyConfig } from '../config/types.js';
import { dsqlCommand, dsqlConfigFromFlags } from './dsql-command.js';
import { dataApiCommand, dataApiConfigFromFlags } from './data-api-command.js';

export interface ServingMode {
  name: string;
  command(run: (config: ProxyConfig) => Promise<void>): Command;
  listenerFromFlags(flags: Record<string, unknown>): ListenerConfig;
}

export const MODES: ServingMode[] = [
  {
    name: 'dsql',
    command: dsqlCommand,
    listenerFromFlags: (flags) => dsqlConfigFromFlags(flags as never).listeners[0],
  },
  {
    name: 'data-api',
    command: dataApiCommand,
    listenerFromFlags: (flags) => dataApiConfigFromFlags(flags as never).listeners[0],
  },
];
