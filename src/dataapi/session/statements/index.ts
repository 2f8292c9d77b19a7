// The table of statement handlers by kind. Adding a kind the proxy answers itself means a
// handler in one of these files (or a new one) and an entry here.
import { transactionControlHandlers } from './transaction-control.js';
import { settingsHandlers } from './settings-commands.js';
import { sessionCommandHandlers } from './session-commands.js';
import { cursorHandlers } from './cursor-commands.js';
import type { StatementHandlerTable } from './statement-run.js';

export const statementHandlers: StatementHandlerTable = {
  ...transactionControlHandlers,
  ...settingsHandlers,
  ...sessionCommandHandlers,
  ...cursorHandlers,
};

export { runQuery } from './query.js';
export { StatementRun, type StatementHandler, type StatementHandlerTable, type StatementOf } from './statement-run.js';
