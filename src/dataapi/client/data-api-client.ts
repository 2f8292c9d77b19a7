// The proxy's only door to the RDS Data API. It calls the five operations through the AWS SDK,
// measures each call, and retries only where the call certainly had no effect (throttling, a
// cluster still resuming from a pause, a request that never reached the service) or is safe to
// repeat after a broken connection (BeginTransaction, RollbackTransaction, a statement that
// cannot write). The SDK's own retries are off because they would also repeat calls that may
// have run. A broken connection that may have run a write or a commit is reported as such.
import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  type ExecuteStatementCommandOutput,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { ExactLongHttpHandler, exactLongBody } from './exact-longs.js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { classifyDataApiError } from './service-errors.js';
import { dataApiAgents, transportFailureOf, type TransportFailure } from './transport.js';
import { transportError } from './transport-errors.js';
import { isCertainlyReadOnly } from './read-only.js';
import { installLeanDecoder } from './lean-protocol.js';
import { LeanExecute } from './lean-execute.js';

export interface DataApiTarget {
  resourceArn: string;
  secretArn: string;
  database?: string;
  region: string;
  endpoint?: string;
  profile?: string;
  credentials?: AwsCredentialIdentityProvider;
  /**
   * Send ExecuteStatement without the SDK's middleware stack (lean-execute.ts) when the client
   * owns its SDK; default true. False keeps every call on the SDK (tests compare both).
   */
  leanRequests?: boolean;
}

/** The lean ExecuteStatement path of each SDK client built by DataApiClient.ownSdk. */
const LEAN_EXECUTE = new WeakMap<RDSDataClient, LeanExecute>();

export type DataApiOperation = 'ExecuteStatement' | 'BatchExecuteStatement' | 'BeginTransaction' | 'CommitTransaction' | 'RollbackTransaction';

export interface DataApiCallObserver {
  dataApiCall?(operation: DataApiOperation, outcome: string, seconds: number): void;
  /** The connection to the Data API failed; `retried` tells whether the call is sent again. */
  dataApiTransportFailure?(operation: DataApiOperation, failure: TransportFailure, retried: boolean): void;
}

export type { TransportFailure } from './transport.js';

/** Both observers hear every event. */
function bothObservers(a: DataApiCallObserver, b: DataApiCallObserver): DataApiCallObserver {
  return {
    dataApiCall: (...args) => {
      a.dataApiCall?.(...args);
      b.dataApiCall?.(...args);
    },
    dataApiTransportFailure: (...args) => {
      a.dataApiTransportFailure?.(...args);
      b.dataApiTransportFailure?.(...args);
    },
  };
}

export interface ExecuteRequest {
  sql: string;
  parameters?: SqlParameter[];
  transactionId?: string;
  continueAfterTimeout?: boolean;
}

export interface RetryPolicy {
  /** Total time spent waiting for a resuming cluster before giving up. */
  resumeWaitMs: number;
  throttleAttempts: number;
  baseDelayMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { resumeWaitMs: 60_000, throttleAttempts: 5, baseDelayMs: 200 };

export class DataApiClient {
  private readonly sdk: RDSDataClient;

  constructor(
    readonly target: DataApiTarget,
    private readonly observer: DataApiCallObserver = {},
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    shared?: RDSDataClient,
  ) {
    this.ownsSdk = shared === undefined;
    this.sdk = shared ?? DataApiClient.ownSdk(target);
  }

  private static ownSdk(target: DataApiTarget): RDSDataClient {
    // The service ends a call after 45 s; leave room for the response to arrive.
    // Its agents close keep-alive sockets before the endpoint would (transport.ts).
    // throwOnRequestTimeout: an overdue call fails (a transport failure, transport.ts) instead of
    // the handler printing a bare warning to stderr, outside the proxy's JSON log, and waiting on.
    const handler = new ExactLongHttpHandler({
      connectionTimeout: 10_000,
      requestTimeout: 60_000,
      socketTimeout: 60_000,
      throwOnRequestTimeout: true,
      ...dataApiAgents(),
    });
    const sdk = DataApiClient.quiet(
      new RDSDataClient({
        region: target.region,
        endpoint: target.endpoint,
        credentials: target.credentials ?? fromNodeProviderChain(target.profile ? { profile: target.profile } : {}),
        maxAttempts: 1,
        // The middleware stack is fixed once built (quiet() below): resolve it once per
        // operation rather than on every call.
        cacheMiddleware: true,
        requestHandler: handler,
      }),
    );
    // Rows are decoded by the lean decoder rather than the SDK's generic one (lean-protocol.ts),
    // which keeps int8 arrays exact itself; the handler does it only when the SDK decodes.
    handler.leanDecoderKeepsLongsExact = installLeanDecoder(sdk, { executeBody: exactLongBody });
    // The lean request path hands 2xx bodies to the lean decoder: only with it installed.
    const lean = handler.leanDecoderKeepsLongsExact && target.leanRequests !== false ? LeanExecute.for(sdk) : null;
    if (lean) LEAN_EXECUTE.set(sdk, lean);
    return sdk;
  }

  private readonly ownsSdk: boolean;

  /**
   * The SDK's logger middleware copies every response through its sensitive-data filter (a walk
   * over every field of every row) to hand it to a logger that, here, discards it: a few percent
   * of the proxy's CPU on large results. The proxy never gives the SDK a logger.
   */
  private static quiet(sdk: RDSDataClient): RDSDataClient {
    sdk.middlewareStack.remove('loggerMiddleware');
    return sdk;
  }

