// Errors at Parse. PostgreSQL parses and analyses a statement when Parse arrives and answers a
// bad one (syntax error, unknown table, column or function) with an ErrorResponse in place of
// ParseComplete, keeping no statement of that name. Clients rely on it: node-postgres records a
// named statement as prepared when ParseComplete arrives, and later skips its Parse.
//
// A mode that answers Parse without asking the database (Data API mode) holds ParseComplete
// (and what follows it) back until the statement proves itself: its Describe or Execute in the
// same pipeline reaches the database anyway. When that fails with a parse-analysis error, the
// held messages are dropped, the error takes ParseComplete's place, and the statement is
// forgotten. Only when something else comes first (Sync, Flush, another statement's messages)
// is the statement checked on its own (ProtocolHandler.checkStatement).
import { ClientFacingError } from '../../protocol/client-error.js';
import type { FrontendMessage } from '../../protocol/messages.js';
import type { ClassifiedStatement } from '../sql/index.js';
import type { ClientWriter } from '../session/client-writer.js';

/** The one statement whose ParseComplete (and what followed it) the session holds back. */
export class HeldParse<S extends { name: string }> {
  private pending: S | null = null;

  constructor(private readonly out: ClientWriter) {}

  get statement(): S | null {
    return this.pending;
  }

  /** Called just before ParseComplete is queued. */
  hold(statement: S): void {
    this.out.hold();
    this.pending = statement;
  }

  /** Whether `msg` is the held statement's own Bind, Describe or Execute (which may prove it). */
  isOwn(msg: FrontendMessage, statementOfPortal: (portal: string) => S | undefined): boolean {
    const pending = this.pending;
    if (msg.type === 'Bind') return msg.statement === pending?.name;
    if (msg.type === 'Describe') return msg.target === 'S' ? msg.name === pending?.name : statementOfPortal(msg.name) === pending;
    if (msg.type === 'Execute') return statementOfPortal(msg.portal) === pending;
    return false;
  }

  /** The database accepted the statement: what was held goes out. */
  confirm(statement: S): void {
    if (this.pending !== statement) return;
    this.pending = null;
    this.out.release();
  }

  /**
   * A failure while the statement is held. A parse-analysis error drops the held messages (the
   * error takes ParseComplete's place) and returns the statement, which the session forgets;
   * any other error lets them go first and returns null.
   */
  settle(err: unknown): S | null {
    const pending = this.pending;
    if (!pending) return null;
    this.pending = null;
    if (!isParseAnalysisError(err)) {
      this.out.release();
      return null;
    }
    this.out.discardHeld();
    return pending;
  }
}

/** Statements PREPARE accepts, and so PostgreSQL analyses at Parse; utility statements wait for Execute. */
const PREPARABLE = new Set(['SELECT', 'VALUES', 'TABLE', 'INSERT', 'UPDATE', 'DELETE', 'MERGE']);

export function holdsParseComplete(s: ClassifiedStatement): boolean {
  return s.kind === 'generic' && PREPARABLE.has(s.verb);
}

/**
 * Whether an error from running or describing a statement is one PostgreSQL raises at Parse:
 * class 42 (syntax error, undefined object, type mismatch...) except missing privileges, which
 * the executor checks.
 */
export function isParseAnalysisError(err: unknown): boolean {
  return err instanceof ClientFacingError && err.sqlstate.startsWith('42') && err.sqlstate !== '42501';
}
