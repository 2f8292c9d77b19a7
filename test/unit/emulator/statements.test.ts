import { describe, expect, it } from 'vitest';
import { countStatements } from '../../../src/emulator/statements.js';

describe('countStatements', () => {
  it('counts one statement with or without a trailing semicolon', () => {
    expect(countStatements('SELECT 1')).toBe(1);
    expect(countStatements('SELECT 1;')).toBe(1);
    expect(countStatements('  SELECT 1 ;  -- done\n')).toBe(1);
    expect(countStatements('SELECT 1;;')).toBe(1);
  });

  it('counts two statements separated by a semicolon', () => {
    expect(countStatements('SELECT 1; SELECT 2')).toBe(2);
    expect(countStatements('insert into t values (1);delete from t;')).toBe(2);
  });

  it('ignores semicolons in strings, identifiers, dollar quotes and comments', () => {
    expect(countStatements("SELECT ';' AS a")).toBe(1);
    expect(countStatements("SELECT 'it''s; fine'")).toBe(1);
    expect(countStatements("SELECT E'a\\'; b'")).toBe(1);
    expect(countStatements('SELECT 1 AS "x;y"')).toBe(1);
    expect(countStatements('SELECT $$a;b$$')).toBe(1);
    expect(countStatements('SELECT $fn$ ; $$ ; $fn$')).toBe(1);
    expect(countStatements('SELECT 1 -- ; not here\n')).toBe(1);
    expect(countStatements('SELECT /* ; /* nested ; */ still ; */ 1')).toBe(1);
  });

  it('does not take $1 or a$b for dollar quotes', () => {
    expect(countStatements('SELECT $1; SELECT $2')).toBe(2);
    expect(countStatements('SELECT a$b$ FROM t; SELECT 2')).toBe(2);
  });

  it('counts nothing in blank or comment-only text', () => {
    expect(countStatements('')).toBe(0);
    expect(countStatements(' ; -- x\n /* y */ ;')).toBe(0);
  });
});
