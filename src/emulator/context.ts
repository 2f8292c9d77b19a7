// What every operation needs: options, connections, open transactions.

import type { ConnectionManager } from './connections.js';
import type { ResolvedOptions } from './options.js';
import type { TransactionRegistry } from './transactions.js';

export interface EmulatorContext {
  readonly options: ResolvedOptions;
  readonly connections: ConnectionManager;
  readonly transactions: TransactionRegistry;
}
