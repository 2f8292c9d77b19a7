// Lays converted values out as the response shows them: as Field unions in `records`, or as
// plain JSON values in `formattedRecords`. resultSetOptions change the layout of numbers only.

import { javaDoubleToString } from './java-number.js';
import { RawJson } from './json-writer.js';
import type { Cell } from './fields.js';

export interface LayoutOptions {
  decimalReturnType: 'STRING' | 'DOUBLE_OR_LONG';
  longReturnType: 'LONG' | 'STRING';
}

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);
const INTEGER_TEXT = /^-?\d+$/;

/** A float as a JSON number, or as the strings "NaN"/"Infinity" that Jackson writes for those. */
function floatJson(text: string): RawJson | string {
  return NON_FINITE.has(text) ? text : new RawJson(text);
}

export function cellToField(cell: Cell, opts: LayoutOptions): Record<string, unknown> {
  if (cell === null) return { isNull: true };
  switch (cell.t) {
    case 'long':
      return opts.longReturnType === 'STRING' ? { stringValue: cell.v } : { longValue: new RawJson(cell.v) };
    case 'double':
      return { doubleValue: floatJson(cell.v) };
    case 'bool':
      return { booleanValue: cell.v };
    case 'decimal':
      if (opts.decimalReturnType === 'DOUBLE_OR_LONG') {
        return INTEGER_TEXT.test(cell.v) ? { longValue: new RawJson(cell.v) } : { doubleValue: floatJson(cell.v) };
      }
      return { stringValue: cell.v };
    case 'string':
      return { stringValue: cell.v };
    case 'blob':
      return { blobValue: cell.v };
    case 'array':
      return { arrayValue: arrayField(cell) };
  }
}

function arrayField(cell: Extract<Cell, { t: 'array' }>): Record<string, unknown> {
  const items = cell.items;
  switch (cell.of) {
    case 'long':
      return { longValues: items.map((v) => (v === null ? null : new RawJson(String(v)))) };
    case 'double':
      return { doubleValues: items.map((v) => (v === null ? null : floatJson(String(v)))) };
    case 'bool':
      return { booleanValues: items };
    case 'decimal':
    case 'string':
      return { stringValues: items };
  }
}

export function cellToJson(cell: Cell, opts: LayoutOptions): unknown {
  if (cell === null) return null;
  switch (cell.t) {
    case 'long':
      return opts.longReturnType === 'STRING' ? cell.v : new RawJson(cell.v);
    case 'double':
      return javaDouble(cell.v);
    case 'bool':
      return cell.v;
    case 'decimal':
      if (opts.decimalReturnType === 'DOUBLE_OR_LONG') {
        return INTEGER_TEXT.test(cell.v) ? new RawJson(cell.v) : javaDouble(cell.v);
      }
      return cell.v;
    case 'string':
    case 'blob':
      return cell.v;
    case 'array':
      return cell.items.map((v) => {
        if (v === null) return null;
        if (cell.of === 'long') return new RawJson(String(v));
        if (cell.of === 'double') return javaDouble(String(v));
        return v;
      });
  }
}

function javaDouble(text: string): RawJson | string {
  const s = javaDoubleToString(Number(text));
  return NON_FINITE.has(s) ? s : new RawJson(s);
}
