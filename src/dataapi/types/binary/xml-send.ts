// xml_send's text: the stored value with its XML declaration printed again the way
// xml_out_internal prints it for a UTF-8 client. The Data API hands over the stored text (the
// proxy casts xml columns to text), so a declaration that says nothing beyond the defaults
// (version 1.0, no standalone) is dropped, with one newline after it, and an encoding is never
// named; version and standalone are kept otherwise.

// parse_xml_decl's grammar: `<?xml`, version, then optional encoding and standalone, `?>`.
const DECLARATION =
  /^<\?xml\s+version\s*=\s*(?:"([^"]*)"|'([^']*)')(?:\s+encoding\s*=\s*(?:"[^"]*"|'[^']*'))?(?:\s+standalone\s*=\s*(?:"(yes|no)"|'(yes|no)'))?\s*\?>/;

export function xmlSendText(stored: string): string {
  const m = DECLARATION.exec(stored);
  if (!m) return stored;
  const version = m[1] ?? m[2];
  const standalone = m[3] ?? m[4];
  let rest = stored.slice(m[0].length);
  if (version !== '1.0' || standalone !== undefined) {
    return `<?xml version="${version}"${standalone ? ` standalone="${standalone}"` : ''}?>${rest}`;
  }
  if (rest.startsWith('\n')) rest = rest.slice(1);
  return rest;
}
