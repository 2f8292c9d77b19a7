// PostgreSQL reports error positions as 1-based character (code point) indexes into the query
// string; JavaScript strings index UTF-16 code units. These convert between the two.

/** The PostgreSQL `Position` (1-based, in characters) of the code unit at `offset` in `text`. */
export function offsetToPosition(text: string, offset: number): number {
  const end = Math.max(0, Math.min(offset, text.length));
  let position = 1;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single character.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    position++;
  }
  return position;
}

/** The code-unit offset in `text` of PostgreSQL `Position` `position` (clamped to the text). */
export function positionToOffset(text: string, position: number): number {
  let remaining = Math.max(0, Math.floor(position) - 1);
  let i = 0;
  while (remaining > 0 && i < text.length) {
    const c = text.charCodeAt(i);
    const d = text.charCodeAt(i + 1);
    i += c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
    remaining--;
  }
  return i;
}
