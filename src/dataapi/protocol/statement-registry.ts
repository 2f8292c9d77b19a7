// The extended protocol's named objects: prepared statements (Parse) and portals (Bind). The
// protocol machine creates and closes them; the handler reads them and keeps a portal's result
// while the client fetches it in pieces.
import type { FormatCode } from '../../protocol/messages.js';
import type { ParsedStatement } from '../sql/index.js';
import type { BoundValues } from '../session/render.js';
import type { ResultShape } from '../session/results.js';
import type { StatementOutcome } from '../session/outcome.js';
import type { UserTypeWires } from '../types/user-types.js';

export interface PreparedStatement {
  name: string;
  /** Parsed once at Parse: every later step reads its tokens. */
  statement: ParsedStatement;
  /** Whether rounds of it may be sent together (the handler's canBatch()). */
  batchable: boolean;
  /** Types declared in Parse, completed by a Describe when the client asked for one. */
  paramTypes: number[];
  paramCount: number;
  /** How to read binary values of parameters whose types are not built in (learnt at Describe). */
  userTypes?: UserTypeWires;
}

export interface Portal {
  name: string;
  statement: PreparedStatement;
  bound: BoundValues;
  resultFormats: FormatCode[];
  /** The handler's result once the statement ran (a Describe may run it before Execute). */
  outcome: StatementOutcome | null;
  shape: ResultShape | null;
  rowsSent: number;
  /** Sent to its end: a further Execute gets the tag and no rows. */
  done: boolean;
}

export class StatementRegistry {
  readonly statements = new Map<string, PreparedStatement>();
  readonly portals = new Map<string, Portal>();

  /** Drops a portal and releases its rows (a server-side cursor, for one). */
  async dropPortal(name: string): Promise<void> {
    const portal = this.portals.get(name);
    if (!portal) return;
    this.portals.delete(name);
    await portal.outcome?.rows?.close().catch(() => undefined);
  }

  /** PostgreSQL closes every portal when the transaction they belong to ends. */
  async closeAllPortals(): Promise<void> {
    for (const name of [...this.portals.keys()]) await this.dropPortal(name);
  }

  /** Drops the prepared statements made with Parse under a name (DEALLOCATE ALL). */
  dropNamedStatements(): void {
    for (const name of [...this.statements.keys()]) if (name !== '') this.statements.delete(name);
  }
}
