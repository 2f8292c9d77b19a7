// Binary formats of line, lseg, path, polygon and circle: float8 coordinates in the order their
// text output prints them (point and box live in binary-output.ts / param-input.ts). The Data API
// session prints floats with extra_float_digits 1, the shortest text that reads back exactly, so
// parsing the text gives the very doubles PostgreSQL would send.
import { formatFloat8 } from '../float-format.js';
import { BinaryReader, BinaryWriter, INVALID_BINARY, parseFloat8Text, type TextBinaryCodec } from './codec.js';

/** The numbers of a geometric text form, in order; undefined when one is not a float8. */
function coordinates(text: string): number[] | undefined {
  const tokens = text.split(/[(){}[\]<>,]/).filter((t) => t.trim() !== '');
  const numbers = tokens.map(parseFloat8Text);
  return numbers.every((n): n is number => n !== undefined) ? numbers : undefined;
}

function floats(values: readonly number[]): Buffer {
  const w = new BinaryWriter();
  for (const v of values) w.float8(v);
  return w.done();
}

const f = formatFloat8;
const pointText = (x: number, y: number) => `(${f(x)},${f(y)})`;

function readPoints(r: BinaryReader, count: number): string {
  const points: string[] = [];
  for (let i = 0; i < count; i++) points.push(pointText(r.float8(), r.float8()));
  return points.join(',');
}

/** FPzero: PostgreSQL's geometric comparisons treat |x| <= 1e-6 as zero. */
const fpZero = (x: number) => Math.abs(x) <= 1e-6;

export const lineCodec: TextBinaryCodec = {
  send(text) {
    const n = /^\{.*\}$/.test(text) ? coordinates(text) : undefined;
    return n?.length === 3 ? floats(n) : undefined;
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const [a, b, c] = [r.float8(), r.float8(), r.float8()];
    r.end();
    if (fpZero(a) && fpZero(b)) reject('invalid line specification: A and B cannot both be zero', INVALID_BINARY);
    return `{${f(a)},${f(b)},${f(c)}}`;
  },
};

export const lsegCodec: TextBinaryCodec = {
  send(text) {
    const n = /^\[.*\]$/.test(text) ? coordinates(text) : undefined;
    return n?.length === 4 ? floats(n) : undefined;
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const text = `[${readPoints(r, 2)}]`;
    r.end();
    return text;
  },
};

// The most points a path or polygon may have (the varlena limit over 16 bytes a point).
const MAX_POINTS = Math.floor((0x7fffffff - 40) / 16);

/** path: closed flag byte, int32 point count, points; `((…))` closed, `[(…)]` open. */
export const pathCodec: TextBinaryCodec = {
  send(text) {
    const closed = text.startsWith('(');
    if (!closed && !text.startsWith('[')) return undefined;
    const n = coordinates(text);
    if (!n || n.length === 0 || n.length % 2 !== 0) return undefined;
    return Buffer.concat([new BinaryWriter().uint8(closed ? 1 : 0).int32(n.length / 2).done(), floats(n)]);
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const closed = r.uint8() !== 0;
    const count = r.int32();
    if (count <= 0 || count >= MAX_POINTS) reject('invalid number of points in external "path" value', INVALID_BINARY);
    const points = readPoints(r, count);
    r.end();
    return closed ? `(${points})` : `[${points}]`;
  },
};

/** polygon: int32 point count, points (poly_recv computes the bounding box again). */
export const polygonCodec: TextBinaryCodec = {
  send(text) {
    const n = text.startsWith('(') ? coordinates(text) : undefined;
    if (!n || n.length === 0 || n.length % 2 !== 0) return undefined;
    return Buffer.concat([new BinaryWriter().int32(n.length / 2).done(), floats(n)]);
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const count = r.int32();
    if (count <= 0 || count >= MAX_POINTS) reject('invalid number of points in external "polygon" value', INVALID_BINARY);
    const points = readPoints(r, count);
    r.end();
    return `(${points})`;
  },
};

/** circle: center x, center y, radius; text `<(x,y),r>`. */
export const circleCodec: TextBinaryCodec = {
  send(text) {
    const n = /^<.*>$/.test(text) ? coordinates(text) : undefined;
    return n?.length === 3 ? floats(n) : undefined;
  },
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const [x, y, radius] = [r.float8(), r.float8(), r.float8()];
    r.end();
    if (radius < 0) reject('invalid radius in external "circle" value', INVALID_BINARY);
    return `<${pointText(x, y)},${f(radius)}>`;
  },
};
