import { describe, expect, it } from 'vitest';
import { classifyStatement, commandTag } from '../../../src/dataapi/sql/index.js';

const classify = classifyStatement;

describe('transaction control', () => {
  it('parses BEGIN and START TRANSACTION with their modes', () => {
    expect(classify('BEGIN')).toEqual({ kind: 'begin', form: 'BEGIN', modes: {}, returnsRows: false });
    expect(classify('begin work')).toMatchObject({ kind: 'begin', form: 'BEGIN', modes: {} });
    expect(classify('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY, DEFERRABLE')).toMatchObject({
      modes: { isolationLevel: 'repeatable read', readOnly: true, deferrable: true },
    });
    expect(classify('start transaction read write not deferrable isolation level read uncommitted')).toMatchObject({
      kind: 'begin',
      form: 'START TRANSACTION',
      modes: { readOnly: false, deferrable: false, isolationLevel: 'read uncommitted' },
    });
    expect(classify('BEGIN ISOLATION LEVEL READ COMMITTED').kind).toBe('begin');
    expect(classify('BEGIN ISOLATION LEVEL SERIALIZABLE')).toMatchObject({ modes: { isolationLevel: 'serializable' } });
  });

  it('lets a later mode override an earlier one, as PostgreSQL applies them in order', () => {
    expect(classify('BEGIN READ ONLY, READ WRITE')).toMatchObject({ modes: { readOnly: false } });
  });

  it('skips leading comments and ignores keyword case', () => {
    expect(classify('/* app */ -- x\n BeGiN')).toMatchObject({ kind: 'begin' });
  });

  it('parses COMMIT/END and ROLLBACK/ABORT with AND [NO] CHAIN', () => {
    expect(classify('COMMIT')).toEqual({ kind: 'commit', form: 'COMMIT', chain: false, returnsRows: false });
    expect(classify('commit work and chain')).toMatchObject({ kind: 'commit', chain: true });
    expect(classify('END TRANSACTION AND NO CHAIN')).toMatchObject({ kind: 'commit', form: 'END', chain: false });
    expect(classify('ROLLBACK')).toMatchObject({ kind: 'rollback', form: 'ROLLBACK', chain: false });
    expect(classify('abort and chain')).toMatchObject({ kind: 'rollback', form: 'ABORT', chain: true });
  });

  it('parses savepoint commands, folding or keeping the name as PostgreSQL does', () => {
    expect(classify('SAVEPOINT Sp1')).toEqual({ kind: 'savepoint', name: 'sp1', returnsRows: false });
    expect(classify('savepoint "My Sp"')).toMatchObject({ name: 'My Sp' });
    expect(classify('RELEASE SAVEPOINT a')).toMatchObject({ kind: 'release-savepoint', name: 'a' });
    expect(classify('release a')).toMatchObject({ kind: 'release-savepoint', name: 'a' });
    expect(classify('ROLLBACK TO SAVEPOINT a')).toMatchObject({ kind: 'rollback-to-savepoint', name: 'a' });
    expect(classify('rollback work to a')).toMatchObject({ kind: 'rollback-to-savepoint', name: 'a' });
  });

  it('flags two-phase commit commands', () => {
    expect(classify("PREPARE TRANSACTION 'g1'")).toEqual({ kind: 'two-phase', action: 'prepare', gid: 'g1', returnsRows: false });
    expect(classify("COMMIT PREPARED 'g1'")).toMatchObject({ kind: 'two-phase', action: 'commit-prepared' });
    expect(classify("ROLLBACK PREPARED 'g1'")).toMatchObject({ kind: 'two-phase', action: 'rollback-prepared' });
  });

  it('reports syntax errors like PostgreSQL: at the first token that cannot continue', () => {
    expect(classify('BEGIN ISOLATION LEVEL foo')).toEqual({
      kind: 'invalid',
      sqlState: '42601',
      message: 'syntax error at or near "foo"',
      offset: 22,
      returnsRows: false,
    });
    expect(classify('BEGIN READ')).toMatchObject({ kind: 'invalid', message: 'syntax error at end of input', offset: 10 });
    expect(classify('COMMIT AND')).toMatchObject({ kind: 'invalid', message: 'syntax error at end of input' });
    expect(classify('SAVEPOINT select')).toMatchObject({ kind: 'invalid', message: 'syntax error at or near "select"' });
    expect(classify('START')).toMatchObject({ kind: 'invalid' });
    expect(classify('END foo')).toMatchObject({ kind: 'invalid', message: 'syntax error at or near "foo"', offset: 4 });
  });

  it('gives PostgreSQL’s tags, including its quirks', () => {
    const tag = (sql: string, failed = false) => commandTag(classify(sql), 0, { transactionFailed: failed });
    expect(tag('BEGIN')).toBe('BEGIN');
    expect(tag('BEGIN TRANSACTION')).toBe('BEGIN');
    expect(tag('START TRANSACTION')).toBe('START TRANSACTION');
    expect(tag('COMMIT')).toBe('COMMIT');
    expect(tag('END')).toBe('COMMIT');
    expect(tag('COMMIT', true)).toBe('ROLLBACK');
    expect(tag('END', true)).toBe('ROLLBACK');
    expect(tag('ROLLBACK')).toBe('ROLLBACK');
    expect(tag('ABORT')).toBe('ROLLBACK');
    expect(tag('SAVEPOINT a')).toBe('SAVEPOINT');
    expect(tag('RELEASE a')).toBe('RELEASE');
    expect(tag('ROLLBACK TO a')).toBe('ROLLBACK');
    expect(tag("PREPARE TRANSACTION 'x'")).toBe('PREPARE TRANSACTION');
    expect(tag("COMMIT PREPARED 'x'")).toBe('COMMIT PREPARED');
  });

  it('classifies only the first statement of a multi-statement string', () => {
    expect(classify('BEGIN; SELECT 1')).toMatchObject({ kind: 'begin' });
    expect(classify('  ;  ')).toEqual({ kind: 'empty', returnsRows: false });
  });
});
