// The Bind values of a batch's rounds as the text each parameter's input function reads: what a
// set-based batch carries in its JSON rows (set-based-batch.ts). Text-format values are that text
// already; binary ones are decoded as the Bind path decodes them (param-input.ts) and written
// back as text. Null when a value cannot travel this way (not UTF-8, a NUL, which JSON would
// carry as \u0000 and json_to_recordset refuses, or a binary type the proxy cannot decode): the
// batch then runs one statement per row, which reports what PostgreSQL would.
import type { Field } from '@aws-sdk/client-rds-data';
import { planParameter } from '../types/index.js';
import type { FormatCode } from '../../protocol/messages.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function parameterTexts(values: readonly (Buffer | null)[], formats: readonly FormatCode[], types: readonly number[]): (string | null)[] | null {
  const out: (string | null)[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null) {
      out.push(null);
      continue;
    }
    let text: string | null;
    try {
      text = formats[i] === 1 ? fieldText(planParameter({ number: i + 1, value, format: 1, typeOid: types[i] ?? 0 }).value) : UTF8.decode(value);
    } catch {
      return null;
    }
    if (text === null || text.includes('\0')) return null;
    out.push(text);
  }
  return out;
}

/** A decoded binary value as its text form; null for a form with no single text (arrays of fields). */
function fieldText(field: Field): string | null {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return String(field.longValue);
  // The shortest text that reads back as the same double (float8in is exact).
  if (field.doubleValue !== undefined) return String(field.doubleValue);
  if (field.booleanValue !== undefined) return field.booleanValue ? 'true' : 'false';
  if (field.blobValue !== undefined) return '\\x' + Buffer.from(field.blobValue).toString('hex');
  return null;
}
