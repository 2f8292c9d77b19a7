// SessionSettings: client-side values in PostgreSQL's spelling, SET LOCAL undone at the end of
// the transaction, and RESET back to the startup value. (The same behaviour is compared with
// PostgreSQL through the proxy in test/integration/dataapi-settings-syntax.test.ts.)
import { describe, expect, it } from 'vitest';
import { SessionSettings } from '../../src/dataapi/session/settings.js';

const facts = { serverVersion: '15.0', serverVersionNum: '150000', isSuperuser: 'on', sessionAuthorization: 'postgres' };

describe('SessionSettings', () => {
  it('stores values as PostgreSQL spells them', () => {
    const s = new SessionSettings(facts, {});
    s.setClient('client_min_messages', 'WARNING');
    expect(s.clientValue('client_min_messages')).toBe('warning');
    s.setClient('extra_float_digits', '2.5');
    expect(s.clientValue('extra_float_digits')).toBe('2');
    expect(() => s.setClient('extra_float_digits', '4')).toThrow('4 is outside the valid range for parameter "extra_float_digits" (-15 .. 3)');
    expect(s.setClient('default_transaction_read_only', 'yes')).toEqual(['default_transaction_read_only', 'on']);
    expect(() => s.setClient('bytea_output', 'base64')).toThrow('invalid value for parameter "bytea_output": "base64"');
  });

  it('undoes SET LOCAL at COMMIT, keeping a later SET', () => {
    const s = new SessionSettings(facts, {});
    s.transactionStarted();
    expect(s.setClientLocal('timezone', 'Asia/Tokyo')).toEqual(['TimeZone', 'Asia/Tokyo']);
    expect(s.transactionEnded(true)).toEqual([['TimeZone', 'UTC']]);
    expect(s.clientValue('timezone')).toBe('UTC');

    s.transactionStarted();
    s.setClientLocal('application_name', 'inside');
    s.setClient('application_name', 'kept');
    expect(s.transactionEnded(true)).toEqual([]);
    expect(s.clientValue('application_name')).toBe('kept');

    s.transactionStarted();
    s.setClientLocal('application_name', 'gone');
    expect(s.transactionEnded(false)).toEqual([['application_name', 'kept']]);
  });

  it('resets to the value given at startup', () => {
    const s = new SessionSettings(facts, { TimeZone: 'Europe/Paris', options: '-c application_name=from-options' });
    s.setClient('timezone', 'UTC');
    expect(s.setClient('timezone', null)).toEqual(['TimeZone', 'Europe/Paris']);
    s.setClient('application_name', 'x');
    expect(s.resetAllClient()).toEqual([['application_name', 'from-options']]);
    expect(new SessionSettings(facts, { TimeZone: '-7' }).clientValue('timezone')).toBe('<-07>+07');
  });
});
