import { describe, expect, it } from 'vitest';
import { classifyStatement, commandTag, type ClassifiedStatement } from '../../../src/dataapi/sql/index.js';

function set(sql: string): Extract<ClassifiedStatement, { kind: 'set' }> {
  const c = classifyStatement(sql);
  if (c.kind !== 'set') throw new Error(`${sql} classified as ${JSON.stringify(c)}`);
  return c;
}

describe('SET', () => {
  it('parses scope, name and value', () => {
    expect(classifyStatement('SET statement_timeout = 1000')).toEqual({
      kind: 'set',
      local: false,
      name: 'statement_timeout',
      value: { type: 'value', value: '1000' },
      valueText: '1000',
      returnsRows: false,
    });
    expect(set('SET LOCAL work_mem TO 64000')).toMatchObject({ local: true, name: 'work_mem' });
    expect(set('SET SESSION work_mem TO 64000')).toMatchObject({ local: false, name: 'work_mem' });
  });

  it('stores values the way PostgreSQL does', () => {
    const value = (sql: string) => {
      const v = set(sql).value;
      return v.type === 'value' ? v.value : v.type;
    };
    expect(value("SET application_name = 'My App'")).toBe('My App');
    expect(value('SET application_name = MyApp')).toBe('myapp');
    expect(value('SET application_name = "MyApp"')).toBe('MyApp');
    expect(value('SET x.y = 007')).toBe('7');
    expect(value('SET x.y = -42')).toBe('-42');
    expect(value('SET x.y = +42')).toBe('42');
    expect(value('SET x.y = 1.50')).toBe('1.50');
    expect(value('SET x.y = -1.5e3')).toBe('-1.5e3');
    expect(value('SET x.y = 99999999999')).toBe('99999999999');
    expect(value('SET x.y = TRUE')).toBe('true');
    expect(value('SET x.y = off')).toBe('off');
    expect(value('SET x.y = on')).toBe('on');
    expect(value("SET x.y = E'a\\tb'")).toBe('a\tb');
    expect(value('SET x.y = $$d$$')).toBe('d');
    expect(value('SET x.y TO DEFAULT')).toBe('default');
    expect(value('SET x.y FROM CURRENT')).toBe('from-current');
  });

  it('quotes list elements of search_path through quote_identifier', () => {
    const v = set(`SET search_path TO "$user", public, 'My Schema', Other, "user", ''`).value;
    expect(v).toEqual({ type: 'value', value: '"$user", public, "My Schema", other, "user", ""' });
  });

  it('canonicalises the special forms', () => {
    expect(set("SET TIME ZONE 'Europe/Paris'")).toMatchObject({ name: 'timezone', value: { type: 'value', value: 'Europe/Paris' } });
    expect(set('SET TIME ZONE UTC')).toMatchObject({ name: 'timezone', value: { type: 'value', value: 'utc' } });
    expect(set('SET TIME ZONE -7')).toMatchObject({ name: 'timezone', value: { type: 'value', value: '-7' } });
    expect(set('SET TIME ZONE LOCAL')).toMatchObject({ name: 'timezone', value: { type: 'default' } });
    expect(set('SET TIME ZONE DEFAULT')).toMatchObject({ name: 'timezone', value: { type: 'default' } });
    expect(set("SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE")).toMatchObject({
      name: 'timezone',
      value: { type: 'interval', literal: '+02:00', qualifier: 'hour to minute', precision: null },
      valueText: "INTERVAL '+02:00' HOUR TO MINUTE",
    });
    expect(set("SET TIME ZONE INTERVAL '-08:00'")).toMatchObject({ value: { type: 'interval', literal: '-08:00', qualifier: '', precision: null } });
    expect(set("SET TIME ZONE INTERVAL '5' HOUR")).toMatchObject({ value: { type: 'interval', literal: '5', qualifier: 'hour' } });
    expect(set("SET TIME ZONE INTERVAL(0) '1:02:03'")).toMatchObject({ value: { type: 'interval', literal: '1:02:03', qualifier: '', precision: 0 } });
    expect(classifyStatement("SET TIME ZONE INTERVAL '1' SECOND")).toMatchObject({ kind: 'invalid', sqlState: '42601', message: 'time zone interval must be HOUR or HOUR TO MINUTE' });
    expect(classifyStatement("SET TIME ZONE INTERVAL '1' banana")).toMatchObject({ kind: 'invalid', sqlState: '42601' });
    expect(set("SET NAMES 'UTF8'")).toMatchObject({ name: 'client_encoding', value: { type: 'value', value: 'UTF8' } });
    expect(set('SET NAMES')).toMatchObject({ name: 'client_encoding', value: { type: 'default' } });
    expect(set("SET SCHEMA 'My Schema'")).toMatchObject({ name: 'search_path', value: { type: 'value', value: '"My Schema"' } });
    expect(set('SET ROLE NONE')).toMatchObject({ name: 'role', value: { type: 'value', value: 'none' } });
    expect(set("SET ROLE 'Admin'")).toMatchObject({ name: 'role', value: { type: 'value', value: 'Admin' } });
    expect(set('SET SESSION AUTHORIZATION DEFAULT')).toMatchObject({ name: 'session_authorization', value: { type: 'default' } });
    expect(set('SET SESSION AUTHORIZATION bob')).toMatchObject({ name: 'session_authorization', local: false });
    expect(set('SET LOCAL SESSION AUTHORIZATION bob')).toMatchObject({ name: 'session_authorization', local: true });
    expect(set('SET XML OPTION DOCUMENT')).toMatchObject({ name: 'xmloption', value: { type: 'value', value: 'document' } });
    expect(set('SET "TimeZone" = \'UTC\'')).toMatchObject({ name: 'timezone' });
  });

  it('treats LOCAL and SESSION as names when they are followed by TO or =', () => {
    expect(set('SET session = 1')).toMatchObject({ name: 'session', local: false });
    expect(set('SET local TO 1')).toMatchObject({ name: 'local', local: false });
  });

  it('parses SET TRANSACTION and SET SESSION CHARACTERISTICS', () => {
    expect(classifyStatement('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY')).toEqual({
      kind: 'set-transaction',
      scope: 'transaction',
      modes: { isolationLevel: 'serializable', readOnly: true },
      snapshot: null,
      returnsRows: false,
    });
    expect(classifyStatement('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY')).toMatchObject({
      kind: 'set-transaction',
      scope: 'session',
      modes: { readOnly: true },
    });
    expect(classifyStatement("SET TRANSACTION SNAPSHOT '00000003-0000001B-1'")).toMatchObject({
      kind: 'set-transaction',
      snapshot: '00000003-0000001B-1',
    });
  });

  it('recognises SET CONSTRAINTS as its own command', () => {
    const c = classifyStatement('SET CONSTRAINTS ALL DEFERRED');
    expect(c).toMatchObject({ kind: 'generic', verb: 'SET CONSTRAINTS' });
    expect(commandTag(c)).toBe('SET CONSTRAINTS');
  });

  it('rejects what PostgreSQL rejects', () => {
    expect(classifyStatement('SET x')).toMatchObject({ kind: 'invalid', message: 'syntax error at end of input' });
    expect(classifyStatement('SET x.y = null')).toMatchObject({ kind: 'invalid', message: 'syntax error at or near "null"' });
    expect(classifyStatement('SET NAMES utf8')).toMatchObject({ kind: 'invalid', message: 'syntax error at or near "utf8"' });
    expect(classifyStatement('SET TRANSACTION')).toMatchObject({ kind: 'invalid', message: 'syntax error at end of input' });
    expect(classifyStatement("SET CATALOG 'db'")).toMatchObject({ kind: 'invalid', sqlState: '0A000', message: 'current database cannot be changed' });
  });

  it('tags every SET form "SET"', () => {
    for (const sql of ['SET a.b = 1', 'SET TRANSACTION READ ONLY', 'SET ROLE NONE', 'SET TIME ZONE UTC']) {
      expect(commandTag(classifyStatement(sql))).toBe('SET');
    }
  });
});

