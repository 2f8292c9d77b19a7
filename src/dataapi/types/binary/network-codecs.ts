// Binary formats of inet, cidr, macaddr and macaddr8 (network_send, macaddr_send, macaddr8_send).
// inet/cidr: family (2 IPv4, 3 IPv6), bits, is-cidr flag, address length, address bytes.
import { BinaryReader, BinaryWriter, INVALID_BINARY, type TextBinaryCodec } from './codec.js';

const PGSQL_AF_INET = 2;
const PGSQL_AF_INET6 = 3;

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const bytes: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        bytes.push(...v4);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        const n = parseInt(piece, 16);
        bytes.push(n >> 8, n & 0xff);
      } else {
        return undefined;
      }
    }
    return bytes;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 16 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 2)) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function networkCodec(isCidr: boolean): TextBinaryCodec {
  const typeName = isCidr ? 'cidr' : 'inet';
  return {
    send(text) {
      const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
      if (!m) return undefined;
      const v6 = m[1].includes(':');
      const address = v6 ? parseIpv6(m[1]) : parseIpv4(m[1]);
      const maxBits = v6 ? 128 : 32;
      const bits = m[2] === undefined ? maxBits : Number(m[2]);
      if (!address || bits > maxBits) return undefined;
      return new BinaryWriter()
        .uint8(v6 ? PGSQL_AF_INET6 : PGSQL_AF_INET)
        .uint8(bits)
        .uint8(isCidr ? 1 : 0)
        .uint8(address.length)
        .bytes(Uint8Array.from(address))
        .done();
    },
    recv(buf, reject) {
      const r = new BinaryReader(buf, reject);
      const family = r.uint8();
      if (family !== PGSQL_AF_INET && family !== PGSQL_AF_INET6) {
        reject(`invalid address family in external "${typeName}" value`, INVALID_BINARY);
      }
      const size = family === PGSQL_AF_INET ? 4 : 16;
      const bits = r.uint8();
      if (bits > size * 8) reject(`invalid bits in external "${typeName}" value`, INVALID_BINARY);
      r.uint8(); // the is-cidr flag, which inet_recv and cidr_recv ignore
      if (r.uint8() !== size) reject(`invalid length in external "${typeName}" value`, INVALID_BINARY);
      const address = r.bytes(size);
      r.end();
      if (isCidr && hasBitsRightOfMask(address, bits)) reject(`invalid external "cidr" value`, INVALID_BINARY);
      if (size === 4) return `${[...address].join('.')}/${bits}`;
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(address.readUInt16BE(i).toString(16));
      return `${groups.join(':')}/${bits}`;
    },
  };
}

function hasBitsRightOfMask(address: Buffer, bits: number): boolean {
  for (let i = 0; i < address.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    const mask = keep === 8 ? 0 : 0xff >> keep;
    if (address[i] & mask) return true;
  }
  return false;
}

export const inetCodec = networkCodec(false);
export const cidrCodec = networkCodec(true);

function macText(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function parseMac(text: string, length: number): Buffer | undefined {
  const parts = text.split(':');
  if (parts.length !== length || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Buffer.from(parts.join(''), 'hex');
}

export const macaddrCodec: TextBinaryCodec = {
  send: (text) => parseMac(text, 6),
  recv(buf, reject) {
    const r = new BinaryReader(buf, reject);
    const bytes = r.bytes(6);
    r.end();
    return macText(bytes);
  },
};

export const macaddr8Codec: TextBinaryCodec = {
  send: (text) => parseMac(text, 8),
  recv(buf, reject) {
    // macaddr8_recv also takes a 6-byte EUI-48 and inserts FF:FE in the middle.
    if (buf.length === 6) return macText(Buffer.concat([buf.subarray(0, 3), Buffer.from([0xff, 0xfe]), buf.subarray(3)]));
    const r = new BinaryReader(buf, reject);
    const bytes = r.bytes(8);
    r.end();
    return macText(bytes);
  },
};
