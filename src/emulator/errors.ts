// Errors as the Data API sends them: an HTTP status, the name in `x-amzn-ErrorType`, and a body
// with `message` plus the exception's own members (StatementTimeoutException's dbConnectionId).

/** Why a transaction id stopped working; appended to "Transaction <id> isn't found". */
export type TransactionEndCause =
  | 'Transaction may be expired'
  | 'One previous call resulted in a termination of your transaction'
  | 'Transaction has been aborted due to an error from a previous call';

export class ApiError extends Error {
  /** Set when the failure also ends the transaction the call ran in (result over the size cap). */
  endsTransaction?: TransactionEndCause;

  constructor(
    readonly errorType: string,
    readonly status: number,
    message: string,
    readonly members: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = errorType;
  }
}

export function validationError(message: string): ApiError {
  return new ApiError('ValidationException', 400, message);
}

export function serializationError(message: string): ApiError {
  return new ApiError('SerializationException', 400, message);
}

export function databaseError(message: string): ApiError {
  return new ApiError('DatabaseErrorException', 400, message);
}

export function unsupportedResult(message: string): ApiError {
  return new ApiError('UnsupportedResultException', 400, message);
}

export function badRequest(message: string): ApiError {
  return new ApiError('BadRequestException', 400, message);
}

export function transactionNotFound(id: string, cause: TransactionEndCause): ApiError {
  return new ApiError('TransactionNotFoundException', 404, `Transaction ${id} isn't found. ${cause}`);
}

export function transactionBusy(): ApiError {
  return databaseError('Transaction is still running a query');
}

export function statementTimeout(dbConnectionId: number): ApiError {
  return new ApiError('StatementTimeoutException', 400, 'Request timed out', { dbConnectionId });
}

export function databaseUnavailable(message: string): ApiError {
  return new ApiError('DatabaseUnavailableException', 504, message);
}

/** What the service answers for a result holding `infinity` dates: a bare fault with no text. */
export function internalFailure(): ApiError {
  return new ApiError('InternalFailure', 500, '');
}

export function internalServerError(): ApiError {
  return new ApiError('InternalServerErrorException', 500, 'An internal error occurred.');
}

/** The fields of a PostgreSQL ErrorResponse that the service copies into its message. */
export interface ServerErrorFields {
  severity?: string;
  message: string;
  code?: string;
  hint?: string;
  position?: string;
  where?: string;
}

/**
 * `ERROR: <msg>[; Hint: …][; Position: N][; Where: …]; SQLState: XXXXX`, the v2 text.
 * Detail is left out on purpose: the captured v2 messages for not-null (23502) and foreign-key
 * (23503) violations carry none, although PostgreSQL sends one for both.
 */
export function formatServerError(e: ServerErrorFields): string {
  const parts = [`${e.severity ?? 'ERROR'}: ${e.message}`];
  if (e.hint) parts.push(`Hint: ${e.hint}`);
  if (e.position) parts.push(`Position: ${e.position}`);
  if (e.where) parts.push(`Where: ${e.where}`);
  parts.push(`SQLState: ${e.code ?? 'XX000'}`);
  return parts.join('; ');
}

/** A pg DatabaseError (it carries `code`), as opposed to a socket or client-side failure. */
export function isServerError(err: unknown): err is ServerErrorFields & Error {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** Turns anything a pg call threw into the error the service would return. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isServerError(err)) return databaseError(formatServerError(err));
  if (err instanceof Error && /Connection terminated|ECONNRESET|EPIPE|connection error|not queryable/i.test(err.message)) {
    // pgJDBC's wording for a connection that died under a statement.
    return databaseError('An I/O error occurred while sending to the backend.; SQLState: 08006');
  }
  return internalServerError();
}
