// Encodes a Data API result as PostgreSQL sends it: RowDescription from columnMetadata and
// DataRows in the text or binary format the client asked for, column by column.
import type { ColumnMetadata, Field } from '@aws-sdk/client-rds-data';
import { encodeRowDescription } from '../../protocol/backend-encoder.js';
import type { FieldDescription, FormatCode } from '../../protocol/messages.js';
import { DEFAULT_TEXT_STYLE, encodeField, resolveColumn, type ResolvedColumn, type TextStyle } from '../types/index.js';
import type { SessionSettings } from './settings.js';
import type { SourcedColumn } from './table-columns.js';
import { encodeDataRows, type EncodedRows } from './data-row-chunks.js';

/** How the session's settings (extra_float_digits, bytea_output) want values printed. */
export function textStyleOf(settings: SessionSettings): TextStyle {
  const digits = Number(settings.clientValue('extra_float_digits'));
  return {
    extraFloatDigits: Number.isInteger(digits) ? digits : DEFAULT_TEXT_STYLE.extraFloatDigits,
    byteaOutput: settings.clientValue('bytea_output')?.toLowerCase() === 'escape' ? 'escape' : 'hex',
    timeZone: settings.clientValue('timezone'),
  };
}

export class ResultShape {
  readonly columns: ResolvedColumn[];
  readonly names: string[];
  /** Table OID and column number per column (table-columns.ts), 0 when not from a table. */
  private readonly sources: { tableOid: number; columnNumber: number }[];

  constructor(
    metadata: ColumnMetadata[],
    /** The settings in force when the statement ran; values are printed under them. */
    private readonly style: TextStyle = DEFAULT_TEXT_STYLE,
  ) {
    this.columns = metadata.map((m) => resolveColumn(m));
    this.names = metadata.map((m) => m.label ?? m.name ?? '?column?');
    this.sources = metadata.map((m: SourcedColumn) => ({ tableOid: m.tableOid ?? 0, columnNumber: m.columnNumber ?? 0 }));
  }

  get width(): number {
    return this.columns.length;
  }

  rowDescription(formats: FormatCode[]): Buffer {
    const fields: FieldDescription[] = this.columns.map((c, i) => ({
      name: this.names[i],
      tableOid: this.sources[i]!.tableOid,
      columnAttr: this.sources[i]!.columnNumber,
      typeOid: c.typeOid,
      typeSize: c.typeSize,
      typeModifier: c.typeModifier,
      format: formats[i] ?? 0,
    }));
    return encodeRowDescription(fields);
  }

  /** The DataRows of many records, in a few large buffers (data-row-chunks.ts). */
  dataRows(records: readonly Field[][], formats: FormatCode[]): EncodedRows {
    return encodeDataRows(records, this.columns, formats, this.style);
  }

  /** Text values of a row (for COPY TO). */
  textValues(record: Field[]): (string | null)[] {
    return this.columns.map((c, i) => {
      const b = encodeField(record[i] ?? { isNull: true }, c, 0, this.style);
      return b === null ? null : b.toString('utf8');
    });
  }
}
