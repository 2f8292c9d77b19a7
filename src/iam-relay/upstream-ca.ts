// Reads the --upstream-ca file of an IAM relay listener at start, naming the key when it cannot.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config/types.js';

export async function readUpstreamCa(listener: string, mode: string, file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  return readFile(file, 'utf8').catch((e: Error) => {
    throw new ConfigError(`listeners.${listener}.${mode}.upstreamCa`, `cannot read ${file}: ${e.message}`);
  });
}
