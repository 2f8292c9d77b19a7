// Turns what the Data API (or the way to it) throws into the ErrorResponse a PostgreSQL client
// understands: the database's own error with its SQLSTATE and position when there is one, and
// otherwise a SQLSTATE chosen for the situation with a message that says what to do.
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import { parseDatabaseErrorText } from './error-text.js';

export type Retry = 'never' | 'throttled' | 'resuming' | 'unreachable';

/** A failed Data API call as the client will see it, with the outcome that explains it. */
export class DataApiError extends ClientFacingError {
  outcome = 'error';
}

export interface ClassifiedError {
  error: DataApiError;
  /** Whether the call certainly had no effect and may be sent again, and why. */
  retry: Retry;
  /** Short name for metrics' outcome label. */
  outcome: string;
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

const err = (code: string, message: string, hint?: string, detail?: string) =>
  new DataApiError(code, message, { ...(hint ? { hint } : {}), ...(detail ? { detail } : {}) }, 'ERROR');

export function classifyDataApiError(raw: unknown): ClassifiedError {
  const e = (raw ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const message = (e.message ?? String(raw)).trim();
  const result = (error: DataApiError, outcome: string, retry: Retry = 'never'): ClassifiedError => {
    error.outcome = outcome;
    return { error, retry, outcome };
  };

  switch (name) {
    case 'DatabaseErrorException': {
      const parsed = parseDatabaseErrorText(message);
      if (parsed) {
        return result(
          new DataApiError(
            parsed.code,
            parsed.message,
            {
              detail: parsed.detail,
              hint: parsed.hint,
              position: parsed.position,
              where: parsed.where,
              schema: parsed.schema,
              table: parsed.table,
              column: parsed.column,
              dataType: parsed.dataType,
              constraint: parsed.constraint,
            },
            'ERROR',
          ),
          'database_error',
        );
      }
      return result(err(SqlState.INTERNAL_ERROR, `Data API database error: ${message}`), 'database_error');
    }
    case 'AccessDeniedException':
    case 'ForbiddenException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'MissingAuthenticationTokenException':
      return result(
        err(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          `the Data API refused the call: ${message}`,
          'The AWS identity of aurora-pg-proxy needs rds-data:ExecuteStatement, BatchExecuteStatement, BeginTransaction, CommitTransaction and RollbackTransaction on the cluster, and secretsmanager:GetSecretValue on the secret.',
        ),
        'access_denied',
      );
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return result(
        err(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          'the AWS credentials of aurora-pg-proxy have expired',
          'Refresh them (for SSO: `aws sso login`); the proxy picks up new credentials without a restart.',
        ),
        'access_denied',
      );
    case 'CredentialsProviderError':
      return result(
        err(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          `aurora-pg-proxy found no AWS credentials to call the Data API: ${message.split('\n')[0]}`,
          'Give it credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, --profile NAME, or a role from the container or instance.',
        ),
        'no_credentials',
      );
    case 'HttpEndpointNotEnabledException':
      return result(
        err(
          SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
          `the Data API is not enabled on this cluster: ${message}`,
          'Enable it with `aws rds enable-http-endpoint --resource-arn <cluster-arn>` (or the console: Modify cluster, Data API).',
        ),
        'endpoint_not_enabled',
      );
    case 'DatabaseNotFoundException':
      return result(err(SqlState.INVALID_CATALOG_NAME, `database not found: ${message}`, 'Check --database.'), 'database_not_found');
    case 'NotFoundException':
      return result(
        err(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION, `the Data API did not find the resource: ${message}`, 'Check --resource-arn and --region.'),
        'not_found',
      );
    case 'InvalidSecretException':
    case 'SecretsErrorException':
      return result(
        err(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          `the Data API could not use the database secret: ${message}`,
          'Check --secret-arn: the secret must hold the database username and password, and the proxy needs secretsmanager:GetSecretValue on it.',
        ),
        'secret_error',
      );
    case 'StatementTimeoutException':
      return result(
        err(
          SqlState.QUERY_CANCELED,
          'canceling statement due to statement timeout',
          'The Data API stops a call after 45 seconds. Inside a transaction the transaction is now aborted; large reads are better paged with a cursor.',
        ),
        'statement_timeout',
      );
    case 'TransactionNotFoundException':
      return result(
        err(
          '25P03',
          `the Data API transaction no longer exists: ${message}`,
          'The Data API ends a transaction after 3 minutes without a call, or after an error that terminated it. Start a new transaction.',
        ),
        'transaction_not_found',
      );
    case 'UnsupportedResultException':
      if (/size limit|exceed/i.test(message)) {
        return result(
          err(
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            `result too large for the Data API: ${message}`,
            'Inside a transaction the Data API ends the transaction when a result exceeds 1 MiB. Read large results with DECLARE ... CURSOR and FETCH, or with a fetch size (row limit), which aurora-pg-proxy pages through a cursor; or start the proxy with --page-in-transactions.',
          ),
          'result_too_large',
        );
      }
      return result(
        err(SqlState.FEATURE_NOT_SUPPORTED, `the Data API cannot return this result: ${message}`, 'Cast the column to text, e.g. col::text.'),
        'unsupported_result',
      );
    case 'ValidationException':
    case 'BadRequestException':
      if (/at 'sql' failed to satisfy constraint: Member must have length/i.test(message)) {
        return result(
          err(
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            'statement too long for the Data API: one statement may have at most 65536 characters',
            'The statement was not run. Load many rows with COPY ... FROM STDIN (psql \\copy), which the proxy sends in chunks, ' +
              'or insert in smaller batches (Django: bulk_create(..., batch_size=500)); bound parameters do not count toward this limit.',
          ),
          'bad_request',
        );
      }
      return result(err(/too long|length|size/i.test(message) ? SqlState.PROGRAM_LIMIT_EXCEEDED : SqlState.INVALID_PARAMETER_VALUE, message), 'bad_request');
    case 'DatabaseResumingException':
      return result(err(SqlState.CANNOT_CONNECT_NOW, 'the database is resuming after a pause; try again in a few seconds'), 'resuming', 'resuming');
    case 'DatabaseUnavailableException':
      return result(err(SqlState.CONNECTION_FAILURE, 'the database behind the Data API is unavailable'), 'unavailable');
    case 'ThrottlingException':
    case 'TooManyRequestsException':
    case 'ThrottledException':
      return result(err(SqlState.CONFIGURATION_LIMIT_EXCEEDED, `the Data API is throttling calls: ${message}`), 'throttled', 'throttled');
    case 'ServiceUnavailableError':
    case 'InternalServerErrorException':
    case 'InternalFailure':
      return result(
        err(SqlState.CONNECTION_FAILURE, `the Data API failed (${name})${message ? `: ${message}` : ''}`, 'The statement may or may not have run.'),
        // Told apart because the Data API also answers a result holding an `infinity` date so.
        name === 'InternalFailure' ? 'internal_failure' : 'service_error',
      );
  }
  const code = e.code ?? (raw as NodeJS.ErrnoException)?.code;
  if (code === 'ECONNREFUSED') {
    return result(
      err(
        SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
        'could not reach the Data API endpoint: connection refused',
        'Check --endpoint-url (or --region for the regional endpoint); an emulator must be running there.',
      ),
      'unreachable',
      'unreachable',
    );
  }
  if (code && /^(ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(code)) {
    return result(
      err(SqlState.CONNECTION_FAILURE, `could not reach the Data API endpoint (${code})`, 'Check --region / --endpoint-url and the network; the statement may or may not have run.'),
      'unreachable',
    );
  }
  const status = e.$metadata?.httpStatusCode;
  return result(
    err(SqlState.INTERNAL_ERROR, `Data API call failed: ${name}${message ? `: ${message}` : ''}${status ? ` (HTTP ${status})` : ''}`),
    'error',
  );
}
