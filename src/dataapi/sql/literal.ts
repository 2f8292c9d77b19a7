// Quoting helpers that produce SQL text PostgreSQL reads back as exactly the given value.

import { keywordCategory } from './keywords.js';

/** PostgreSQL text cannot hold U+0000; the server rejects it with this error. */
export class NulCharacterError extends Error {
  readonly sqlState = '22021';
  constructor() {
    super('invalid byte sequence for encoding "UTF8": 0x00');
    this.name = 'NulCharacterError';
  }
}

/**
 * A string literal for `value`. With standard_conforming_strings on, `'…'` with doubled quotes
 * is exact. When the value holds a backslash we write `E'…'` with doubled backslashes instead:
 * that reads the same whatever standard_conforming_strings is, and a scanner that (wrongly)
 * treats `\'` as an escaped quote still finds the right end of the literal.
 * Throws NulCharacterError for a value containing U+0000.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new NulCharacterError();
  return quoteLiteralUnchecked(value);
}

/** quoteLiteral without the NUL check, for text that came out of SQL source. */
export function quoteLiteralUnchecked(value: string): string {
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

/** True when quote_identifier() would leave `name` bare. */
export function isSafeIdentifier(name: string): boolean {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) return false;
  return keywordCategory(name) === 'unreserved';
}

/** PostgreSQL's quote_identifier(): double-quotes `name` only when it has to. */
export function quoteIdentifier(name: string): string {
  return isSafeIdentifier(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
