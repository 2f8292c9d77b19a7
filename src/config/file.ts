// Reads the YAML configuration file. Its keys are the command-line flags in camelCase, so that
// one vocabulary serves flags, environment and file:
//
//   logLevel: info
//   metricsListen: 127.0.0.1:9090
//   maxSigtermDelay: 30
//   listeners:
//     - name: analytics
//       mode: dsql
//       listen: 127.0.0.1:5432
//       host: abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws
//
// Each listener entry is validated by the same code as its subcommand's flags; errors name the
// entry and key.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from './types.js';

export type FlagValues = Record<string, string | boolean | undefined>;

export interface RawConfigFile {
  /** Process-wide settings (logLevel, logFormat, metricsListen, maxSigtermDelay, readinessCache, workers). */
  process: FlagValues;
  listeners: { index: number; mode: string; values: FlagValues }[];
}

export const PROCESS_KEYS = ['logLevel', 'logFormat', 'metricsListen', 'maxSigtermDelay', 'readinessCache', 'workers'] as const;

export function readConfigFile(path: string): RawConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('--config', `cannot read ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ConfigError(path, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isRecord(doc)) throw new ConfigError(path, 'expected a mapping with a `listeners` list');
  const processValues: FlagValues = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'listeners') continue;
    if (!(PROCESS_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(key, `unknown top-level setting; expected listeners, ${PROCESS_KEYS.join(', ')}`);
    }
    processValues[key] = scalar(key, value);
  }
  const list = doc.listeners;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError('listeners', 'expected a list of at least one listener');
  const listeners = list.map((entry, index) => {
    const where = `listeners[${index}]`;
    if (!isRecord(entry)) throw new ConfigError(where, 'expected a mapping');
    const mode = entry.mode;
    if (typeof mode !== 'string') throw new ConfigError(`${where}.mode`, 'is required (the name of a mode, as its subcommand: dsql, rds-iam, data-api)');
    const values: FlagValues = {};
    for (const [key, value] of Object.entries(entry)) {
      if (key !== 'mode') values[key] = scalar(`${where}.${key}`, value);
    }
    return { index, mode, values };
  });
  return { process: processValues, listeners };
}

function scalar(key: string, value: unknown): string | boolean | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new ConfigError(key, `expected a single value, got ${Array.isArray(value) ? 'a list' : 'a mapping'}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
