import { describe, expect, it } from 'vitest';
import { classifyStatement, commandTag } from '../../../src/dataapi/sql/index.js';

const classify = classifyStatement;

describe('cursors', () => {
  it('parses DECLARE with its options and keeps the query with its offset', () => {
    const sql = 'DECLARE Cur BINARY INSENSITIVE NO SCROLL CURSOR WITH HOLD FOR SELECT * FROM t';
    expect(classify(sql)).toEqual({
      kind: 'declare-cursor',
      name: 'cur',
      binary: true,
      scroll: false,
      hold: true,
      query: 'SELECT * FROM t',
      queryOffset: sql.indexOf('SELECT'),
      returnsRows: false,
    });
    expect(classify('declare c cursor for values (1)')).toMatchObject({ scroll: null, hold: false, binary: false, query: 'values (1)' });
    expect(classify('DECLARE c SCROLL CURSOR WITHOUT HOLD FOR WITH x AS (SELECT 1) SELECT * FROM x')).toMatchObject({ scroll: true, hold: false });
    expect(classify('DECLARE c CURSOR FOR (SELECT 1)')).toMatchObject({ kind: 'declare-cursor', query: '(SELECT 1)' });
  });

  it('rejects bad DECLAREs like PostgreSQL', () => {
    expect(classify('DECLARE c CURSOR FOR INSERT INTO t VALUES (1)')).toMatchObject({ kind: 'invalid', message: 'syntax error at or near "INSERT"' });
    expect(classify('DECLARE c SCROLL NO SCROLL CURSOR FOR SELECT 1')).toMatchObject({
      kind: 'invalid',
      sqlState: '42P11',
      message: 'cannot specify both SCROLL and NO SCROLL',
      offset: null,
    });
    expect(classify('DECLARE c CURSOR')).toMatchObject({ kind: 'invalid', message: 'syntax error at end of input' });
  });

  it('normalises FETCH and MOVE directions', () => {
    const f = (sql: string) => {
      const c = classify(sql);
      return c.kind === 'fetch' ? [c.move, c.direction, c.count, c.cursor] : c;
    };
    expect(f('FETCH c')).toEqual([false, 'forward', 1, 'c']);
    expect(f('FETCH FROM c')).toEqual([false, 'forward', 1, 'c']);
    expect(f('FETCH NEXT c')).toEqual([false, 'forward', 1, 'c']);
    expect(f('FETCH PRIOR FROM c')).toEqual([false, 'backward', 1, 'c']);
    expect(f('FETCH FIRST IN c')).toEqual([false, 'absolute', 1, 'c']);
    expect(f('FETCH LAST c')).toEqual([false, 'absolute', -1, 'c']);
    expect(f('FETCH ABSOLUTE -3 FROM c')).toEqual([false, 'absolute', -3, 'c']);
    expect(f('FETCH RELATIVE 2 c')).toEqual([false, 'relative', 2, 'c']);
    expect(f('FETCH 5 FROM c')).toEqual([false, 'forward', 5, 'c']);
    expect(f('FETCH -5 FROM c')).toEqual([false, 'backward', 5, 'c']);
    expect(f('FETCH ALL IN c')).toEqual([false, 'forward', 'all', 'c']);
    expect(f('FETCH FORWARD c')).toEqual([false, 'forward', 1, 'c']);
    expect(f('FETCH FORWARD 10 FROM c')).toEqual([false, 'forward', 10, 'c']);
    expect(f('FETCH FORWARD ALL FROM c')).toEqual([false, 'forward', 'all', 'c']);
    expect(f('FETCH BACKWARD ALL FROM c')).toEqual([false, 'backward', 'all', 'c']);
    expect(f('FETCH BACKWARD -2 FROM c')).toEqual([false, 'forward', 2, 'c']);
    expect(f('MOVE 3 IN "My Cursor"')).toEqual([true, 'forward', 3, 'My Cursor']);
    expect(f('FETCH next')).toEqual([false, 'forward', 1, 'next']);
  });

  it('rejects malformed FETCHes', () => {
    expect(classify('FETCH')).toMatchObject({ kind: 'invalid', message: 'syntax error at end of input' });
    expect(classify('FETCH 1.5 FROM c')).toMatchObject({ kind: 'invalid', message: 'syntax error at or near "1.5"' });
    expect(classify('FETCH FORWARD ALL IN')).toMatchObject({ kind: 'invalid' });
  });

  it('FETCH returns rows, MOVE does not; both tags carry the count', () => {
    expect(classify('FETCH 2 FROM c').returnsRows).toBe(true);
    expect(classify('MOVE 2 IN c').returnsRows).toBe(false);
    expect(commandTag(classify('FETCH 2 FROM c'), 2)).toBe('FETCH 2');
    expect(commandTag(classify('MOVE ALL IN c'), 7)).toBe('MOVE 7');
  });

  it('parses CLOSE and its tags', () => {
    expect(classify('CLOSE c')).toEqual({ kind: 'close-cursor', name: 'c', returnsRows: false });
    expect(classify('close all')).toEqual({ kind: 'close-cursor', name: null, returnsRows: false });
    expect(commandTag(classify('CLOSE c'))).toBe('CLOSE CURSOR');
    expect(commandTag(classify('CLOSE ALL'))).toBe('CLOSE CURSOR ALL');
    expect(commandTag(classify('DECLARE c CURSOR FOR SELECT 1'))).toBe('DECLARE CURSOR');
  });
});

