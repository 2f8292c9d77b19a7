// --reuse-connections: the prepared statements a client made with the extended protocol (Parse
// with a name), followed from the first bytes of its Parse messages. Before the connection goes to
// another client, each is closed with a Close message, which every server of the protocol takes,
// so that a reset query which keeps them (DSQL's RESET ALL) still hands on a clean session. The
// client's own Close messages are not trusted to have worked (after an error the server skips to
// Sync, Close included), and closing a statement that is gone is no error. Names are kept as
// latin1 strings: byte for byte what the client sent.

/** Beyond this many statements, the session is not reused unless its reset clears them. */
export const MAX_FOLLOWED_STATEMENTS = 1000;

export class NamedStatements {
  private readonly names = new Set<string>();
  /** A name could not be read (longer than the capture) or there were too many: not followed. */
  private lost = false;

  /** A Parse's first bytes: its statement name, then the query. */
  parsed(head: Buffer): void {
    if (this.lost) return;
    const end = head.indexOf(0);
    if (end < 0) this.lost = true;
    else if (end > 0) {
      const name = head.toString('latin1', 0, end);
      if (this.names.has(name)) return;
      if (this.names.size >= MAX_FOLLOWED_STATEMENTS) this.lost = true;
      else this.names.add(name);
    }
  }

  /** The statements the client made, or null when they could not all be followed. */
  get made(): string[] | null {
    return this.lost ? null : [...this.names];
  }
}
