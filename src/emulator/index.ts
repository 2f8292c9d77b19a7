// A local stand-in for the RDS Data API (rds-data 2018-08-01) over a real PostgreSQL. It copies
// the live service's behaviour, strictness included, so that code tested against it behaves the
// same against Aurora.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectionManager } from './connections.js';
import type { EmulatorContext } from './context.js';
import { resolveOptions, type EmulatorOptions, type OperationName, type RunningEmulator } from './options.js';
import { createRequestHandler } from './server.js';
import { TransactionRegistry } from './transactions.js';

export type { EmulatorOptions, EmulatorLogger, EmulatorStats, OperationName, RunningEmulator } from './options.js';

function emptyCalls(): Record<OperationName, number> {
  return {
    ExecuteStatement: 0,
    BatchExecuteStatement: 0,
    BeginTransaction: 0,
    CommitTransaction: 0,
    RollbackTransaction: 0,
  };
}

export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  const options = resolveOptions(opts);
  const connections = new ConnectionManager(options.postgresUrl, options.poolSize, options.logger, options.maxConnections);
  const transactions = new TransactionRegistry(
    connections,
    options.transactionIdleTimeoutMs,
    options.transactionMaxLifetimeMs,
    options.logger,
  );
  const ctx: EmulatorContext = { options, connections, transactions };
  let calls = emptyCalls();
  // Idle keep-alive connections are kept a minute rather than Node's default 5 s, far past the
  // proxy's own 2 s pool limit: with 5 s, a client whose event loop lags by seconds (50 clients
  // on two cores) still starts requests on connections the server is just closing.
  const server = createServer({ keepAliveTimeout: 60_000, headersTimeout: 65_000 }, createRequestHandler(ctx, (op) => calls[op]++));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // A wildcard bind is reached through loopback; that is the address clients are given.
  const reachable = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const host = reachable.includes(':') ? `[${reachable}]` : reachable;
  options.logger?.info({ url: `http://${host}:${port}`, database: connections.defaultDatabase }, 'Data API emulator listening');

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => ({ calls: { ...calls }, openTransactions: transactions.size }),
    resetStats: () => {
      calls = emptyCalls();
    },
    stop: () => {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await transactions.closeAll();
        await connections.close();
      })();
      return stopping;
    },
  };
}
