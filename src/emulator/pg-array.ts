// Reads PostgreSQL's text form of an array ({1,NULL,"a b"}) into its elements, still as text.

export const MULTIDIMENSIONAL = Symbol('multidimensional');

export function parseArrayLiteral(text: string, delimiter = ','): (string | null)[] | typeof MULTIDIMENSIONAL {
  let i = 0;
  // Arrays with non-default bounds carry a decoration: [0:2]={...}; one bracket pair per dimension.
  if (text[0] === '[') {
    const eq = text.indexOf('=');
    const decoration = text.slice(0, eq);
    if ((decoration.match(/\[/g) ?? []).length > 1) return MULTIDIMENSIONAL;
    i = eq + 1;
  }
  i = skipSpaces(text, i);
  if (text[i] !== '{') throw new Error(`not an array literal: ${text.slice(0, 40)}`);
  i = skipSpaces(text, i + 1);
  if (text[i] === '{') return MULTIDIMENSIONAL;
  const items: (string | null)[] = [];
  if (text[i] === '}') return items;
  for (;;) {
    i = skipSpaces(text, i);
    let value = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++;
        value += text[i] ?? '';
        i++;
      }
      i++;
    } else {
      let raw = '';
      while (i < text.length && text[i] !== delimiter && text[i] !== '}') {
        if (text[i] === '\\') {
          i++;
        }
        raw += text[i] ?? '';
        i++;
      }
      value = raw.trim();
    }
    items.push(!quoted && value.toUpperCase() === 'NULL' ? null : value);
    i = skipSpaces(text, i);
    if (text[i] === delimiter) {
      i++;
    } else if (text[i] === '}') {
      return items;
    } else {
      throw new Error(`malformed array literal: ${text.slice(0, 40)}`);
    }
  }
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}
