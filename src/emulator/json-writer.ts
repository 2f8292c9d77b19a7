// JSON output that keeps PostgreSQL's number text as it is. JSON.stringify would route an int8
// or a float8 through a JS double and lose digits (9223372036854775807 becomes ...808), while the
// real service, written in Java, sends every digit.

/** A JSON fragment written verbatim: a number literal taken from PostgreSQL's text output. */
export class RawJson {
  constructor(readonly text: string) {}
}

export function toJson(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

function write(value: unknown, out: string[]): void {
  if (value === null || value === undefined) {
    out.push('null');
  } else if (value instanceof RawJson) {
    out.push(value.text);
  } else if (typeof value === 'string') {
    out.push(JSON.stringify(value));
  } else if (typeof value === 'number') {
    out.push(Number.isFinite(value) ? String(value) : JSON.stringify(String(value)));
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(item, out);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    out.push('{');
    let first = true;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item === undefined) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      write(item, out);
    }
    out.push('}');
  } else {
    out.push(JSON.stringify(String(value)));
  }
}
