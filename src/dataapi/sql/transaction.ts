// Transaction control: BEGIN, START TRANSACTION, COMMIT/END, ROLLBACK/ABORT, savepoints and the
// two-phase commands, following gram.y's TransactionStmt productions.

import type { StatementReader } from './statement-reader.js';
import type { ClassifiedStatement, IsolationLevel, TransactionModes } from './statement-types.js';

/** Parses the statement whose first word (already consumed) is `first`. */
export function parseTransactionStatement(r: StatementReader, first: string): ClassifiedStatement {
  switch (first) {
    case 'begin': {
      acceptWorkOrTransaction(r);
      const modes = parseTransactionModes(r, true);
      r.expectEnd();
      return { kind: 'begin', form: 'BEGIN', modes, returnsRows: false };
    }
    case 'start': {
      r.expectWords('transaction');
      const modes = parseTransactionModes(r, true);
      r.expectEnd();
      return { kind: 'begin', form: 'START TRANSACTION', modes, returnsRows: false };
    }
    case 'commit':
    case 'end': {
      if (first === 'commit' && r.acceptWords('prepared')) return twoPhase(r, 'commit-prepared');
      acceptWorkOrTransaction(r);
      const chain = parseChain(r);
      r.expectEnd();
      return { kind: 'commit', form: first === 'commit' ? 'COMMIT' : 'END', chain, returnsRows: false };
    }
    case 'rollback':
    case 'abort': {
      if (first === 'rollback' && r.acceptWords('prepared')) return twoPhase(r, 'rollback-prepared');
      acceptWorkOrTransaction(r);
      if (first === 'rollback' && r.acceptWords('to')) {
        r.acceptWords('savepoint');
        const name = r.colId();
        r.expectEnd();
        return { kind: 'rollback-to-savepoint', name, returnsRows: false };
      }
      const chain = parseChain(r);
      r.expectEnd();
      return { kind: 'rollback', form: first === 'rollback' ? 'ROLLBACK' : 'ABORT', chain, returnsRows: false };
    }
    case 'savepoint': {
      const name = r.colId();
      r.expectEnd();
      return { kind: 'savepoint', name, returnsRows: false };
    }
    case 'release': {
      r.acceptWords('savepoint');
      const name = r.colId();
      r.expectEnd();
      return { kind: 'release-savepoint', name, returnsRows: false };
    }
    default:
      // PREPARE TRANSACTION: the caller has consumed both words.
      return twoPhase(r, 'prepare');
  }
}

function twoPhase(r: StatementReader, action: 'prepare' | 'commit-prepared' | 'rollback-prepared'): ClassifiedStatement {
  const gid = r.stringConst();
  r.expectEnd();
  return { kind: 'two-phase', action, gid, returnsRows: false };
}

function acceptWorkOrTransaction(r: StatementReader): void {
  if (!r.acceptWords('work')) r.acceptWords('transaction');
}

function parseChain(r: StatementReader): boolean {
  if (!r.acceptWords('and')) return false;
  const no = r.acceptWords('no');
  r.expectWords('chain');
  return !no;
}

/**
 * transaction_mode_list: items separated by commas or just spaces. Later items win, as they do
 * when PostgreSQL applies them in order.
 */
export function parseTransactionModes(r: StatementReader, allowEmpty: boolean): TransactionModes {
  const modes: TransactionModes = {};
  if (r.atEnd()) {
    if (!allowEmpty) r.fail();
    return modes;
  }
  // Like the server's parser, a list fails at the first word that cannot continue it.
  for (;;) {
    if (r.acceptWords('isolation')) {
      r.expectWords('level');
      modes.isolationLevel = parseIsolationLevel(r);
    } else if (r.acceptWords('read')) {
      if (r.acceptWords('only')) modes.readOnly = true;
      else {
        r.expectWords('write');
        modes.readOnly = false;
      }
    } else if (r.acceptWords('deferrable')) {
      modes.deferrable = true;
    } else if (r.acceptWords('not')) {
      r.expectWords('deferrable');
      modes.deferrable = false;
    } else {
      r.fail();
    }
    if (r.atEnd()) return modes;
    r.acceptPunct(',');
  }
}

function parseIsolationLevel(r: StatementReader): IsolationLevel {
  if (r.acceptWords('serializable')) return 'serializable';
  if (r.acceptWords('repeatable')) {
    r.expectWords('read');
    return 'repeatable read';
  }
  r.expectWords('read');
  if (r.acceptWords('committed')) return 'read committed';
  r.expectWords('uncommitted');
  return 'read uncommitted';
}
