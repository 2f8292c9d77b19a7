// PostgreSQL's array text form (array_out): `{a,b}`, nested braces per dimension, elements in
// double quotes when they are empty, spell NULL in any case, or contain a brace, the
// delimiter, a double quote, a backslash or ASCII white space; `"` and `\` are escaped with a
// backslash inside quotes; SQL NULL elements print as the bare word NULL. Lower bounds other
// than 1 are written as a `[lo:hi]` prefix.

/** An element already rendered as text, null for SQL NULL, or a nested dimension. */
export type ArrayTextElement = string | null | ArrayTextElement[];

// array_isspace: only these count, not Unicode white space.
const NEEDS_QUOTES = /[{}"\\ \t\n\r\v\f]/;

export function quoteArrayElement(text: string, delimiter = ','): string {
  const needsQuotes =
    text.length === 0 ||
    NEEDS_QUOTES.test(text) ||
    text.includes(delimiter) ||
    (text.length === 4 && text.toUpperCase() === 'NULL');
  if (!needsQuotes) return text;
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/** Renders nested element arrays (one nesting level per dimension) as an array literal. */
export function formatArrayLiteral(elements: readonly ArrayTextElement[], delimiter = ','): string {
  const parts = elements.map((e) =>
    e === null ? 'NULL' : Array.isArray(e) ? formatArrayLiteral(e, delimiter) : quoteArrayElement(e, delimiter),
  );
  return `{${parts.join(delimiter)}}`;
}

/**
 * A flat list of elements (row-major) with its dimensions and lower bounds as a literal, as
 * array_out writes it; lower bounds are written only when one of them is not 1.
 */
export function formatArrayFromFlat(
  flat: readonly (string | null)[],
  dims: readonly number[],
  lowerBounds: readonly number[],
  delimiter = ',',
): string {
  if (dims.length === 0 || dims.some((d) => d === 0)) return '{}';
  let prefix = '';
  if (lowerBounds.some((lb) => lb !== 1)) {
    prefix = dims.map((d, i) => `[${lowerBounds[i]}:${lowerBounds[i] + d - 1}]`).join('') + '=';
  }
  let index = 0;
  const build = (level: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < dims[level]; i++) {
      if (level === dims.length - 1) {
        const e = flat[index++];
        parts.push(e === null ? 'NULL' : quoteArrayElement(e, delimiter));
      } else {
        parts.push(build(level + 1));
      }
    }
    return `{${parts.join(delimiter)}}`;
  };
  return prefix + build(0);
}
