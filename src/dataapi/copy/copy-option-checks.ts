// Checks both COPY directions make on their options before any data moves (BeginCopyFrom and
// BeginCopyTo in PostgreSQL), plus the limits of the Data API mode.
import type { CopyOptions } from '../sql/statement-types.js';
import { COPY_SQLSTATE, CopyFormatError } from './copy-format-error.js';

export function rejectBinary(options: CopyOptions): void {
  if (options.format === 'binary') {
    throw new CopyFormatError(
      COPY_SQLSTATE.featureNotSupported,
      'COPY BINARY is not supported by aurora-pg-proxy in Data API mode',
    );
  }
}

/** The Data API speaks UTF-8 only; the client side of COPY must too. */
export function checkCopyEncoding(options: CopyOptions): void {
  if (options.encoding !== null && options.encoding !== 'UTF8') {
    throw new CopyFormatError(
      COPY_SQLSTATE.featureNotSupported,
      `COPY with ENCODING '${options.encoding}' is not supported by aurora-pg-proxy in Data API mode`,
    );
  }
}

/**
 * Per-column flags for FORCE_QUOTE / FORCE_NOT_NULL / FORCE_NULL. A named column must be one
 * the COPY reads or writes (the caller has already checked that it exists in the table).
 */
export function columnFlags(
  names: readonly string[] | 'all',
  columnNames: readonly string[],
  optionName: 'FORCE_QUOTE' | 'FORCE_NOT_NULL' | 'FORCE_NULL',
): boolean[] {
  if (names === 'all') return columnNames.map(() => true);
  const flags = columnNames.map(() => false);
  for (const name of names) {
    const index = columnNames.indexOf(name);
    if (index < 0) {
      throw new CopyFormatError(
        COPY_SQLSTATE.invalidColumnReference,
        `${optionName} column "${name}" not referenced by COPY`,
      );
    }
    flags[index] = true;
  }
  return flags;
}