describe('RESET and SHOW', () => {
  it('canonicalise names', () => {
    expect(classifyStatement('RESET ALL')).toEqual({ kind: 'reset', name: null, returnsRows: false });
    expect(classifyStatement('RESET Work_Mem')).toMatchObject({ kind: 'reset', name: 'work_mem' });
    expect(classifyStatement('RESET TIME ZONE')).toMatchObject({ name: 'timezone' });
    expect(classifyStatement('RESET SESSION AUTHORIZATION')).toMatchObject({ name: 'session_authorization' });
    expect(classifyStatement('RESET TRANSACTION ISOLATION LEVEL')).toMatchObject({ name: 'transaction_isolation' });
    expect(classifyStatement('SHOW ALL')).toEqual({ kind: 'show', name: null, returnsRows: true });
    expect(classifyStatement('SHOW TIME ZONE')).toMatchObject({ kind: 'show', name: 'timezone' });
    expect(classifyStatement('show myapp.Setting')).toMatchObject({ kind: 'show', name: 'myapp.setting' });
    expect(classifyStatement('SHOW TRANSACTION ISOLATION LEVEL')).toMatchObject({ name: 'transaction_isolation' });
  });

  it('reject incomplete forms and tag RESET / SHOW', () => {
    expect(classifyStatement('RESET')).toMatchObject({ kind: 'invalid' });
    expect(classifyStatement('SHOW')).toMatchObject({ kind: 'invalid' });
    expect(commandTag(classifyStatement('RESET ALL'))).toBe('RESET');
    expect(commandTag(classifyStatement('SHOW search_path'), 1)).toBe('SHOW');
  });
});
