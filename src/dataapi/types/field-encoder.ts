// One DataRow column in the format the client asked for.
import type { Field } from '@aws-sdk/client-rds-data';
import { fieldToBinary } from './binary-output.js';
import type { ResolvedColumn } from './oid-from-metadata.js';
import { fieldToText, type TextStyle } from './text-output.js';

/**
 * The bytes of one DataRow column (null for SQL NULL): UTF-8 text for format 0, PostgreSQL's
 * binary form for format 1 (check hasBinaryOutput first; unsupported types throw 0A000).
 */
export function encodeField(field: Field, column: ResolvedColumn, format: 0 | 1, style?: TextStyle): Buffer | null {
  if (format === 1) return fieldToBinary(field, column);
  const text = fieldToText(field, column, style);
  return text === null ? null : Buffer.from(text, 'utf8');
}
