// The binary codecs of the types whose values reach the proxy as PostgreSQL's text output and
// that drivers read or send in binary (asyncpg for every type it knows; pgJDBC, pgx,
// tokio-postgres for some), by type OID. binary-output.ts and param-input.ts consult this table
// for every type they do not handle themselves.
import type { TextBinaryCodec } from './codec.js';
import { circleCodec, lineCodec, lsegCodec, pathCodec, polygonCodec } from './geometry-codecs.js';
import { intervalCodec } from './interval-codec.js';
import { cidrCodec, inetCodec, macaddr8Codec, macaddrCodec } from './network-codecs.js';
import { daterangeCodec, int4rangeCodec, int8rangeCodec, numrangeCodec, tsrangeCodec, tstzrangeCodec } from './range-codecs.js';
import {
  bitStringCodec,
  charCodec,
  int2vectorCodec,
  moneyCodec,
  oidvectorCodec,
  pgLsnCodec,
  tidCodec,
  uint32Codec,
  uint64Codec,
} from './scalar-codecs.js';

export type { Reject, TextBinaryCodec } from './codec.js';
export { formatIntervalInput } from './interval-codec.js';

export const TEXT_BINARY_CODECS: ReadonlyMap<number, TextBinaryCodec> = new Map<number, TextBinaryCodec>([
  [18, charCodec], // "char"
  [22, int2vectorCodec],
  [27, tidCodec],
  [28, uint32Codec], // xid
  [29, uint32Codec], // cid
  [30, oidvectorCodec],
  [601, lsegCodec],
  [602, pathCodec],
  [604, polygonCodec],
  [628, lineCodec],
  [650, cidrCodec],
  [718, circleCodec],
  [774, macaddr8Codec],
  [790, moneyCodec],
  [829, macaddrCodec],
  [869, inetCodec],
  [1186, intervalCodec],
  [1560, bitStringCodec], // bit
  [1562, bitStringCodec], // varbit
  [3220, pgLsnCodec],
  [3904, int4rangeCodec],
  [3906, numrangeCodec],
  [3908, tsrangeCodec],
  [3910, tstzrangeCodec],
  [3912, daterangeCodec],
  [3926, int8rangeCodec],
  [5069, uint64Codec], // xid8
]);
