// Splits one COPY line into field values like CopyReadAttributesText() and
// CopyReadAttributesCSV() in PostgreSQL 15: the NULL string is matched against the raw field
// text (before de-escaping), and in CSV only an unquoted field can be NULL.
import { COPY_SQLSTATE, CopyFormatError } from './copy-format-error.js';
import { invalidUtf8Message, validUtf8Prefix } from './utf8-verify.js';

const BACKSLASH = 0x5c;

/** Buffer's own UTF-8 decoder, without toString()'s encoding dispatch (it runs once per field). */
interface Utf8Sliceable {
  utf8Slice(start: number, end: number): string;
}

function utf8Text(bytes: Buffer, end: number): string {
  return (bytes as unknown as Utf8Sliceable).utf8Slice(0, end);
}

export interface FieldSplitterOptions {
  csv: boolean;
  delimiter: number;
  /** The NULL string's bytes. */
  nullBytes: Buffer;
  /** CSV only. */
  quote: number;
  /** CSV only; equal to `quote` when no separate escape was given. */
  escape: number;
}

export type FieldSplitter = (line: Buffer) => (string | null)[];

export function fieldSplitter(options: FieldSplitterOptions): FieldSplitter {
  // De-escaped fields are never longer than the line, so one scratch buffer serves every field.
  let scratch = Buffer.alloc(256);
  const split = options.csv ? splitCsv : splitText;
  return (line) => {
    if (scratch.length < line.length) scratch = Buffer.allocUnsafe(Math.max(line.length, scratch.length * 2));
    return split(line, scratch, options);
  };
}

function matchesNull(line: Buffer, start: number, end: number, nullBytes: Buffer): boolean {
  return end - start === nullBytes.length && line.compare(nullBytes, 0, nullBytes.length, start, end) === 0;
}

function isOctal(b: number): boolean {
  return b >= 0x30 && b <= 0x37;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

const SIMPLE_ESCAPES: Record<number, number> = {
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
  0x76: 0x0b, // \v
};

function splitText(line: Buffer, out: Buffer, options: FieldSplitterOptions): (string | null)[] {
  const { delimiter, nullBytes } = options;
  const n = line.length;
  const fields: (string | null)[] = [];
  let cur = 0;
  for (;;) {
    const start = cur;
    let end = cur;
    let o = 0;
    let foundDelimiter = false;
    // Set when an octal or hex escape produced a byte that could break the UTF-8.
    let madeNonAscii = false;
    for (;;) {
      end = cur;
      if (cur >= n) break;
      let c = line[cur++];
      if (c === delimiter) {
        foundDelimiter = true;
        break;
      }
      if (c === BACKSLASH) {
        // A trailing backslash (only possible at the end of input) is dropped.
        if (cur >= n) break;
        c = line[cur++];
        if (isOctal(c)) {
          let value = c - 0x30;
          if (cur < n && isOctal(line[cur])) {
            value = (value << 3) + (line[cur++] - 0x30);
            if (cur < n && isOctal(line[cur])) value = (value << 3) + (line[cur++] - 0x30);
          }
          c = value & 0xff;
          if (c === 0 || c >= 0x80) madeNonAscii = true;
        } else if (c === 0x78 /* x */) {
          const first = cur < n ? hexValue(line[cur]) : -1;
          if (first >= 0) {
            cur++;
            let value = first;
            const second = cur < n ? hexValue(line[cur]) : -1;
            if (second >= 0) {
              cur++;
              value = (value << 4) + second;
            }
            c = value & 0xff;
            if (c === 0 || c >= 0x80) madeNonAscii = true;
          }
        } else {
          c = SIMPLE_ESCAPES[c] ?? c;
        }
      }
      out[o++] = c;
    }

    if (matchesNull(line, start, end, nullBytes)) {
      fields.push(null);
    } else {
      if (madeNonAscii) {
        const valid = validUtf8Prefix(out, 0, o);
        if (valid < o) {
          throw new CopyFormatError(COPY_SQLSTATE.characterNotInRepertoire, invalidUtf8Message(out, valid, o - valid));
        }
      }
      fields.push(utf8Text(out, o));
    }
    if (!foundDelimiter) return fields;
  }
}

function splitCsv(line: Buffer, out: Buffer, options: FieldSplitterOptions): (string | null)[] {
  const { delimiter, nullBytes, quote, escape } = options;
  const n = line.length;
  const fields: (string | null)[] = [];
  let cur = 0;
  for (;;) {
    const start = cur;
    let end = cur;
    let o = 0;
    let foundDelimiter = false;
    let sawQuote = false;
    field: for (;;) {
      // Outside quotes: up to a delimiter, the end of the line, or an opening quote.
      for (;;) {
        end = cur;
        if (cur >= n) break field;
        const c = line[cur++];
        if (c === delimiter) {
          foundDelimiter = true;
          break field;
        }
        if (c === quote) {
          sawQuote = true;
          break;
        }
        out[o++] = c;
      }
      // Inside quotes: delimiters and newlines are data; the escape only escapes a quote or itself.
      for (;;) {
        end = cur;
        if (cur >= n) throw new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, 'unterminated CSV quoted field');
        const c = line[cur++];
        if (c === escape && cur < n) {
          const next = line[cur];
          if (next === escape || next === quote) {
            out[o++] = next;
            cur++;
            continue;
          }
        }
        if (c === quote) break;
        out[o++] = c;
      }
    }

    if (!sawQuote && matchesNull(line, start, end, nullBytes)) fields.push(null);
    else fields.push(utf8Text(out, o));
    if (!foundDelimiter) return fields;
  }
}
