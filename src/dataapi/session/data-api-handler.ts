// The Data API's answers to what the protocol machine asks (protocol/protocol-handler.ts). Each
// request is answered by a file of its own; this class only routes and keeps the rules that
// end a request: implicit transactions committed or rolled back, errors reported.
import { encodeFunctionCallResponse } from '../../protocol/backend-encoder.js';
import { ProtocolViolation } from '../../protocol/errors.js';
import type { ParsedStatement } from '../sql/index.js';
import type { ProtocolHandler, SimpleQuery } from '../protocol/protocol-handler.js';
import type { Portal, PreparedStatement } from '../protocol/statement-registry.js';
import { readyForQuery, reportError } from './answers.js';
import { isSingleRowInsert } from './batching.js';
import { parseFunctionCall, runFunctionCall } from './function-call.js';
import { describePortal, describePreparedStatement } from './portal-describe.js';
import { executePortal } from './portal-execution.js';
import { checkStatement } from './parse-check.js';
import { textStyleOf } from './results.js';
import type { SessionContext } from './session-context.js';
import { runSimpleQuery } from './simple-query.js';

export class DataApiHandler implements ProtocolHandler {
  constructor(private readonly sc: SessionContext) {}

  simpleQuery(query: SimpleQuery): Promise<void> {
    return runSimpleQuery(this.sc, query);
  }

  canBatch({ classified, text, tokens }: ParsedStatement): boolean {
    return classified.kind === 'generic' && classified.verb === 'INSERT' && isSingleRowInsert(text, tokens);
  }

  describeStatement(statement: PreparedStatement): Promise<boolean> {
    return describePreparedStatement(this.sc, statement);
  }

  describePortal(portal: Portal | undefined, name: string): Promise<boolean> {
    return describePortal(this.sc, portal, name);
  }

  checkStatement(statement: PreparedStatement): Promise<void> {
    const { sc } = this;
    sc.lastExtendedText = statement.statement.text;
    return checkStatement(sc.client, sc.tx, statement.statement.text, statement.paramTypes, sc.runner.onResuming);
  }

  executePortal(portal: Portal, maxRows: number): Promise<void> {
    return executePortal(this.sc, portal, maxRows);
  }

  /** The pipeline's implicit transaction ends at Sync: committed, or rolled back after an error. */
  async sync(): Promise<{ transactionOpen: boolean }> {
    const { tx } = this.sc;
    if (tx.open && tx.implicit) {
      if (tx.status === 'E') await tx.rollback().catch(() => undefined);
      else await tx.commit();
    }
    return { transactionOpen: tx.open };
  }

  /** A fast-path function call (libpq's lo_* functions) ends with ReadyForQuery, like a simple query. */
  async functionCall(body: Buffer): Promise<void> {
    const { sc } = this;
    const { tx } = sc;
    sc.session.counters.queries++;
    sc.lastExtendedText = null; // the SQL run is the proxy's: an error has no position for the client
    try {
      const value = await runFunctionCall(sc.runner, parseFunctionCall(body), textStyleOf(sc.settings));
      sc.out.send(encodeFunctionCallResponse(value));
      if (tx.open && tx.implicit) await tx.commit();
    } catch (err) {
      if (err instanceof ProtocolViolation) throw err;
      await reportError(sc, err, null, 0);
      if (tx.open && tx.implicit) await tx.rollback().catch(() => undefined);
      else tx.markFailed();
    }
  }

  async extendedError(err: unknown): Promise<void> {
    await reportError(this.sc, err, null, 0);
    if (this.sc.tx.open) this.sc.tx.markFailed();
  }

  readyForQuery(started: number | null): Promise<void> {
    return readyForQuery(this.sc, started);
  }
}
