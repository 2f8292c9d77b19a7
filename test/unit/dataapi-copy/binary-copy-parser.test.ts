// The binary COPY FROM STDIN reader: header, rows split across CopyData messages anywhere,
// the trailer, and PostgreSQL's errors for malformed data.
import { describe, expect, it } from 'vitest';
import { BinaryCopyParser } from '../../../src/dataapi/copy/binary-copy-parser.js';

const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.from('00000000' + '00000000', 'hex')]);
const TRAILER = Buffer.from('ffff', 'hex');

function row(...fields: (string | null)[]): Buffer {
  const parts = [Buffer.from([0, fields.length])];
  for (const f of fields) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(f === null ? -1 : Buffer.byteLength(f));
    parts.push(b);
    if (f !== null) parts.push(Buffer.from(f));
  }
  return Buffer.concat(parts);
}

const upper = (value: Buffer) => value.toString('utf8').toUpperCase();
const parser = () => new BinaryCopyParser([upper, upper], ['a', 'b'], 't');

describe('BinaryCopyParser', () => {
  it('reads rows however the data is split into messages', () => {
    const data = Buffer.concat([HEADER, row('x', null), row('', 'yz'), TRAILER]);
    for (const size of [1, 3, 7, data.length]) {
      const p = parser();
      const rows = [];
      for (let at = 0; at < data.length; at += size) rows.push(...p.push(data.subarray(at, at + size)));
      rows.push(...p.finish());
      expect(rows).toEqual([['X', null], ['', 'YZ']]);
    }
  });

  it('accepts data that ends without its trailer, between rows', () => {
    const p = parser();
    expect(p.push(Buffer.concat([HEADER, row('a', 'b')]))).toEqual([['A', 'B']]);
    expect(p.lastRowLineNumbers).toEqual([1]);
    expect(p.finish()).toEqual([]);
  });

  it("refuses what PostgreSQL's binary COPY refuses", () => {
    const fails = (data: Buffer) => {
      const p = parser();
      try {
        p.push(data);
        p.finish();
      } catch (err) {
        return err as { sqlstate: string; message: string; where?: string };
      }
      throw new Error('accepted');
    };
    expect(fails(Buffer.from('PGCOPX\n\xff\r\n\0', 'latin1'))).toMatchObject({ sqlstate: '22P04', message: 'COPY file signature not recognized' });
    expect(fails(Buffer.concat([HEADER, row('a')]))).toMatchObject({ message: 'row field count is 1, expected 2', where: 'COPY t, line 1' });
    expect(fails(Buffer.concat([HEADER, row('a', 'b').subarray(0, 9)]))).toMatchObject({ message: 'unexpected EOF in COPY data' });
    expect(fails(Buffer.concat([HEADER, TRAILER, row('a', 'b')]))).toMatchObject({ message: 'received copy data after EOF marker' });
    const failing = new BinaryCopyParser(
      [
        upper,
        () => {
          throw Object.assign(new Error('incorrect binary data format'), { sqlstate: '22P03' });
        },
      ],
      ['a', 'b'],
      't',
    );
    expect(() => failing.push(Buffer.concat([HEADER, row('a', 'b')]))).toThrowError(
      expect.objectContaining({ sqlstate: '22P03', where: 'COPY t, line 1, column b' }),
    );
  });
});