describe('prepared statements', () => {
  it('parses PREPARE with parameter types and the statement text', () => {
    const sql = 'PREPARE q (int, numeric(10, 2), text[]) AS SELECT $1, $2, $3';
    expect(classify(sql)).toEqual({
      kind: 'prepare',
      name: 'q',
      parameterTypes: ['int', 'numeric(10, 2)', 'text[]'],
      statement: 'SELECT $1, $2, $3',
      statementOffset: sql.indexOf('SELECT'),
      returnsRows: false,
    });
    expect(classify('prepare ins as insert into t values (1)')).toMatchObject({ kind: 'prepare', parameterTypes: [], statement: 'insert into t values (1)' });
    expect(classify('PREPARE q AS CREATE TABLE x ()')).toMatchObject({ kind: 'invalid', message: 'syntax error at or near "CREATE"' });
  });

  it('parses EXECUTE arguments as written', () => {
    expect(classify("EXECUTE q(1, 'a,b', f(2, 3))")).toEqual({ kind: 'execute', name: 'q', arguments: ['1', "'a,b'", 'f(2, 3)'], returnsRows: 'depends' });
    expect(classify('EXECUTE q')).toMatchObject({ kind: 'execute', arguments: [] });
  });

  it('EXECUTE takes its tag from the prepared statement', () => {
    const exec = classify('EXECUTE q');
    expect(commandTag(exec, 3, { prepared: classify('INSERT INTO t SELECT 1') })).toBe('INSERT 0 3');
    expect(commandTag(exec, 2, { prepared: classify('SELECT 1') })).toBe('SELECT 2');
  });

  it('parses DEALLOCATE', () => {
    expect(classify('DEALLOCATE q')).toEqual({ kind: 'deallocate', name: 'q', returnsRows: false });
    expect(classify('DEALLOCATE PREPARE ALL')).toEqual({ kind: 'deallocate', name: null, returnsRows: false });
    expect(commandTag(classify('DEALLOCATE q'))).toBe('DEALLOCATE');
    expect(commandTag(classify('DEALLOCATE ALL'))).toBe('DEALLOCATE ALL');
    expect(commandTag(classify('PREPARE q AS SELECT 1'))).toBe('PREPARE');
  });
});

describe('DISCARD, LISTEN, UNLISTEN, NOTIFY', () => {
  it('parse and tag', () => {
    expect(classify('DISCARD ALL')).toEqual({ kind: 'discard', target: 'all', returnsRows: false });
    expect(classify('discard temporary')).toMatchObject({ target: 'temp' });
    expect(commandTag(classify('DISCARD TEMP'))).toBe('DISCARD TEMP');
    expect(commandTag(classify('DISCARD SEQUENCES'))).toBe('DISCARD SEQUENCES');
    expect(classify('DISCARD everything')).toMatchObject({ kind: 'invalid' });
    expect(classify('LISTEN Chan')).toEqual({ kind: 'listen', channel: 'chan', returnsRows: false });
    expect(classify('UNLISTEN *')).toEqual({ kind: 'unlisten', channel: null, returnsRows: false });
    expect(classify('UNLISTEN "Chan"')).toMatchObject({ channel: 'Chan' });
    expect(classify("NOTIFY chan, 'it''s'")).toEqual({ kind: 'notify', channel: 'chan', payload: "it's", returnsRows: false });
    expect(classify('NOTIFY chan')).toMatchObject({ payload: null });
    expect(classify('NOTIFY chan, 42')).toMatchObject({ kind: 'invalid' });
    expect(commandTag(classify('LISTEN a'))).toBe('LISTEN');
    expect(commandTag(classify('UNLISTEN a'))).toBe('UNLISTEN');
    expect(commandTag(classify('NOTIFY a'))).toBe('NOTIFY');
  });
});
