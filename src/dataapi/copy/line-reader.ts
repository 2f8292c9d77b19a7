// Cuts COPY FROM input into lines the way CopyReadLineText() in PostgreSQL 15's copyfromparse.c
// does: the newline style is fixed by the first line and enforced afterwards, text format skips
// the byte after every backslash, CSV format keeps newlines inside quotes, and `\.` ends the data
// (anywhere in text format, alone at the start of a line in CSV format).
//
// Input arrives in arbitrary pieces. Bytes are only looked at once they are known to be valid
// UTF-8, and a step that needs to look ahead past the bytes received so far is undone and
// retried when more arrive, so the result never depends on where the pieces were cut.
import { COPY_SQLSTATE, CopyFormatError } from './copy-format-error.js';
import { UTF8_MAX_LENGTH, invalidUtf8Message, validUtf8Prefix } from './utf8-verify.js';

const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
/** Returned by byteAt() when the byte has not arrived yet. */
const NEED_DATA = -1;
/** Returned by byteAt() past the end of all input (PostgreSQL reads its buffer's NUL pad). */
const END_PAD = 0;

type NewlineStyle = 'unknown' | 'nl' | 'cr' | 'crnl';

export interface CopyLine {
  /** The line without its newline; a view that is only valid until the next append(). */
  bytes: Buffer;
  /** No data follows: end of input or the `\.` marker. */
  endOfData: boolean;
  /** Newlines inside quoted CSV fields, which PostgreSQL counts as lines. */
  embeddedNewlines: number;
}

export interface LineReaderOptions {
  csv: boolean;
  /** CSV quote byte. */
  quote: number;
  /** CSV escape byte, or -1 when it is the quote (then quotes simply toggle). */
  escape: number;
}

export class CopyLineReader {
  private buf: Buffer = Buffer.alloc(0);
  private len = 0;
  /** Bytes [0, verified) are valid UTF-8. */
  private verified = 0;
  private lineStart = 0;
  private pos = 0;
  private eof = false;
  private newline: NewlineStyle = 'unknown';
  // Per-line CSV scanning state.
  private inQuote = false;
  private lastWasEscape = false;
  private firstCharInLine = true;
  private newlinesInLine = 0;

  constructor(private readonly options: LineReaderOptions) {}

