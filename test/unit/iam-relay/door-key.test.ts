// The native door's key for a set of startup parameters must be byte for byte what door.c builds
// from the client's packet: names ordered by their bytes, each name and value followed by a zero
// byte, in UTF-8.
import { describe, expect, it } from 'vitest';
import { doorKey } from '../../../src/iam-relay/native/door-key.js';

describe('doorKey', () => {
  it('orders parameters by the bytes of their names, whatever order they came in', () => {
    const a = doorKey({ user: 'admin', database: 'postgres', application_name: 'psql' });
    const b = doorKey({ application_name: 'psql', user: 'admin', database: 'postgres' });
    expect(a).toEqual(b);
    expect(a.toString('latin1')).toBe('application_name\0psql\0database\0postgres\0user\0admin\0');
  });

  it('compares names as bytes: upper case before lower case, a prefix before what extends it', () => {
    expect(doorKey({ b: '1', B: '2', bb: '3' }).toString('latin1')).toBe('B\x002\0b\x001\0bb\x003\0');
  });

  it('encodes names and values in UTF-8, as a client sends them', () => {
    expect(doorKey({ user: 'jürgen' })).toEqual(Buffer.concat([Buffer.from('user\0'), Buffer.from('jürgen', 'utf8'), Buffer.from([0])]));
  });
});
