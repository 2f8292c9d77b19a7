// Statements about session state the Data API does not keep between calls: PREPARE / EXECUTE /
// DEALLOCATE, DISCARD, LISTEN / UNLISTEN / NOTIFY (gram.y's PrepareStmt, ExecuteStmt,
// DeallocateStmt, DiscardStmt, ListenStmt, UnlistenStmt, NotifyStmt).

import type { StatementReader } from './statement-reader.js';
import type { ClassifiedStatement, DiscardStatement } from './statement-types.js';

const PREPARABLE_STARTERS = new Set(['select', 'values', 'table', 'with', 'insert', 'update', 'delete', 'merge']);

/** PREPARE name [(type, …)] AS statement (PREPARE TRANSACTION is handled elsewhere). */
export function parsePrepare(r: StatementReader): ClassifiedStatement {
  const name = r.colId();
  const parameterTypes = r.isPunct('(') ? splitGroup(r) : [];
  r.expectWords('as');
  const statementOffset = r.offset();
  if (!(r.isPunct('(') || PREPARABLE_STARTERS.has(r.word() ?? ''))) r.fail();
  return { kind: 'prepare', name, parameterTypes, statement: r.text.slice(statementOffset, r.end), statementOffset, returnsRows: false };
}

/** EXECUTE name [(arg, …)] */
export function parseExecute(r: StatementReader): ClassifiedStatement {
  const name = r.colId();
  const args = r.isPunct('(') ? splitGroup(r) : [];
  r.expectEnd();
  return { kind: 'execute', name, arguments: args, returnsRows: 'depends' };
}

/** DEALLOCATE [PREPARE] name | ALL */
export function parseDeallocate(r: StatementReader): ClassifiedStatement {
  r.acceptWords('prepare');
  const name = r.acceptWords('all') ? null : r.colId();
  r.expectEnd();
  return { kind: 'deallocate', name, returnsRows: false };
}

/** DISCARD ALL | PLANS | SEQUENCES | TEMP | TEMPORARY */
export function parseDiscard(r: StatementReader): ClassifiedStatement {
  const targets: Record<string, DiscardStatement['target']> = { all: 'all', plans: 'plans', sequences: 'sequences', temp: 'temp', temporary: 'temp' };
  const target = targets[r.word() ?? ''];
  if (!target) r.fail();
  r.pos++;
  r.expectEnd();
  return { kind: 'discard', target, returnsRows: false };
}

export function parseListen(r: StatementReader): ClassifiedStatement {
  const channel = r.colId();
  r.expectEnd();
  return { kind: 'listen', channel, returnsRows: false };
}

export function parseUnlisten(r: StatementReader): ClassifiedStatement {
  const channel = r.acceptPunct('*') ? null : r.colId();
  r.expectEnd();
  return { kind: 'unlisten', channel, returnsRows: false };
}

export function parseNotify(r: StatementReader): ClassifiedStatement {
  const channel = r.colId();
  const payload = r.acceptPunct(',') ? r.stringConst() : null;
  r.expectEnd();
  return { kind: 'notify', channel, payload, returnsRows: false };
}

/** The comma-separated items of a parenthesised list, as source text. */
function splitGroup(r: StatementReader): string[] {
  const { from, to } = r.skipGroup();
  const items: string[] = [];
  let depth = 0;
  let itemStart = from;
  for (let i = from; i < to; i++) {
    const t = r.tokens[i]!;
    if (t.kind !== 'punctuation') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (t.text === ',' && depth === 0) {
      items.push(r.sliceText(itemStart, i));
      itemStart = i + 1;
    }
  }
  if (to > itemStart) items.push(r.sliceText(itemStart, to));
  return items;
}
