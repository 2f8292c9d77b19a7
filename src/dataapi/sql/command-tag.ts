// The CommandComplete tag PostgreSQL 15 sends for a statement (tcop/cmdtaglist.h and the
// special cases in utility.c / xact.c).

import type { ClassifiedStatement } from './statement-types.js';

export interface CommandTagContext {
  /** The session's transaction had failed: COMMIT (and END) then report ROLLBACK. */
  transactionFailed?: boolean;
  /** For EXECUTE: the classified statement that was PREPAREd; its tag is the one sent. */
  prepared?: ClassifiedStatement;
}

/**
 * The tag for `statement` after it affected or returned `rowCount` rows. Statements that never
 * reach the server successfully (kind 'invalid' or 'empty') have no tag: '' is returned.
 */
export function commandTag(statement: ClassifiedStatement, rowCount = 0, context: CommandTagContext = {}): string {
  switch (statement.kind) {
    case 'empty':
    case 'invalid':
      return '';
    case 'begin':
      return statement.form;
    case 'commit':
      return context.transactionFailed ? 'ROLLBACK' : 'COMMIT';
    case 'rollback':
    case 'rollback-to-savepoint':
      return 'ROLLBACK';
    case 'savepoint':
      return 'SAVEPOINT';
    case 'release-savepoint':
      return 'RELEASE';
    case 'two-phase':
      if (statement.action === 'prepare') return context.transactionFailed ? 'ROLLBACK' : 'PREPARE TRANSACTION';
      return statement.action === 'commit-prepared' ? 'COMMIT PREPARED' : 'ROLLBACK PREPARED';
    case 'set':
    case 'set-transaction':
      return 'SET';
    case 'reset':
      return 'RESET';
    case 'show':
      return 'SHOW';
    case 'copy':
      return `COPY ${rowCount}`;
    case 'declare-cursor':
      return 'DECLARE CURSOR';
    case 'fetch':
      return `${statement.move ? 'MOVE' : 'FETCH'} ${rowCount}`;
    case 'close-cursor':
      return statement.name === null ? 'CLOSE CURSOR ALL' : 'CLOSE CURSOR';
    case 'prepare':
      return 'PREPARE';
    case 'execute':
      return context.prepared && context.prepared.kind !== 'execute' ? commandTag(context.prepared, rowCount, context) : 'EXECUTE';
    case 'deallocate':
      return statement.name === null ? 'DEALLOCATE ALL' : 'DEALLOCATE';
    case 'discard':
      return `DISCARD ${statement.target.toUpperCase()}`;
    case 'listen':
      return 'LISTEN';
    case 'unlisten':
      return 'UNLISTEN';
    case 'notify':
      return 'NOTIFY';
    case 'generic':
      if (!statement.tagHasRowCount) return statement.tag;
      return statement.tag === 'INSERT' ? `INSERT 0 ${rowCount}` : `${statement.tag} ${rowCount}`;
  }
}
