// The binary codecs of binary/: the forms a differential test against one PostgreSQL cannot
// produce (other locales, other session time zones, other IntervalStyles) and their refusals.
// Byte-for-byte agreement with PostgreSQL is checked in test/integration/dataapi-binary-types.test.ts.
import { describe, expect, it } from 'vitest';
import type { Field } from '@aws-sdk/client-rds-data';
import { fieldToBinary, resolveColumn } from '../../../src/dataapi/types/index.js';
import { TEXT_BINARY_CODECS } from '../../../src/dataapi/types/binary/index.js';
import { xmlSendText } from '../../../src/dataapi/types/binary/xml-send.js';

const bin = (field: Field, typeName: string): Buffer | null => fieldToBinary(field, resolveColumn({ typeName }));
const hex = (field: Field, typeName: string): string | undefined => bin(field, typeName)?.toString('hex');

describe('binary output from the text the Data API returns', () => {
  it('reads a tstzrange printed in another session time zone as the same instants', () => {
    expect(hex({ stringValue: '["2020-01-01 02:00:00+02","2020-01-01 00:00:00+00")' }, 'tstzrange')).toBe(
      hex({ stringValue: '["2020-01-01 00:00:00+00","2020-01-01 00:00:00+00")' }, 'tstzrange'),
    );
  });

  it('refuses money printed in a locale other than C or en_US with 0A000', () => {
    expect(hex({ stringValue: '-$1,234.56' }, 'money')).toBe((-123456n & 0xffffffffffffffffn).toString(16));
    expect(() => bin({ stringValue: '1.234,56 €' }, 'money')).toThrowError(expect.objectContaining({ sqlstate: '0A000' }));
  });

  it('refuses an interval in another IntervalStyle rather than misread it', () => {
    expect(hex({ stringValue: '1 year 2 mons -3 days +04:05:06.5' }, 'interval')).toBe(
      '000000036c9361a0' + 'fffffffd' + '0000000e',
    );
    expect(() => bin({ stringValue: 'P1Y2M' }, 'interval')).toThrowError(expect.objectContaining({ sqlstate: 'XX000' }));
    expect(() => bin({ stringValue: '@ 1 year 2 mons' }, 'interval')).toThrowError(expect.objectContaining({ sqlstate: 'XX000' }));
  });

  it('prints an XML declaration again only when it says more than the defaults', () => {
    expect(xmlSendText('<?xml version="1.0" encoding="LATIN1"?>\n<a/>')).toBe('<a/>');
    expect(xmlSendText("<?xml version='1.0' standalone='yes'?><a/>")).toBe('<?xml version="1.0" standalone="yes"?><a/>');
    expect(xmlSendText('<a/>')).toBe('<a/>');
  });
});

describe('binary input', () => {
  const reject = (message?: string, sqlstate?: string): never => {
    throw Object.assign(new Error(message ?? 'incorrect binary data format'), { sqlstate: sqlstate ?? '22P03' });
  };
  const recv = (oid: number, hexBytes: string) => TEXT_BINARY_CODECS.get(oid)!.recv(Buffer.from(hexBytes, 'hex'), reject);

  it('gives text literals that the input functions read back', () => {
    expect(recv(18, '00')).toBe('');
    expect(recv(18, 'e9')).toBe('\\351');
    expect(recv(869, '02200004' + 'c0a80001')).toBe('192.168.0.1/32');
    expect(recv(650, '03400110' + '20010db8' + '0'.repeat(24))).toBe('2001:db8:0:0:0:0:0:0/64');
    expect(recv(774, '08002b010203')).toBe('08:00:2b:ff:fe:01:02:03');
    expect(recv(3904, '12' + '00000004' + '00000005')).toBe('["5",)');
    expect(recv(790, 'ffffffffffffffff')).toBe('-0.01');
  });

  it('refuses what typrecv refuses, with its SQLSTATE', () => {
    expect(() => recv(18, '')).toThrowError(expect.objectContaining({ sqlstate: '08P01' }));
    expect(() => recv(28, '0000000100')).toThrowError(expect.objectContaining({ sqlstate: '22P03' }));
    expect(() => recv(22, '00000000' + '00000000' + '00000015')).toThrowError(/invalid int2vector data/);
    expect(() => recv(718, '0'.repeat(32) + 'bff0000000000000')).toThrowError(/invalid radius/);
  });
});
