// The prepared statements a client made, as --reuse-connections follows them to close them
// before the connection serves another client.
import { describe, expect, it } from 'vitest';
import { MAX_FOLLOWED_STATEMENTS, NamedStatements } from '../../../src/iam-relay/named-statements.js';

const parseHead = (name: string, query = 'select 1') => Buffer.from(`${name}\0${query}\0\0\0`, 'latin1');

describe('NamedStatements', () => {
  it('follows named Parse messages once each, ignoring the unnamed statement', () => {
    const t = new NamedStatements();
    t.parsed(parseHead(''));
    t.parsed(parseHead('S_1'));
    t.parsed(parseHead('S_2'));
    t.parsed(parseHead('S_2')); // a second Parse of the name fails on the server; still one statement
    expect(t.made).toEqual(['S_1', 'S_2']);
  });

  it('keeps names byte for byte', () => {
    const t = new NamedStatements();
    const name = Buffer.from([0x73, 0xc3, 0xa9, 0xff]).toString('latin1');
    t.parsed(parseHead(name));
    expect(Buffer.from(t.made![0], 'latin1')).toEqual(Buffer.from([0x73, 0xc3, 0xa9, 0xff]));
  });

  it('gives up on a name longer than the capture, and beyond the limit', () => {
    const longName = new NamedStatements();
    longName.parsed(Buffer.from('x'.repeat(256), 'latin1')); // no end within the capture
    expect(longName.made).toBeNull();
    const many = new NamedStatements();
    for (let i = 0; i < MAX_FOLLOWED_STATEMENTS; i++) many.parsed(parseHead(`s${i}`));
    expect(many.made).toHaveLength(MAX_FOLLOWED_STATEMENTS);
    many.parsed(parseHead('one_more'));
    expect(many.made).toBeNull();
  });
});
