// The error a COPY data stream raises, shaped like PostgreSQL's: the message, SQLSTATE, hint and
// CONTEXT line are what copyfromparse.c and CopyFromErrorCallback() would have reported, so a
// client sees the same ErrorResponse whether the COPY ran on PostgreSQL or through the proxy.
import { ClientFacingError } from '../../protocol/client-error.js';

export const COPY_SQLSTATE = {
  badCopyFileFormat: '22P04',
  characterNotInRepertoire: '22021',
  featureNotSupported: '0A000',
  invalidColumnReference: '42P10',
} as const;

export class CopyFormatError extends ClientFacingError {
  constructor(
    sqlstate: string,
    message: string,
    fields: { where?: string; hint?: string; detail?: string } = {},
  ) {
    super(sqlstate, message, withoutUndefined(fields), 'ERROR');
    this.name = 'CopyFormatError';
  }

  /** PostgreSQL's CONTEXT line, e.g. `COPY t, line 3: "1\tx"`. */
  get where(): string | undefined {
    return this.extra.where;
  }

  get hint(): string | undefined {
    return this.extra.hint;
  }

  get detail(): string | undefined {
    return this.extra.detail;
  }

  /** The same error with a CONTEXT line (errors found while reading a line get theirs later). */
  withWhere(where: string): CopyFormatError {
    return new CopyFormatError(this.sqlstate, this.message, { ...this.extra, where });
  }
}

function withoutUndefined<T extends object>(fields: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

// MAX_COPY_DATA_DISPLAY in copyfrom.c: longer data is cut at a character boundary and marked "...".
const MAX_DISPLAY_BYTES = 100;

/** limit_printout_length(): at most 100 bytes of whole UTF-8 characters, then "...". */
export function limitPrintoutLength(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_DISPLAY_BYTES) return text;
  let cut = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (cut + size > MAX_DISPLAY_BYTES) break;
    cut += size;
  }
  return bytes.toString('utf8', 0, cut) + '...';
}

/**
 * CopyFromErrorCallback()'s CONTEXT line. With a column: the value (or null) being converted;
 * with the line's text: an error about the whole line; with neither: an error while the line
 * was still being read.
 */
export function copyErrorContext(
  tableName: string,
  lineNumber: number,
  at: { column: string; value: string | null } | { lineText: string } | null = null,
): string {
  const head = `COPY ${tableName}, line ${lineNumber}`;
  if (at === null) return head;
  if ('column' in at) {
    return at.value === null
      ? `${head}, column ${at.column}: null input`
      : `${head}, column ${at.column}: "${limitPrintoutLength(at.value)}"`;
  }
  return `${head}: "${limitPrintoutLength(at.lineText)}"`;
}
