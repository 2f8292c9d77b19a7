// PostgreSQL's array text form read back into nested elements: what an array column holds when
// the proxy had to fetch it as text (types the Data API refuses, `infinity` timestamps), so that
// it can still be sent in binary. Elements stay text; NULL (unquoted) is SQL NULL.
import type { ArrayScalars } from './text-output.js';

/** The elements of `{...}` nested per dimension, or undefined when the text is not one. */
export function parseArrayText(text: string, delimiter = ','): ArrayScalars | undefined {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError('malformed array literal');
  };
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const readLevel = (): ArrayScalars => {
    if (text[i] !== '{') fail();
    i++;
    const items: ArrayScalars = [];
    skipSpace();
    if (text[i] === '}') {
      i++;
      return items;
    }
    for (;;) {
      skipSpace();
      if (text[i] === '{') items.push(readLevel());
      else items.push(readElement());
      skipSpace();
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return items;
      }
      fail();
    }
  };
  const readElement = (): { kind: 'string'; value: string } | null => {
    if (text[i] === '"') {
      i++;
      let value = '';
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++;
        if (i >= text.length) fail();
        value += text[i++];
      }
      if (text[i] !== '"') fail();
      i++;
      return { kind: 'string', value };
    }
    let raw = '';
    while (i < text.length && text[i] !== delimiter && text[i] !== '}') {
      if (text[i] === '\\') i++;
      if (i >= text.length) fail();
      raw += text[i++];
    }
    const value = raw.trim();
    if (value === '') fail();
    return value.toUpperCase() === 'NULL' ? null : { kind: 'string', value };
  };
  try {
    // Bounds other than 1 (`[0:1]={...}`) cannot be kept by the binary encoder: refuse them.
    if (text.trimStart().startsWith('[')) return undefined;
    skipSpace();
    const items = readLevel();
    skipSpace();
    return i === text.length ? items : undefined;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}
