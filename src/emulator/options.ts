// Public option and handle types of the emulator, and their defaults (the service's limits).

export interface EmulatorLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface EmulatorOptions {
  /** The PostgreSQL behind the emulator; its database is the default for calls without `database`. */
  postgresUrl: string;
  host?: string;
  /** 0 picks any free port. */
  port?: number;
  /** When set, every request must carry a valid SigV4 signature (service rds-data) made with these. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** When set, the signature's credential scope must name this region. */
  region?: string;
  transactionIdleTimeoutMs?: number;
  /** Longest a transaction may live, idle or not (the service: 24 hours). */
  transactionMaxLifetimeMs?: number;
  statementTimeoutMs?: number;
  /** Cap on an ExecuteStatement response in records form (the service: 1 MiB). */
  maxResponseBytes?: number;
  /** Cap on `formattedRecords` (the service: 10 MB). */
  maxFormattedRecordsBytes?: number;
  /** Cap on a request, headers included (the service: 4 MiB). */
  maxBatchRequestBytes?: number;
  /** PostgreSQL connections per database. */
  poolSize?: number;
  /**
   * PostgreSQL connections in all, across databases (none: no cap beyond poolSize each). At the
   * cap, a call for one database closes the idle connections of others first: a server with one
   * session (the demo's PGlite) would otherwise stay held by whichever database came first.
   */
  maxConnections?: number;
  logger?: EmulatorLogger;
}

export type OperationName =
  | 'ExecuteStatement'
  | 'BatchExecuteStatement'
  | 'BeginTransaction'
  | 'CommitTransaction'
  | 'RollbackTransaction';

export interface EmulatorStats {
  calls: Record<OperationName, number>;
  openTransactions: number;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  stats(): EmulatorStats;
  resetStats(): void;
  stop(): Promise<void>;
}

export interface ResolvedOptions {
  postgresUrl: string;
  host: string;
  port: number;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  region?: string;
  transactionIdleTimeoutMs: number;
  transactionMaxLifetimeMs: number;
  statementTimeoutMs: number;
  maxResponseBytes: number;
  maxFormattedRecordsBytes: number;
  maxBatchRequestBytes: number;
  poolSize: number;
  maxConnections?: number;
  logger?: EmulatorLogger;
}

const MiB = 1024 * 1024;

export function resolveOptions(opts: EmulatorOptions): ResolvedOptions {
  return {
    postgresUrl: opts.postgresUrl,
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    credentials: opts.credentials,
    region: opts.region,
    transactionIdleTimeoutMs: opts.transactionIdleTimeoutMs ?? 180_000,
    transactionMaxLifetimeMs: opts.transactionMaxLifetimeMs ?? 24 * 3600_000,
    statementTimeoutMs: opts.statementTimeoutMs ?? 45_000,
    maxResponseBytes: opts.maxResponseBytes ?? MiB,
    maxFormattedRecordsBytes: opts.maxFormattedRecordsBytes ?? 10 * MiB,
    maxBatchRequestBytes: opts.maxBatchRequestBytes ?? 4 * MiB,
    poolSize: opts.poolSize ?? 10,
    maxConnections: opts.maxConnections,
    logger: opts.logger,
  };
}
