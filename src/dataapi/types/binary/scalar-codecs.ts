// Binary formats of the small scalar types: "char", xid, cid, xid8, tid, pg_lsn, bit, varbit,
// money, int2vector and oidvector, each as PostgreSQL 15's typsend writes and typrecv reads it.
import { TypeCodecError, SQLSTATE } from '../errors.js';
import { BinaryReader, BinaryWriter, INVALID_BINARY, parseUnsigned, type TextBinaryCodec } from './codec.js';

const UINT32_MAX = 0xffffffffn;
const UINT64_MAX = 0xffffffffffffffffn;

/** "char": one byte; charout prints NUL as '' and bytes above 127 as `\ooo`. */
export const charCodec: TextBinaryCodec = {
  send(text) {
    if (text === '') return Buffer.from([0]);
    const octal = /^\\([0-3][0-7]{2})$/.exec(text);
    if (octal) return Buffer.from([parseInt(octal[1], 8)]);
    const code = text.length === 1 ? text.charCodeAt(0) : -1;
    return code >= 0 && code < 0x80 ? Buffer.from([code]) : undefined;
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const byte = r.uint8();
    r.end();
    if (byte === 0) return '';
    return byte < 0x80 ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  },
};

/** xid, cid: an unsigned 32-bit number. */
export const uint32Codec: TextBinaryCodec = {
  send(text) {
    const n = parseUnsigned(text, UINT32_MAX);
    return n === undefined ? undefined : new BinaryWriter().uint32(Number(n)).done();
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const n = r.uint32();
    r.end();
    return String(n);
  },
};

/** xid8: an unsigned 64-bit number. */
export const uint64Codec: TextBinaryCodec = {
  send(text) {
    const n = parseUnsigned(text, UINT64_MAX);
    return n === undefined ? undefined : new BinaryWriter().uint64(n).done();
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const n = r.uint64();
    r.end();
    return n.toString();
  },
};

/** tid: `(block,offset)`, block an unsigned 32-bit and offset an unsigned 16-bit number. */
export const tidCodec: TextBinaryCodec = {
  send(text) {
    const m = /^\((\d+),(\d+)\)$/.exec(text);
    const block = m ? parseUnsigned(m[1], UINT32_MAX) : undefined;
    const offset = m ? parseUnsigned(m[2], 0xffffn) : undefined;
    if (block === undefined || offset === undefined) return undefined;
    return new BinaryWriter().uint32(Number(block)).uint16(Number(offset)).done();
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const block = r.uint32();
    const offset = r.uint16();
    r.end();
    return `(${block},${offset})`;
  },
};

/** pg_lsn: `HI/LO` in upper-case hex, an unsigned 64-bit number on the wire. */
export const pgLsnCodec: TextBinaryCodec = {
  send(text) {
    const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
    if (!m) return undefined;
    return new BinaryWriter().uint32(parseInt(m[1], 16)).uint32(parseInt(m[2], 16)).done();
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const hi = r.uint32();
    const lo = r.uint32();
    r.end();
    return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
  },
};

/** VARBITMAXLEN: the most bits a bit string may have. */
const VARBIT_MAX_LENGTH = 0x7fffffff - 8 * 8 - 7;

/** bit, varbit: int32 bit count, then the bits packed high first, the last byte zero-padded. */
export const bitStringCodec: TextBinaryCodec = {
  send(text) {
    if (!/^[01]*$/.test(text)) return undefined;
    const bytes = Buffer.alloc(Math.ceil(text.length / 8));
    for (let i = 0; i < text.length; i++) if (text[i] === '1') bytes[i >> 3] |= 0x80 >> (i & 7);
    return new BinaryWriter().int32(text.length).bytes(bytes).done();
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const bitCount = r.int32();
    if (bitCount < 0 || bitCount > VARBIT_MAX_LENGTH) reject('invalid length in external bit string', INVALID_BINARY);
    const bytes = r.bytes(Math.ceil(bitCount / 8));
    r.end();
    // varbit_recv zeroes the padding bits, so whatever they held is ignored.
    let text = '';
    for (let i = 0; i < bitCount; i++) text += bytes[i >> 3] & (0x80 >> (i & 7)) ? '1' : '0';
    return text;
  },
};

