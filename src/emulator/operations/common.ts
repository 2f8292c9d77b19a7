// Checks shared by the statement operations.

import { unsupportedResult, validationError, type ApiError } from '../errors.js';
import { countStatements } from '../statements.js';

export function rejectSchema(schema: unknown): void {
  if (schema !== undefined && schema !== null) throw validationError("The schema parameter isn't supported");
}

export function rejectMultipleStatements(sql: string): void {
  if (countStatements(sql) > 1) throw validationError("Multistatements aren't supported.");
}

/** "1 MB" for the default 1 MiB; other caps in KB or bytes. */
export function describeSize(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes % MiB === 0) return `${bytes / MiB} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

/** Over the cap; inside a transaction the service also terminates and deletes the transaction. */
export function resultTooLarge(limit: number): ApiError {
  const err = unsupportedResult(`The result exceeds the size limit ${describeSize(limit)}`);
  err.endsTransaction = 'Transaction has been aborted due to an error from a previous call';
  return err;
}
