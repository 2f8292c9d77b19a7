// Many DataRows written in place (data-row-chunks.ts) must be byte for byte the DataRows the
// one-row encoder builds, whatever the values, formats and chunk boundaries; a value that cannot
// be encoded leaves the rows before it intact.
import { describe, expect, it } from 'vitest';
import type { Field } from '@aws-sdk/client-rds-data';
import { encodeDataRow } from '../../../src/protocol/backend-encoder.js';
import { CHUNK_BYTES, encodeDataRows } from '../../../src/dataapi/session/data-row-chunks.js';
import { DEFAULT_TEXT_STYLE, OID, columnOfType, encodeField, type ResolvedColumn } from '../../../src/dataapi/types/index.js';
import type { FormatCode } from '../../../src/protocol/messages.js';

function oneByOne(records: Field[][], columns: ResolvedColumn[], formats: FormatCode[]): Buffer {
  return Buffer.concat(
    records.map((record) => encodeDataRow(columns.map((c, i) => encodeField(record[i] ?? { isNull: true }, c, formats[i] ?? 0, DEFAULT_TEXT_STYLE)))),
  );
}

const columns = [columnOfType(OID.int4), columnOfType(OID.text), columnOfType(OID.float8), columnOfType(OID.bool), columnOfType(OID.bytea), columnOfType(1007)];

function record(i: number, text: string): Field[] {
  return [
    { longValue: i },
    i % 7 === 0 ? { isNull: true } : { stringValue: text },
    { doubleValue: i / 3 },
    { booleanValue: i % 2 === 0 },
    { blobValue: new Uint8Array([i & 0xff, 0, 0xff]) },
    { arrayValue: { longValues: [i, i + 1] } },
  ];
}

describe('encodeDataRows', () => {
  const cases: Record<string, { records: Field[][]; formats: FormatCode[] }> = {
    'no rows': { records: [], formats: [] },
    'text rows across several chunks': { records: Array.from({ length: 3000 }, (_, i) => record(i, `row ${i} ünïcödé ✓ 𝄞`)), formats: [] },
    'binary and mixed formats': { records: Array.from({ length: 500 }, (_, i) => record(i, `v${i}`)), formats: [1, 0, 1, 1, 0, 1] },
    'one value larger than a chunk': { records: [record(1, 'a'), record(2, '€'.repeat(CHUNK_BYTES)), record(3, 'c')], formats: [] },
    'a large value beginning a chunk': { records: [record(2, 'x'.repeat(CHUNK_BYTES * 3)), record(3, 'c')], formats: [] },
    'missing trailing fields are NULL': { records: [[{ longValue: 1 }], []], formats: [] },
  };
  for (const [name, { records, formats }] of Object.entries(cases)) {
    it(name, () => {
      const encoded = encodeDataRows(records, columns, formats, DEFAULT_TEXT_STYLE);
      expect(encoded.error).toBeUndefined();
      expect(encoded.rows).toBe(records.length);
      expect(Buffer.concat(encoded.chunks).equals(oneByOne(records, columns, formats))).toBe(true);
      // A few large buffers, not one per row: a chunk ends early only when the next row does not fit.
      const total = encoded.chunks.reduce((n, c) => n + c.length, 0);
      expect(encoded.chunks.length).toBeLessThanOrEqual(2 * Math.ceil(total / CHUNK_BYTES) + 1);
    });
  }

  it('stops at a value it cannot encode, keeping the rows before it', () => {
    const uuids = [columnOfType(OID.int4), columnOfType(OID.uuid)];
    const records: Field[][] = [
      [{ longValue: 1 }, { isNull: true }],
      [{ longValue: 2 }, { stringValue: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' }],
      [{ longValue: 3 }, { stringValue: 'not a uuid' }],
      [{ longValue: 4 }, { isNull: true }],
    ];
    const encoded = encodeDataRows(records, uuids, [1, 1], DEFAULT_TEXT_STYLE);
    expect(encoded.rows).toBe(2);
    expect((encoded.error as Error).message).toMatch(/cannot encode "not a uuid"/);
    expect(Buffer.concat(encoded.chunks).equals(oneByOne(records.slice(0, 2), uuids, [1, 1]))).toBe(true);
  });
});