/**
 * money: int64 in the currency's smallest unit. Its text depends on lc_monetary; the proxy reads
 * the form of the C and en_US locales (`$1,234.56`, `-$1,234.56`, two fraction digits) and
 * refuses any other rather than guess the scale.
 */
export const moneyCodec: TextBinaryCodec = {
  send(text) {
    const m = /^(-)?\$(\d{1,3}(?:,\d{3})*)\.(\d{2})$/.exec(text);
    if (!m) {
      throw new TypeCodecError(
        SQLSTATE.featureNotSupported,
        `binary output of type money is supported only in the C or en_US form of lc_monetary ($1,234.56), not ${JSON.stringify(text)}; request text format`,
      );
    }
    const cents = BigInt(m[2].replace(/,/g, '') + m[3]);
    return new BinaryWriter().int64(m[1] ? -cents : cents).done();
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const cents = r.int64();
    r.end();
    // A plain decimal with two fraction digits, which cash_in reads under the same locales.
    const abs = (cents < 0n ? -cents : cents).toString().padStart(3, '0');
    return `${cents < 0n ? '-' : ''}${abs.slice(0, -2)}.${abs.slice(-2)}`;
  },
};

/**
 * int2vector, oidvector: array_send of a one-dimensional array whose lower bound is 0; the text
 * form is the numbers separated by spaces.
 */
function vectorCodec(typeName: string, elementOid: number, elementSize: 2 | 4): TextBinaryCodec {
  const max = elementSize === 2 ? 0x7fffn : UINT32_MAX;
  return {
    send(text) {
      const words = text === '' ? [] : text.split(' ');
      const w = new BinaryWriter().int32(1).int32(0).uint32(elementOid).int32(words.length).int32(0);
      for (const word of words) {
        const negative = word.startsWith('-') && elementSize === 2;
        const n = parseUnsigned(negative ? word.slice(1) : word, negative ? 0x8000n : max);
        if (n === undefined) return undefined;
        w.int32(elementSize);
        if (elementSize === 2) w.int16(Number(negative ? -n : n));
        else w.uint32(Number(n));
      }
      return w.done();
    },
    recv(buf, reject) {
      const r = new BinaryReader(buf, reject);
      const ndim = r.int32();
      const flags = r.int32();
      const elemOid = r.uint32();
      if (ndim < 0) reject(`invalid number of dimensions: ${ndim}`, INVALID_BINARY);
      if (flags !== 0 && flags !== 1) reject('invalid array flags', INVALID_BINARY);
      if (elemOid !== elementOid) {
        reject(`binary data has array element type ${elemOid} instead of expected ${elementOid}`, SQLSTATE.datatypeMismatch);
      }
      const invalid = `invalid ${typeName} data`;
      if (ndim !== 1) reject(invalid, INVALID_BINARY);
      const count = r.int32();
      const lowerBound = r.int32();
      if (count <= 0 || lowerBound !== 0) reject(invalid, INVALID_BINARY);
      const words: string[] = [];
      for (let i = 0; i < count; i++) {
        const len = r.int32();
        if (len === -1) reject(invalid, INVALID_BINARY);
        if (len !== elementSize) reject(`improper binary format in array element ${i + 1}`, INVALID_BINARY);
        words.push(String(elementSize === 2 ? r.int16() : r.uint32()));
      }
      r.end();
      return words.join(' ');
    },
  };
}

export const int2vectorCodec = vectorCodec('int2vector', 21, 2);
export const oidvectorCodec = vectorCodec('oidvector', 26, 4);
