// DECLARE … CURSOR, FETCH / MOVE and CLOSE, following gram.y's DeclareCursorStmt, FetchStmt and
// ClosePortalStmt.

import { StatementError, type StatementReader } from './statement-reader.js';
import type { ClassifiedStatement, FetchStatement } from './statement-types.js';

const SELECT_STARTERS = new Set(['select', 'values', 'table', 'with']);

/** DECLARE name [BINARY] [ASENSITIVE|INSENSITIVE] [[NO] SCROLL] CURSOR [WITH|WITHOUT HOLD] FOR query */
export function parseDeclare(r: StatementReader): ClassifiedStatement {
  const name = r.colId();
  let binary = false;
  let scroll: boolean | null = null;
  let noScroll = false;
  let insensitive = false;
  let asensitive = false;
  for (;;) {
    if (r.acceptWords('binary')) binary = true;
    else if (r.acceptWords('insensitive')) insensitive = true;
    else if (r.acceptWords('asensitive')) asensitive = true;
    else if (r.acceptWords('scroll')) scroll = true;
    else if (r.acceptWords('no', 'scroll')) noScroll = true;
    else break;
  }
  r.expectWords('cursor');
  let hold = false;
  if (r.acceptWords('with', 'hold')) hold = true;
  else r.acceptWords('without', 'hold');
  r.expectWords('for');
  const queryOffset = r.offset();
  if (!(r.isPunct('(') || SELECT_STARTERS.has(r.word() ?? ''))) r.fail();
  if (scroll && noScroll) throw new StatementError('42P11', 'cannot specify both SCROLL and NO SCROLL', null);
  if (insensitive && asensitive) throw new StatementError('42P11', 'cannot specify both ASENSITIVE and INSENSITIVE', null);
  return {
    kind: 'declare-cursor',
    name,
    binary,
    scroll: noScroll ? false : scroll,
    hold,
    query: r.text.slice(queryOffset, r.end),
    queryOffset,
    returnsRows: false,
  };
}

/** FETCH/MOVE [direction] [FROM|IN] cursor, with the direction normalised as PostgreSQL runs it. */
export function parseFetch(r: StatementReader, move: boolean): ClassifiedStatement {
  let direction: FetchStatement['direction'] = 'forward';
  let count: number | 'all' = 1;
  const start = r.pos;

  const word = r.word();
  let fromInRequired = false;
  if (word === 'next' || word === 'prior' || word === 'first' || word === 'last') {
    r.pos++;
    if (word === 'prior') direction = 'backward';
    if (word === 'first' || word === 'last') {
      direction = 'absolute';
      count = word === 'first' ? 1 : -1;
    }
  } else if (word === 'absolute' || word === 'relative') {
    r.pos++;
    direction = word;
    count = r.signedInteger();
  } else if (word === 'forward' || word === 'backward') {
    r.pos++;
    direction = word;
    if (r.acceptWords('all')) count = 'all';
    else if (isSignedNumber(r)) count = r.signedInteger();
  } else if (word === 'all') {
    r.pos++;
    count = 'all';
  } else if (isSignedNumber(r)) {
    count = r.signedInteger();
  } else if (word === 'from' || word === 'in') {
    fromInRequired = true;
  }
  // `FETCH next` with nothing after it names a cursor called "next".
  if (r.atEnd() && r.pos === start + 1 && word !== null) {
    r.pos = start;
    direction = 'forward';
    count = 1;
  }
  if (!r.acceptWords('from') && !r.acceptWords('in') && fromInRequired) r.fail();
  const cursor = r.colId();
  r.expectEnd();
  // A negative count runs the other way (DoPortalRunFetch).
  if (typeof count === 'number' && count < 0 && (direction === 'forward' || direction === 'backward')) {
    direction = direction === 'forward' ? 'backward' : 'forward';
    count = -count;
  }
  return { kind: 'fetch', move, direction, count, cursor, returnsRows: !move };
}

function isSignedNumber(r: StatementReader): boolean {
  const t = r.peek();
  if (t?.kind === 'number') return true;
  return t?.kind === 'operator' && (t.text === '-' || t.text === '+') && r.peek(1)?.kind === 'number';
}

/** CLOSE name | CLOSE ALL */
export function parseClose(r: StatementReader): ClassifiedStatement {
  const name = r.acceptWords('all') ? null : r.colId();
  r.expectEnd();
  return { kind: 'close-cursor', name, returnsRows: false };
}
