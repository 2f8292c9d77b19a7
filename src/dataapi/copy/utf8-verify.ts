// UTF-8 validation with PostgreSQL's rules and error text (pg_utf_mblen, pg_utf8_islegal,
// report_invalid_encoding), so bad input is rejected at the same byte with the same message.

/** The longest a UTF-8 character can be (pg_database_encoding_max_length() for UTF8). */
export const UTF8_MAX_LENGTH = 4;

/** pg_utf_mblen(): the length a character claims from its first byte (1 for stray bytes). */
export function utf8CharLength(first: number): number {
  if ((first & 0x80) === 0) return 1;
  if ((first & 0xe0) === 0xc0) return 2;
  if ((first & 0xf0) === 0xe0) return 3;
  if ((first & 0xf8) === 0xf0) return 4;
  return 1;
}

/** pg_utf8_islegal(): whether bytes[at, at+length) is one well-formed character. */
function isLegalChar(bytes: Uint8Array, at: number, length: number): boolean {
  const first = bytes[at];
  switch (length) {
    case 1:
      return first < 0x80;
    case 2:
    case 3:
    case 4: {
      const second = bytes[at + 1];
      let low = 0x80;
      let high = 0xbf;
      if (first === 0xe0) low = 0xa0;
      else if (first === 0xed) high = 0x9f;
      else if (first === 0xf0) low = 0x90;
      else if (first === 0xf4) high = 0x8f;
      if (second < low || second > high) return false;
      for (let i = 2; i < length; i++) {
        const b = bytes[at + i];
        if (b < 0x80 || b > 0xbf) return false;
      }
      return first >= 0xc2 && first <= 0xf4;
    }
    default:
      return false;
  }
}

/**
 * How many bytes from `start` (up to `end`) are whole, valid characters. Stops before a NUL,
 * an invalid sequence or a character cut off by `end`.
 */
export function validUtf8Prefix(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = bytes[i];
    if (b !== 0 && b < 0x80) {
      i++;
      continue;
    }
    if (b === 0) break;
    const length = utf8CharLength(b);
    if (i + length > end || !isLegalChar(bytes, i, length)) break;
    i += length;
  }
  return i - start;
}

/** report_invalid_encoding()'s message for the bad character at `at`, `available` bytes known. */
export function invalidUtf8Message(bytes: Uint8Array, at: number, available: number): string {
  const shown = Math.min(utf8CharLength(bytes[at]), available, 8);
  const hex: string[] = [];
  for (let i = 0; i < shown; i++) hex.push('0x' + bytes[at + i].toString(16).padStart(2, '0'));
  return `invalid byte sequence for encoding "UTF8": ${hex.join(' ')}`;
}
