// COPY options with PostgreSQL's defaults applied, for tests of the COPY codec.
import type { CopyOptions } from '../../src/dataapi/sql/statement-types.js';

export const TEXT_COPY: CopyOptions = {
  format: 'text',
  delimiter: '\t',
  null: '\\N',
  header: false,
  quote: null,
  escape: null,
  forceQuote: [],
  forceNotNull: [],
  forceNull: [],
  encoding: null,
  freeze: false,
};

export const CSV_COPY: CopyOptions = { ...TEXT_COPY, format: 'csv', delimiter: ',', null: '', quote: '"', escape: '"' };