  /** The same client (connections, credentials, metrics) for calls in another database. */
  withDatabase(database: string | undefined): DataApiClient {
    if (database === this.target.database) return this;
    return new DataApiClient({ ...this.target, database }, this.observer, this.retry, this.sdk);
  }

  /** The same client, with one more observer (a session's own logging). */
  withObserver(extra: DataApiCallObserver): DataApiClient {
    return new DataApiClient(this.target, bothObservers(this.observer, extra), this.retry, this.sdk);
  }

  /** Runs one statement; `onResuming` is told (once) when the call waits for a paused cluster. */
  execute(req: ExecuteRequest, onResuming?: () => void): Promise<ExecuteStatementCommandOutput> {
    const input = {
      ...this.common(),
      sql: req.sql,
      parameters: req.parameters && req.parameters.length > 0 ? req.parameters : undefined,
      transactionId: req.transactionId,
      includeResultMetadata: true,
      continueAfterTimeout: req.continueAfterTimeout,
      // Exact values: int8 beyond 2^53 and numeric arrive as strings, never as doubles.
      resultSetOptions: { decimalReturnType: 'STRING', longReturnType: 'STRING' } as const,
    };
    const lean = LEAN_EXECUTE.get(this.sdk);
    return this.call(
      'ExecuteStatement',
      () => lean?.send(input) ?? this.sdk.send(new ExecuteStatementCommand(input)),
      onResuming,
      () => isCertainlyReadOnly(req.sql),
    );
  }

  async batchExecute(sql: string, parameterSets: SqlParameter[][], transactionId?: string, onResuming?: () => void): Promise<number> {
    const out = await this.call(
      'BatchExecuteStatement',
      () => this.sdk.send(new BatchExecuteStatementCommand({ ...this.common(), sql, parameterSets, transactionId })),
      onResuming,
    );
    return out.updateResults?.length ?? 0;
  }

  async begin(onResuming?: () => void): Promise<string> {
    const out = await this.call('BeginTransaction', () => this.sdk.send(new BeginTransactionCommand(this.common())), onResuming);
    if (!out.transactionId) throw new Error('BeginTransaction returned no transactionId');
    return out.transactionId;
  }

  async commit(transactionId: string): Promise<void> {
    await this.call('CommitTransaction', () =>
      this.sdk.send(new CommitTransactionCommand({ resourceArn: this.target.resourceArn, secretArn: this.target.secretArn, transactionId })),
    );
  }

  async rollback(transactionId: string): Promise<void> {
    await this.call('RollbackTransaction', () =>
      this.sdk.send(new RollbackTransactionCommand({ resourceArn: this.target.resourceArn, secretArn: this.target.secretArn, transactionId })),
    );
  }

  destroy(): void {
    if (this.ownsSdk) this.sdk.destroy();
  }

  private common() {
    return { resourceArn: this.target.resourceArn, secretArn: this.target.secretArn, database: this.target.database };
  }

  /**
   * Sends one call, retrying what may be retried. `readOnly` says (lazily: only asked after a
   * broken connection) whether the call cannot write.
   */
  private async call<T>(operation: DataApiOperation, send: () => Promise<T>, onResuming?: () => void, readOnly?: () => boolean): Promise<T> {
    let throttled = 0;
    let transportFailures = 0;
    let resumingSince: number | null = null;
    for (let attempt = 0; ; attempt++) {
      const t0 = performance.now();
      try {
        const out = await send();
        this.observer.dataApiCall?.(operation, 'success', (performance.now() - t0) / 1000);
        return out;
      } catch (raw) {
        const failure = transportFailureOf(raw);
        if (failure) {
          this.observer.dataApiCall?.(operation, failure.delivery === 'not-sent' ? 'unreachable' : 'connection_lost', (performance.now() - t0) / 1000);
          const repeatable = failure.delivery === 'not-sent' || operation === 'BeginTransaction' || operation === 'RollbackTransaction' || (readOnly?.() ?? false);
          const retried = repeatable && ++transportFailures < this.retry.throttleAttempts;
          this.observer.dataApiTransportFailure?.(operation, failure, retried);
          if (!retried) throw transportError(operation, failure, repeatable);
          // Reconnecting at once usually works (the failed socket is gone); back off a little
          // in case the endpoint itself is down.
          await new Promise((r) => setTimeout(r, transportFailures === 1 ? 0 : this.retry.baseDelayMs * 2 ** (transportFailures - 2) * (0.75 + Math.random() / 2)));
          continue;
        }
        const classified = classifyDataApiError(raw);
        this.observer.dataApiCall?.(operation, classified.outcome, (performance.now() - t0) / 1000);
        let delay: number | null = null;
        if (classified.retry === 'resuming') {
          if (resumingSince === null) {
            resumingSince = Date.now();
            onResuming?.();
          }
          if (Date.now() - resumingSince < this.retry.resumeWaitMs) delay = Math.min(5000, this.retry.baseDelayMs * 2 ** attempt);
        } else if (classified.retry === 'throttled') {
          if (++throttled < this.retry.throttleAttempts) delay = this.retry.baseDelayMs * 2 ** (throttled - 1) * (0.75 + Math.random() / 2);
        }
        if (delay === null) throw classified.error;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
