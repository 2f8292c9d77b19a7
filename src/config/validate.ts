// Small validators that name the offending key; shared by flags, environment and file loading.
import { ConfigError } from './types.js';

export function positiveInt(key: string, value: unknown, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(key, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ConfigError(key, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export function nonEmpty(key: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(key, 'is required');
  return value.trim();
}
