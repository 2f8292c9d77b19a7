// Encodes a Data API result as PostgreSQL sends it: RowDescription from columnMetadata and
// DataRows in the text or binary format the client asked for, column by column.
import type { ColumnMetadata, Field } from '@aws-sdk/client-rds-data';
import { encodeDataRow, encodeRowDescription } from '../../protocol/backend-encoder.js';
import type { FieldDescription, FormatCode } from '../../protocol/messages.js';
import { encodeField, resolveColumn, type ResolvedColumn } from '../types/index.js';

export class ResultShape {
  readonly columns: ResolvedColumn[];
  readonly names: string[];

  constructor(metadata: ColumnMetadata[]) {
    this.columns = metadata.map((m) => resolveColumn(m));
    this.names = metadata.map((m) => m.label ?? m.name ?? '?column?');
  }

  get width(): number {
    return this.columns.length;
  }

  rowDescription(formats: FormatCode[]): Buffer {
    const fields: FieldDescription[] = this.columns.map((c, i) => ({
      name: this.names[i],
      tableOid: 0,
      columnAttr: 0,
      typeOid: c.typeOid,
      typeSize: c.typeSize,
      typeModifier: c.typeModifier,
      format: formats[i] ?? 0,
    }));
    return encodeRowDescription(fields);
  }

  dataRow(record: Field[], formats: FormatCode[]): Buffer {
    const values = this.columns.map((c, i) => encodeField(record[i] ?? { isNull: true }, c, formats[i] ?? 0));
    return encodeDataRow(values);
  }

  /** Text values of a row (for COPY TO). */
  textValues(record: Field[]): (string | null)[] {
    return this.columns.map((c, i) => {
      const b = encodeField(record[i] ?? { isNull: true }, c, 0);
      return b === null ? null : b.toString('utf8');
    });
  }
}
