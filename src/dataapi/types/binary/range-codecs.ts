// Range types (range_send): a flags byte, then each finite bound as int32 length + the subtype's
// binary value. Text form (range_out): `empty`, or `[`/`(` lower `,` upper `]`/`)` with an absent
// bound for infinity and bounds double-quoted when they need it.
import { formatDate, formatTimestamp, parseDate, parseTimestamp } from '../datetime.js';
import { decodeNumericBinary, encodeNumericBinary } from '../numeric.js';
import { BinaryReader, BinaryWriter, INVALID_BINARY, type Reject, type TextBinaryCodec } from './codec.js';

const RANGE_EMPTY = 0x01;
const RANGE_LB_INC = 0x02;
const RANGE_UB_INC = 0x04;
const RANGE_LB_INF = 0x08;
const RANGE_UB_INF = 0x10;

/** A range subtype's binary value from its text and back. */
interface BoundCodec {
  send(text: string): Buffer | undefined;
  recv(buf: Buffer, reject: Reject): string;
}

function fixedInteger(size: 4 | 8): BoundCodec {
  const min = size === 4 ? -(2n ** 31n) : -(2n ** 63n);
  const max = -min - 1n;
  return {
    send(text) {
      if (!/^-?\d+$/.test(text)) return undefined;
      const n = BigInt(text);
      if (n < min || n > max) return undefined;
      return size === 4 ? new BinaryWriter().int32(Number(n)).done() : new BinaryWriter().int64(n).done();
    },
    recv(buf, reject) {
      const r = new BinaryReader(buf, reject);
      const n = size === 4 ? String(r.int32()) : r.int64().toString();
      r.end();
      return n;
    },
  };
}

const numericBound: BoundCodec = {
  send: (text) => encodeNumericBinary(text),
  recv(buf, reject) {
    const decoded = decodeNumericBinary(buf);
    if ('text' in decoded) return decoded.text;
    return decoded.problem === 'length' ? reject() : reject(`invalid ${decoded.problem} in external "numeric" value`, INVALID_BINARY);
  },
};

const dateBound: BoundCodec = {
  send(text) {
    const days = parseDate(text);
    return days === undefined ? undefined : new BinaryWriter().int32(days).done();
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const days = r.int32();
    r.end();
    return formatDate(days);
  },
};

function timestampBound(withZone: boolean): BoundCodec {
  return {
    send(text) {
      // tstzrange bounds carry the Data API session's offset; parseTimestamp subtracts it.
      const ts = parseTimestamp(text);
      const infinite = /^-?infinity$/.test(text);
      if (!ts || (ts.hadOffset !== withZone && !infinite)) return undefined;
      return new BinaryWriter().int64(ts.micros).done();
    },
    recv(buf, reject) {
      const r = new BinaryReader(buf, reject);
      const micros = r.int64();
      r.end();
      return formatTimestamp(micros, withZone);
    },
  };
}

function unquoteBound(raw: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) out += raw[++i];
    else if (c === '"') {
      if (quoted && raw[i + 1] === '"') {
        out += '"';
        i++;
      } else quoted = !quoted;
    } else out += c;
  }
  return out;
}

/** Splits `lower,upper` at the comma outside quotes; undefined when there is not exactly one. */
function splitBounds(inner: string): [string, string] | undefined {
  let quoted = false;
  let comma = -1;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      if (comma >= 0) return undefined;
      comma = i;
    }
  }
  return comma < 0 ? undefined : [inner.slice(0, comma), inner.slice(comma + 1)];
}

function quoteBound(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => '\\' + c)}"`;
}

function rangeCodec(bound: BoundCodec): TextBinaryCodec {
  return {
    send(text) {
      if (text === 'empty') return Buffer.from([RANGE_EMPTY]);
      const m = /^([[(])(.*)([\])])$/s.exec(text);
      const parts = m ? splitBounds(m[2]) : undefined;
      if (!m || !parts) return undefined;
      let flags = (m[1] === '[' ? RANGE_LB_INC : 0) | (m[3] === ']' ? RANGE_UB_INC : 0);
      const w = new BinaryWriter();
      const values: Buffer[] = [];
      for (const [raw, infinite] of [[parts[0], RANGE_LB_INF], [parts[1], RANGE_UB_INF]] as const) {
        if (raw === '') {
          flags |= infinite;
          continue;
        }
        const value = bound.send(unquoteBound(raw));
        if (!value) return undefined;
        values.push(new BinaryWriter().int32(value.length).bytes(value).done());
      }
      w.uint8(flags);
      for (const v of values) w.bytes(v);
      return w.done();
    },
    recv(buf, reject) {
      const r = new BinaryReader(buf, reject);
      // range_recv ignores the flag bits it does not know.
      const flags = r.uint8() & (RANGE_EMPTY | RANGE_LB_INC | RANGE_UB_INC | RANGE_LB_INF | RANGE_UB_INF);
      const readBound = (infinite: number): string | undefined => {
        if (flags & (RANGE_EMPTY | infinite)) return undefined;
        const len = r.int32();
        return bound.recv(r.bytes(len), reject);
      };
      const lower = readBound(RANGE_LB_INF);
      const upper = readBound(RANGE_UB_INF);
      r.end();
      if (flags & RANGE_EMPTY) return 'empty';
      // range_in clears the inclusive flag of an infinite bound, as make_range does.
      return `${flags & RANGE_LB_INC ? '[' : '('}${lower === undefined ? '' : quoteBound(lower)},${
        upper === undefined ? '' : quoteBound(upper)
      }${flags & RANGE_UB_INC ? ']' : ')'}`;
    },
  };
}

export const int4rangeCodec = rangeCodec(fixedInteger(4));
export const int8rangeCodec = rangeCodec(fixedInteger(8));
export const numrangeCodec = rangeCodec(numericBound);
export const daterangeCodec = rangeCodec(dateBound);
export const tsrangeCodec = rangeCodec(timestampBound(false));
export const tstzrangeCodec = rangeCodec(timestampBound(true));
