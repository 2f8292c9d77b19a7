// --reuse-connections: the prepared statements a client made with the extended protocol (Parse
// with a name) and has not closed, followed from the first bytes of its Parse and Close messages.
// Before the connection goes to another client they are closed with Close messages, which every
// server of the protocol takes, so that a reset query which keeps them (DSQL's RESET ALL) still
// hands on a clean session. Names are kept as latin1 strings: byte for byte what the client sent.

/** Beyond this many open statements, the session is not reused unless its reset clears them. */
export const MAX_FOLLOWED_STATEMENTS = 1000;
const STATEMENT = 0x53; // 'S', in Close

export class NamedStatements {
  private readonly names = new Set<string>();
  /** A name could not be read (longer than the capture) or there were too many: not followed. */
  private lost = false;

  /** A Parse's first bytes: its statement name, then the query. */
  parsed(head: Buffer): void {
    const name = cString(head, 0);
    if (name === null) this.lost = true;
    else if (name !== '' && !this.names.has(name)) {
      if (this.names.size >= MAX_FOLLOWED_STATEMENTS) this.lost = true;
      else this.names.add(name);
    }
  }

  /** A Close's first bytes: 'S' or 'P', then the name. */
  closed(head: Buffer): void {
    if (head[0] !== STATEMENT) return;
    const name = cString(head, 1);
    if (name !== null) this.names.delete(name);
  }

  /** The statements still open, or null when they could not all be followed. */
  get open(): string[] | null {
    return this.lost ? null : [...this.names];
  }
}

function cString(head: Buffer, from: number): string | null {
  const end = head.indexOf(0, from);
  return end < 0 ? null : head.toString('latin1', from, end);
}
