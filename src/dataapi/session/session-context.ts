// The state one Data API session's handler works with, shared by the files that answer the
// protocol's requests (simple-query.ts, portal-execution.ts, portal-describe.ts...): the client
// writer and input, the Data API transaction, settings, the statement registry, and the
// per-session flags (cancel requested, the text of the running extended statement).
import type { ClientSession } from '../../server/types.js';
import type { DataApiClient } from '../client/data-api-client.js';
import type { StatementRegistry } from '../protocol/statement-registry.js';
import type { ClientInput, Frame } from './client-input.js';
import type { ClientWriter } from './client-writer.js';
import type { DescribeCache } from './describe.js';
import type { RunnerContext } from './outcome.js';
import type { ParameterReports } from './parameter-reports.js';
import type { SessionSettings } from './settings.js';
import type { Transaction, TransactionEvents } from './transaction.js';

export interface DataApiSessionObserver extends TransactionEvents {
  queryFinished?(seconds: number): void;
  queryError?(sqlstate: string): void;
  /** Bytes as they pass, for the metrics (the session's counters are for the closing log line). */
  bytes?(direction: 'client_to_upstream' | 'upstream_to_client', n: number): void;
}

export interface SessionContext {
  session: ClientSession;
  client: DataApiClient;
  describeCache: DescribeCache;
  observer: DataApiSessionObserver;
  out: ClientWriter;
  input: ClientInput;
  /** The next client frame, flushing what is queued first when none is waiting (COPY reads with it). */
  nextFrame(): Promise<Frame>;
  tx: Transaction;
  settings: SessionSettings;
  parameters: ParameterReports;
  registry: StatementRegistry;
  /** What statements run with (statement-runner.ts). */
  runner: RunnerContext;
  /** A CancelRequest arrived for this session and has not been acted on yet. */
  cancelRequested: boolean;
  /** The text of the extended-protocol statement being run, for an error's position. */
  lastExtendedText: string | null;
}
