// COPY … TO STDOUT for the Data API mode: formats result rows (values already in PostgreSQL's
// text output form, or null) into the bytes PostgreSQL 15's copyto.c sends, following
// CopyAttributeOutText() and CopyAttributeOutCSV(). Every line ends with "\n", as on the wire.
import type { CopyOptions } from '../sql/statement-types.js';
import { checkCopyEncoding, columnFlags, rejectBinary } from './copy-option-checks.js';

// Control characters written as C-like escapes rather than backslash + the raw character, which
// keeps the output safe from newline mangling.
const TEXT_ESCAPES: Record<string, string> = {
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

export class CopyOutFormatter {
  private readonly csv: boolean;
  private readonly forceQuote: boolean[];
  private readonly formatValue: (value: string, forceQuote: boolean) => string;

  constructor(
    private readonly options: CopyOptions,
    private readonly columnNames: readonly string[],
  ) {
    rejectBinary(options);
    checkCopyEncoding(options);
    this.csv = options.format === 'csv';
    this.forceQuote = this.csv ? columnFlags(options.forceQuote, columnNames, 'FORCE_QUOTE') : columnNames.map(() => false);
    this.formatValue = this.csv ? (v, force) => this.csvValue(v, force) : (v) => this.textValue(v);
  }

  /** The header line of column names when HEADER was asked for, else null. */
  header(): Buffer | null {
    if (this.options.header === false) return null;
    // Column names go through the same quoting as values, but FORCE_QUOTE does not apply.
    return this.line(this.columnNames.map((name) => this.formatValue(name, false)));
  }

  row(values: readonly (string | null)[]): Buffer {
    if (values.length !== this.columnNames.length) {
      throw new Error(`COPY TO row has ${values.length} values for ${this.columnNames.length} columns`);
    }
    return this.line(values.map((v, i) => (v === null ? this.options.null : this.formatValue(v, this.forceQuote[i]))));
  }

  private line(fields: string[]): Buffer {
    return Buffer.from(fields.join(this.options.delimiter) + '\n', 'utf8');
  }

  /** CopyAttributeOutText(): backslash-escape backslashes, the delimiter and control characters. */
  private textValue(value: string): string {
    const delimiter = this.options.delimiter;
    let out = '';
    let runStart = 0;
    for (let i = 0; i < value.length; i++) {
      const ch = value[i];
      const code = value.charCodeAt(i);
      let replacement: string | undefined;
      if (code < 0x20) {
        replacement = TEXT_ESCAPES[ch] ?? (ch === delimiter ? '\\' + ch : undefined);
      } else if (ch === '\\' || ch === delimiter) {
        replacement = '\\' + ch;
      }
      if (replacement !== undefined) {
        out += value.slice(runStart, i) + replacement;
        runStart = i + 1;
      }
    }
    return runStart === 0 ? value : out + value.slice(runStart);
  }

  /**
   * CopyAttributeOutCSV(): quote when needed (or forced), escaping quotes and escapes inside.
   * A separate escape character alone does not make a value need quotes.
   */
  private csvValue(value: string, forceQuote: boolean): string {
    const { delimiter, null: nullString } = this.options;
    const quote = this.options.quote ?? '"';
    const escape = this.options.escape ?? quote;
    let useQuote = forceQuote || value === nullString;
    if (!useQuote) {
      // A lone `\.` would read back as the end-of-data marker when it is the whole line.
      if (this.columnNames.length === 1 && value === '\\.') useQuote = true;
      else {
        for (let i = 0; i < value.length && !useQuote; i++) {
          const ch = value[i];
          useQuote = ch === delimiter || ch === quote || ch === '\n' || ch === '\r';
        }
      }
    }
    if (!useQuote) return value;
    let out = quote;
    for (const ch of value) out += ch === quote || ch === escape ? escape + ch : ch;
    return out + quote;
  }
}