  /** Quoted newlines seen so far in the line being read (for the line number of errors). */
  get pendingEmbeddedNewlines(): number {
    return this.newlinesInLine;
  }

  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.makeRoom(chunk.length);
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    this.verified += validUtf8Prefix(this.buf, this.verified, this.len);
  }

  /** CopyDone: no more input. */
  markEnd(): void {
    this.eof = true;
  }

  /**
   * The next line, or null when more input is needed to find its end. Throws CopyFormatError
   * (without CONTEXT) for newline-style, end-marker and encoding errors.
   */
  readLine(): CopyLine | null {
    const { csv, quote, escape } = this.options;
    for (;;) {
      this.skipOrdinaryBytes();
      const start = this.pos;
      const c = this.byteAt(start);
      if (c === NEED_DATA) return null;
      if (start >= this.len) return this.takeLine(start, start, true);

      const savedInQuote = this.inQuote;
      const savedLastWasEscape = this.lastWasEscape;
      const savedNewlines = this.newlinesInLine;
      const retryLater = (): null => this.rewind(start, savedInQuote, savedLastWasEscape, savedNewlines);
      let p = start + 1;

      if (csv) {
        // Quote and escape handling: an escape only counts inside quotes and right before a quote
        // or another escape; when quote and escape are the same byte it is a plain toggle.
        if ((c === BACKSLASH || c === CR) && this.byteAt(p) === NEED_DATA) return retryLater();
        if (this.inQuote && c === escape) this.lastWasEscape = !this.lastWasEscape;
        if (c === quote && !this.lastWasEscape) this.inQuote = !this.inQuote;
        if (c !== escape) this.lastWasEscape = false;
        if (this.inQuote && c === (this.newline === 'nl' ? LF : CR)) this.newlinesInLine++;
      }

      if (c === CR && (!csv || !this.inQuote)) {
        if (this.newline === 'unknown' || this.newline === 'crnl') {
          const next = this.byteAt(p);
          if (next === NEED_DATA) return retryLater();
          if (next === LF) {
            p++;
            this.newline = 'crnl';
          } else {
            if (this.newline === 'crnl') throw carriageReturnError(csv);
            this.newline = 'cr';
          }
        } else if (this.newline === 'nl') {
          throw carriageReturnError(csv);
        }
        return this.takeLine(start, p, false);
      }

      if (c === LF && (!csv || !this.inQuote)) {
        if (this.newline === 'cr' || this.newline === 'crnl') throw newlineError(csv);
        this.newline = 'nl';
        return this.takeLine(start, p, false);
      }

      if (c === BACKSLASH && (!csv || this.firstCharInLine)) {
        let c2 = this.byteAt(p);
        if (c2 === NEED_DATA) return retryLater();
        // A backslash as the very last byte of the input stays in the line as data.
        if (p >= this.len) return this.takeLine(p, p, true);
        if (c2 === DOT) {
          p++;
          let isMarker = true;
          if (this.newline === 'crnl') {
            c2 = this.byteAt(p++);
            if (c2 === NEED_DATA) return retryLater();
            if (c2 === LF) {
              if (!csv) throw markerStyleError();
              isMarker = false;
            } else if (c2 !== CR) {
              if (!csv) throw markerCorruptError();
              isMarker = false;
            }
          }
          if (isMarker) {
            c2 = this.byteAt(p++);
            if (c2 === NEED_DATA) return retryLater();
            if (c2 !== CR && c2 !== LF) {
              if (!csv) throw markerCorruptError();
              isMarker = false;
            } else if (
              (this.newline === 'nl' && c2 !== LF) ||
              (this.newline === 'crnl' && c2 !== LF) ||
              (this.newline === 'cr' && c2 !== CR)
            ) {
              throw markerStyleError();
            }
          }
          if (isMarker) return this.takeLine(start, p, true);
          // In CSV, `\.` followed by more text is data: go on after the backslash.
          p = start + 1;
        } else if (!csv) {
          // Text format: whatever follows a backslash is data, even a newline or a `.`.
          p++;
        }
      }

      this.firstCharInLine = false;
      this.pos = p;
    }
  }

  /**
   * Moves past bytes that cannot end a line or change the quoting state, which is most of them;
   * in CSV such a byte only clears the escape state, as the byte-by-byte loop would.
   */
  private skipOrdinaryBytes(): void {
    const { buf, verified } = this;
    const { csv, quote, escape } = this.options;
    let i = this.pos;
    if (csv) {
      while (i < verified) {
        const b = buf[i];
        if (b === LF || b === CR || b === BACKSLASH || b === quote || b === escape) break;
        i++;
      }
      if (i > this.pos) this.lastWasEscape = false;
    } else {
      while (i < verified) {
        const b = buf[i];
        if (b === LF || b === CR || b === BACKSLASH) break;
        i++;
      }
    }
    if (i > this.pos) {
      this.firstCharInLine = false;
      this.pos = i;
    }
  }

  /** Undoes a step that needs bytes that have not arrived yet. */
  private rewind(start: number, inQuote: boolean, lastWasEscape: boolean, newlines: number): null {
    this.pos = start;
    this.inQuote = inQuote;
    this.lastWasEscape = lastWasEscape;
    this.newlinesInLine = newlines;
    return null;
  }

  /**
   * The byte at `i`, END_PAD past the end of all input, or NEED_DATA. Reaching bytes that are not
   * valid UTF-8 is an error once PostgreSQL would call it one: at the end of input, or when a
   * whole character's worth of bytes (4) is there and still does not verify.
   */
  private byteAt(i: number): number {
    if (i < this.verified) return this.buf[i];
    const unverified = this.len - this.verified;
    if (unverified > 0) {
      if (this.eof || unverified >= UTF8_MAX_LENGTH) {
        throw new CopyFormatError(
          COPY_SQLSTATE.characterNotInRepertoire,
          invalidUtf8Message(this.buf, this.verified, unverified),
        );
      }
      return NEED_DATA;
    }
    return this.eof ? END_PAD : NEED_DATA;
  }

  private takeLine(contentEnd: number, next: number, endOfData: boolean): CopyLine {
    const line: CopyLine = {
      bytes: this.buf.subarray(this.lineStart, contentEnd),
      endOfData,
      embeddedNewlines: this.newlinesInLine,
    };
    this.lineStart = this.pos = Math.min(next, this.len);
    this.inQuote = false;
    this.lastWasEscape = false;
    this.firstCharInLine = true;
    this.newlinesInLine = 0;
    return line;
  }

  /** Drops consumed lines and grows the buffer so that `extra` more bytes fit. */
  private makeRoom(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const keep = this.len - this.lineStart;
    const target = keep + extra <= this.buf.length ? this.buf : Buffer.allocUnsafe(Math.max(keep + extra, this.buf.length * 2, 4096));
    this.buf.copy(target, 0, this.lineStart, this.len);
    this.buf = target;
    this.pos -= this.lineStart;
    this.verified -= this.lineStart;
    this.len = keep;
    this.lineStart = 0;
  }
}

function carriageReturnError(csv: boolean): CopyFormatError {
  return csv
    ? new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, 'unquoted carriage return found in data', {
        hint: 'Use quoted CSV field to represent carriage return.',
      })
    : new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, 'literal carriage return found in data', {
        hint: 'Use "\\r" to represent carriage return.',
      });
}

function newlineError(csv: boolean): CopyFormatError {
  return csv
    ? new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, 'unquoted newline found in data', {
        hint: 'Use quoted CSV field to represent newline.',
      })
    : new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, 'literal newline found in data', {
        hint: 'Use "\\n" to represent newline.',
      });
}

function markerStyleError(): CopyFormatError {
  return new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, 'end-of-copy marker does not match previous newline style');
}

function markerCorruptError(): CopyFormatError {
  return new CopyFormatError(COPY_SQLSTATE.badCopyFileFormat, 'end-of-copy marker corrupt');
}
