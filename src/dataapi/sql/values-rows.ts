// The rows of a multi-row `INSERT ... VALUES (...), (...), ...` as ranges of its text, so that a
// statement longer than the Data API accepts (65536 characters: Django's bulk_create and other
// ORMs write thousands of rows into one INSERT) can travel as several INSERTs of the same head
// and tail. Only the plain form is read; anything else (a WITH, a SELECT source, ON CONFLICT
// DO UPDATE, whose "cannot affect row a second time" check spans the whole statement) is null.
import { isTrivia, tokenize, type Token } from './lexer.js';

export interface ValuesRows {
  /** `INSERT INTO t (cols) [OVERRIDING ...] VALUES ` up to the first row's parenthesis. */
  head: string;
  /** Each row's text range, `(` to `)` inclusive. */
  rows: { start: number; end: number }[];
  /** What follows the last row (`ON CONFLICT DO NOTHING`, `RETURNING ...`), from its end. */
  tailStart: number;
}

export function valuesRows(sql: string, tokens: readonly Token[] = tokenize(sql)): ValuesRows | null {
  const t = tokens.filter((x) => !isTrivia(x));
  if (t[0]?.kind !== 'identifier' || t[0].word !== 'insert') return null;
  let depth = 0;
  let valuesAt = -1;
  for (let i = 1; i < t.length; i++) {
    const x = t[i]!;
    if (x.text === '(') depth++;
    else if (x.text === ')') depth--;
    else if (depth === 0 && x.kind === 'identifier') {
      if (x.word === 'values') {
        valuesAt = i;
        break;
      }
      if (x.word === 'select' || x.word === 'default' || x.word === 'table') return null;
    }
  }
  if (valuesAt < 0) return null;
  const rows: { start: number; end: number }[] = [];
  let i = valuesAt + 1;
  for (;;) {
    const open = t[i];
    if (open?.text !== '(') return null;
    let d = 0;
    let j = i;
    for (; j < t.length; j++) {
      if (t[j]!.text === '(') d++;
      else if (t[j]!.text === ')' && --d === 0) break;
    }
    if (j >= t.length) return null;
    rows.push({ start: open.start, end: t[j]!.end });
    i = j + 1;
    if (t[i]?.text !== ',') break;
    i++;
  }
  const rest = t.slice(i);
  // ON CONFLICT ... DO UPDATE checks that no row is touched twice by the one statement.
  const words = rest.filter((x) => x.kind === 'identifier').map((x) => (x as Token & { kind: 'identifier' }).word);
  const doAt = words.indexOf('do');
  if (doAt >= 0 && words[doAt + 1] === 'update') return null;
  if (rest.some((x) => x.text === ';' && x !== rest[rest.length - 1])) return null;
  return { head: sql.slice(0, rows[0]!.start), rows, tailStart: rows[rows.length - 1]!.end };
}

/** One INSERT of some of the rows, and where each of its characters came from in the original. */
export interface ValuesChunk {
  sql: string;
  /** Offset in the chunk → offset in the original statement. */
  originalOffset(offset: number): number;
}

/**
 * The rows grouped into INSERTs of at most `limit` characters each; null when a single row is
 * already too long to fit.
 */
export function chunkValuesRows(sql: string, split: ValuesRows, limit: number): ValuesChunk[] | null {
  const tail = sql.slice(split.tailStart);
  const fixed = split.head.length + tail.length;
  const chunks: ValuesChunk[] = [];
  let group: { start: number; end: number }[] = [];
  let length = fixed;
  const flush = () => {
    if (group.length === 0) return;
    chunks.push(assemble(sql, split.head, group, split.tailStart));
    group = [];
    length = fixed;
  };
  for (const row of split.rows) {
    const size = row.end - row.start + (group.length > 0 ? 2 : 0);
    if (fixed + row.end - row.start > limit) return null;
    if (length + size > limit) flush();
    length += row.end - row.start + (group.length > 0 ? 2 : 0);
    group.push(row);
  }
  flush();
  return chunks;
}

function assemble(sql: string, head: string, rows: { start: number; end: number }[], tailStart: number): ValuesChunk {
  // Pieces of the chunk: [offset in chunk, offset in original, length].
  const pieces: [number, number, number][] = [[0, 0, head.length]];
  let text = head;
  rows.forEach((row, k) => {
    if (k > 0) text += ', ';
    pieces.push([text.length, row.start, row.end - row.start]);
    text += sql.slice(row.start, row.end);
  });
  pieces.push([text.length, tailStart, sql.length - tailStart]);
  text += sql.slice(tailStart);
  return {
    sql: text,
    originalOffset(offset) {
      for (let p = pieces.length - 1; p >= 0; p--) {
        const [at, from] = pieces[p]!;
        if (offset >= at) return from + (offset - at);
      }
      return offset;
    },
  };
}
