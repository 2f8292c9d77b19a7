// One client in Data API mode: reads every frontend message and answers it as PostgreSQL would,
// running statements through the Data API. Simple and extended protocol share the statement
// runner; this file owns the protocol's own state: prepared statements, portals, the
// skip-until-Sync rule after an error, ReadyForQuery, and the implicit transactions PostgreSQL
// wraps around a multi-statement query or an extended-protocol pipeline.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import {
  encodeBackendKeyData,
  encodeBindComplete,
  encodeCloseComplete,
  encodeCommandComplete,
  encodeEmptyQueryResponse,
  encodeErrorResponse,
  encodeFunctionCallResponse,
  encodeNoData,
  encodeNoticeResponse,
  encodeParameterDescription,
  encodeParseComplete,
  encodePortalSuspended,
  encodeReadyForQuery,
} from '../../protocol/backend-encoder.js';
import { decodeFrontendMessage } from '../../protocol/frontend-decoder.js';
import { ProtocolViolation } from '../../protocol/errors.js';
import type { FormatCode, FrontendMessage, NoticeFields } from '../../protocol/messages.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError, errorFields, terminationFields } from '../../server/client-error.js';
import { MessageChannel, StreamClosedError } from '../../server/message-channel.js';
import type { ClientSession } from '../../server/types.js';
import { classifyStatement, findPlaceholders, offsetToPosition, quoteIdentifier, splitStatements, type ClassifiedStatement } from '../sql/index.js';
import type { DataApiClient } from '../client/data-api-client.js';
import { ClientWriter } from './client-writer.js';
import { expandFormats, renderStatement, type BoundValues } from './render.js';
import { ResultShape, textStyleOf } from './results.js';
import type { RowSource } from './row-source.js';
import { SessionSettings, displayName, type ServerFacts } from './settings.js';
import { runStatement, StatementError, type RunnerContext, type StatementOutcome } from './statement-runner.js';
import { Transaction, type TransactionEvents } from './transaction.js';
import { describeStatement, type DescribeCache } from './describe.js';
import { runCopy } from './copy.js';
import { isSingleRowInsert } from './batching.js';
import { executeRounds } from './batch-execution.js';
import { beginWithSettings } from './statement-runner.js';
import { ClientInput, type Frame } from './client-input.js';
import { ParameterReports } from './parameter-reports.js';
import { parseFunctionCall, runFunctionCall } from './function-call.js';
import { checkStatement, HeldParse, holdsParseComplete } from './parse-check.js';

export interface DataApiSessionObserver extends TransactionEvents {
  queryFinished?(seconds: number): void;
  queryError?(sqlstate: string): void;
  /** Bytes as they pass, for the metrics (the session's counters are for the closing log line). */
  bytes?(direction: 'client_to_upstream' | 'upstream_to_client', n: number): void;
}

export interface DataApiSessionDeps {
  client: DataApiClient;
  facts: ServerFacts;
  describeCache: DescribeCache;
  observer: DataApiSessionObserver;
  maxMessageBytes: number;
  pageInTransactions?: boolean;
}

interface PreparedStatement {
  name: string;
  text: string;
  /** Whether rounds of it may be sent as one BatchExecuteStatement (see batching.ts). */
  batchable: boolean;
  classified: ClassifiedStatement;
  /** Types declared in Parse, completed by a Describe when the client asked for one. */
  paramTypes: number[];
  paramCount: number;
}

interface Portal {
  statement: PreparedStatement;
  bound: BoundValues;
  resultFormats: FormatCode[];
  outcome: StatementOutcome | null;
  shape: ResultShape | null;
  rowsSent: number;
  done: boolean;
}

/** Rows sent per read from a source when the client set no row limit. */
const PAGE_ROWS = 1000;

export class DataApiSession {
  private readonly out: ClientWriter;
  private readonly input: ClientInput;
  private readonly tx: Transaction;
  private readonly settings: SessionSettings;
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  private readonly parameters = new ParameterReports();
  private skipUntilSync = false;
  /** A statement whose ParseComplete is held until it proves itself (parse-check.ts). */
  private readonly heldParse: HeldParse<PreparedStatement>;
  private cancelRequested = false;
  private readonly ctx: RunnerContext;

  constructor(
    private readonly session: ClientSession,
    private readonly deps: DataApiSessionDeps,
  ) {
    this.out = new ClientWriter(session.stream, (n) => deps.observer.bytes?.('upstream_to_client', n));
    this.heldParse = new HeldParse(this.out);
    this.input = new ClientInput(new MessageChannel(session.stream, deps.maxMessageBytes, session.pending));
    this.settings = new SessionSettings(deps.facts, session.parameters);
    this.tx = new Transaction(deps.client, {
      transactionOpened: () => {
        this.settings.transactionStarted();
        deps.observer.transactionOpened?.();
      },
      transactionClosed: () => deps.observer.transactionClosed?.(),
      transactionEnded: (committed) => {
        // A rollback undoes the SETs made in the transaction, reported ones included.
        for (const [k, v] of this.settings.transactionEnded(committed)) this.reportParameter(k, v);
      },
      transactionFailed: () => {
        for (const [k, v] of this.settings.transactionFailed()) this.reportParameter(k, v);
      },
    });
    this.ctx = {
      tx: this.tx,
      settings: this.settings,
      onResuming: () => this.noticeResuming(),
      cursorColumns: new Map(),
      pageInTransactions: deps.pageInTransactions ?? false,
    };
    session.onCancel(() => {
      this.cancelRequested = true;
    });
  }

  async run(): Promise<void> {
    for (const m of this.parameters.atStartup(this.settings.reportedAtStartup())) this.out.send(m);
    this.out.send(encodeBackendKeyData(this.session.cancelKey.processId, this.session.cancelKey.secretKey));
    this.out.send(encodeReadyForQuery('I'));
    await this.out.flush();
    // The listener aborts a session once its grace period is over (SIGTERM) or it sat idle: the
    // client is told at once, as PostgreSQL tells it, even while a call is running; that call's
    // answer is dropped and its transaction rolled back when the loop ends.
    const onShutdown = () => void this.terminate();
    this.session.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    try {
      for (;;) {
        const frame = await this.nextFrame();
        const msg = decodeFrontendMessage(frame.type, frame.body);
        this.session.counters.bytesFromClient += frame.body.length + 5;
        this.deps.observer.bytes?.('client_to_upstream', frame.body.length + 5);
        if (msg.type === 'Terminate') return;
        await this.dispatch(msg);
      }
    } catch (err) {
      if (err instanceof StreamClosedError) return;
      if (err instanceof ProtocolViolation) {
        this.out.send(encodeErrorResponse({ severity: 'FATAL', code: err.sqlstate, message: err.message }));
        await this.out.flush().catch(() => undefined);
        this.session.stream.end();
        return;
      }
      throw err;
    } finally {
      this.session.shutdownSignal.removeEventListener('abort', onShutdown);
      this.session.counters.bytesToClient += this.out.bytesWritten;
      await this.closeAllPortals();
      await this.tx.abandon();
    }
  }

  // ------------------------------------------------------------------ message loop

  private async nextFrame(): Promise<Frame> {
    if (this.input.hasQueued) return this.input.next();
    await this.out.flush();
    if (this.session.shutdownSignal.aborted) {
      await this.terminate();
      throw new StreamClosedError('session ended by the proxy');
    }
    return this.input.next();
  }

  private terminated = false;

  private async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    this.out.discardQueued();
    this.out.send(encodeErrorResponse(terminationFields(this.session.shutdownSignal.reason)));
    await this.out.flush().catch(() => undefined);
    this.out.close();
    this.session.stream.end();
    setTimeout(() => this.session.stream.destroy(), 2000).unref();
  }

  private async dispatch(msg: FrontendMessage): Promise<void> {
    if (this.skipUntilSync && msg.type !== 'Sync') {
      return; // after an error PostgreSQL discards everything up to Sync
    }
    const held = this.heldParse.statement;
    if (held && !this.heldParse.isOwn(msg, (p) => this.portals.get(p)?.statement) && !(await this.checkHeldParse(held)) && msg.type !== 'Sync') return;
    try {
      switch (msg.type) {
        case 'Query':
          return await this.simpleQuery(msg.sql);
        case 'Parse':
          return this.parse(msg.name, msg.sql, msg.paramTypes);
        case 'Bind':
          return this.bind(msg);
        case 'Describe':
          return await this.describe(msg.target, msg.name);
        case 'Execute':
          return await this.execute(msg.portal, msg.maxRows);
        case 'Close':
          return await this.close(msg.target, msg.name);
        case 'Sync':
          return await this.sync();
        case 'Flush':
          return await this.out.flush();
        case 'CopyData':
        case 'CopyDone':
        case 'CopyFail':
          return; // PostgreSQL ignores these outside COPY
        case 'FunctionCall':
          return await this.functionCall(msg.body);
        case 'PasswordLike':
          throw new ProtocolViolation('unexpected password message after authentication');
      }
    } catch (err) {
      if (err instanceof ProtocolViolation || err instanceof StreamClosedError) throw err;
      await this.extendedError(err);
    }
  }

  // ------------------------------------------------------------------ simple query

  private async simpleQuery(sql: string): Promise<void> {
    const started = performance.now();
    this.statements.delete('');
    await this.dropPortal('');
    const pieces = splitStatements(sql);
    if (pieces.length === 0) {
      this.out.send(encodeEmptyQueryResponse());
      return this.readyForQuery(started);
    }
    const classified = pieces.map((p) => classifyStatement(p.text));
    // PostgreSQL runs a multi-statement query as one transaction unless it manages its own.
    const managesTransactions = classified.some((c) => ['begin', 'commit', 'rollback', 'savepoint', 'release-savepoint', 'rollback-to-savepoint'].includes(c.kind));
    const implicitBlock = pieces.length > 1 && !this.tx.open && !managesTransactions;
    let failedAt = 0;
    try {
      if (implicitBlock) await beginWithSettings(this.ctx, true);
      for (let i = 0; i < pieces.length; i++) {
        failedAt = i;
        this.session.counters.queries++;
        this.cancelRequested = false;
        const statement = classified[i];
        if (statement.kind === 'copy') {
          await runCopy(this.copyContext(), statement, pieces[i].text);
          continue;
        }
        const outcome = this.deallocateLocally(statement) ?? (await runStatement(this.ctx, statement, () => renderStatement(pieces[i].text, null)));
        await this.failIfCancelledInTransaction(outcome);
        await this.sendOutcome(outcome, [], true);
        // A transaction opened just to apply remembered settings ends with its statement.
        if (this.tx.implicit && !implicitBlock) await this.tx.commit();
      }
      if (this.tx.open && this.tx.implicit) await this.tx.commit();
    } catch (err) {
      await this.reportError(err, sql, pieces[failedAt].offset);
      if (this.tx.open && this.tx.implicit) await this.tx.rollback().catch(() => undefined);
      else this.tx.markFailed();
    }
    await this.readyForQuery(started);
  }

  /** A fast-path function call (libpq's lo_* functions) ends with ReadyForQuery, like a simple query. */
  private async functionCall(body: Buffer): Promise<void> {
    const started = performance.now();
    this.session.counters.queries++;
    this.lastExtendedText = null; // the SQL run is the proxy's: an error has no position for the client
    try {
      const value = await runFunctionCall(this.ctx, parseFunctionCall(body), textStyleOf(this.settings));
      this.out.send(encodeFunctionCallResponse(value));
      if (this.tx.open && this.tx.implicit) await this.tx.commit();
    } catch (err) {
      if (err instanceof ProtocolViolation) throw err;
      await this.reportError(err, null, 0);
      if (this.tx.open && this.tx.implicit) await this.tx.rollback().catch(() => undefined);
      else this.tx.markFailed();
    }
    await this.readyForQuery(started);
  }

  // ------------------------------------------------------------------ extended query

  private parse(name: string, sql: string, paramTypes: number[]): void {
    if (name !== '' && this.statements.has(name)) {
      throw new StatementError(SqlState.DUPLICATE_PREPARED_STATEMENT, `prepared statement "${name}" already exists`);
    }
    const pieces = splitStatements(sql);
    if (pieces.length > 1) {
      throw new StatementError(SqlState.SYNTAX_ERROR, 'cannot insert multiple commands into a prepared statement');
    }
    const text = pieces[0]?.text ?? '';
    const classified = classifyStatement(text);
    const paramCount = Math.max(paramTypes.length, findPlaceholders(text).highest);
    const batchable = classified.kind === 'generic' && classified.verb === 'INSERT' && isSingleRowInsert(text);
    const statement: PreparedStatement = { name, text, batchable, classified, paramTypes: [...paramTypes], paramCount };
    this.statements.set(name, statement);
    if (holdsParseComplete(classified)) this.heldParse.hold(statement);
    this.out.send(encodeParseComplete());
  }

  private bind(msg: Extract<FrontendMessage, { type: 'Bind' }>): void {
    const statement = this.statements.get(msg.statement);
    if (!statement) {
      throw new StatementError(SqlState.INVALID_SQL_STATEMENT_NAME, `prepared statement "${msg.statement}" does not exist`);
    }
    if (msg.params.length !== statement.paramCount) {
      throw new StatementError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message supplies ${msg.params.length} parameters, but prepared statement "${msg.statement}" requires ${statement.paramCount}`,
      );
    }
    if (msg.portal !== '' && this.portals.has(msg.portal)) {
      throw new StatementError(SqlState.DUPLICATE_CURSOR, `cursor "${msg.portal}" already exists`);
    }
    const formats = expandFormats(msg.paramFormats, msg.params.length, 'parameter');
    const types = msg.params.map((_, i) => statement.paramTypes[i] ?? 0);
    void this.dropPortal(msg.portal);
    this.portals.set(msg.portal, {
      statement,
      bound: { values: msg.params, formats, types },
      resultFormats: msg.resultFormats,
      outcome: null,
      shape: null,
      rowsSent: 0,
      done: false,
    });
    this.out.send(encodeBindComplete());
  }

  private async describe(target: 'S' | 'P', name: string): Promise<void> {
    if (target === 'S') {
      const statement = this.statements.get(name);
      if (!statement) throw new StatementError(SqlState.INVALID_SQL_STATEMENT_NAME, `prepared statement "${name}" does not exist`);
      this.lastExtendedText = statement.text;
      const described = await describeStatement(this.deps.describeCache, this.deps.client, statement, this.ctx.onResuming, this.tx);
      statement.paramTypes = described.paramTypes;
      if (described.checked) this.heldParse.confirm(statement);
      this.out.send(encodeParameterDescription(described.paramTypes));
      if (described.columns) this.out.send(new ResultShape(described.columns).rowDescription([]));
      else this.out.send(encodeNoData());
      return;
    }
    const portal = this.portals.get(name);
    if (!portal) return this.describeSqlCursor(name);
    const columns = await this.portalColumns(portal, name);
    if (!columns) {
      this.out.send(encodeNoData());
      return;
    }
    const shape = new ResultShape(columns);
    this.out.send(shape.rowDescription(expandFormats(portal.resultFormats, shape.width, 'result')));
  }

  /**
   * DEALLOCATE of a statement prepared with Parse. PostgreSQL keeps those with the ones made by
   * PREPARE, but here they live in the proxy and the database session has never seen them
   * (psycopg deallocates the statements it evicts this way). DEALLOCATE ALL drops the proxy's
   * and still goes to the database for any made by PREPARE in the transaction.
   */
  private deallocateLocally(s: ClassifiedStatement): StatementOutcome | null {
    if (s.kind !== 'deallocate' || this.tx.status === 'E') return null;
    if (s.name === null) {
      for (const name of [...this.statements.keys()]) if (name !== '') this.statements.delete(name);
      return null;
    }
    if (!this.statements.delete(s.name)) return null;
    return { columns: null, rows: null, tag: () => 'DEALLOCATE', affected: 0, notices: [], parameterStatus: [] };
  }

  /**
   * Describe of a portal the client made with DECLARE ... CURSOR rather than Bind: PostgreSQL
   * keeps both kinds together, and psycopg describes its named cursors this way. The cursor
   * lives in the Data API transaction; FETCH FORWARD 0 reports its columns without moving it.
   */
  private async describeSqlCursor(name: string): Promise<void> {
    const missing = () => new StatementError(SqlState.INVALID_CURSOR_NAME, `portal "${name}" does not exist`);
    if (name === '' || !this.tx.open || this.tx.status === 'E') throw missing();
    const out = await this.tx.execute({ sql: `FETCH FORWARD 0 FROM ${quoteIdentifier(name)}` }, this.ctx.onResuming).catch((err: unknown) => {
      throw err instanceof ClientFacingError && err.sqlstate === SqlState.INVALID_CURSOR_NAME ? missing() : err;
    });
    const columns = this.ctx.cursorColumns.get(name) ?? out.columnMetadata ?? [];
    if (columns.length === 0) this.out.send(encodeNoData());
    else this.out.send(new ResultShape(columns).rowDescription([]));
  }

  /** The columns a portal will send. Statements with rows are run now to learn them. */
  private async portalColumns(portal: Portal, name: string): Promise<ColumnMetadata[] | null> {
    const s = portal.statement.classified;
    if (s.kind === 'show' && portal.outcome === null && this.settings.isClientSide(s.name ?? '')) {
      const column = displayName(s.name ?? '');
      return [{ name: column, label: column, typeName: 'text' }];
    }
    if (s.returnsRows === false || s.kind === 'empty') return null;
    const ownExecute = this.input.nextExecuteRows(name);
    await this.startPortal(portal, ownExecute ?? 0, ownExecute !== null);
    return portal.outcome!.columns;
  }

  /**
   * Runs the portal's statement. `maxRows` is the row limit of its Execute (0: none), and
   * `ownExecuteQueued` says that Execute is still among the queued frames (a Describe came first).
   */
  private async startPortal(portal: Portal, maxRows: number, ownExecuteQueued: boolean): Promise<void> {
    if (portal.outcome) return;
    this.cancelRequested = false;
    await this.beginPipelineTransaction(ownExecuteQueued);
    const st = portal.statement;
    this.lastExtendedText = st.text;
    if (st.classified.kind === 'copy') {
      throw new StatementError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY is supported through the simple query protocol only in Data API mode');
    }
    const outcome =
      this.deallocateLocally(st.classified) ??
      (await runStatement(this.ctx, st.classified, () => renderStatement(st.text, portal.bound), { paged: maxRows > 0 }));
    this.heldParse.confirm(st);
    await this.failIfCancelledInTransaction(outcome);
    portal.outcome = outcome;
    portal.shape = portal.outcome.columns ? new ResultShape(portal.outcome.columns, textStyleOf(this.settings)) : null;
    this.sendSideEffects(portal.outcome);
  }

  /**
   * A cancel request that came while the statement's call ran. The Data API cannot stop a call,
   * but inside a transaction the statement can still fail as PostgreSQL's does: the transaction
   * is then aborted, and its rollback undoes what the statement did. Outside one the statement
   * has committed, and saying it was cancelled would be untrue (rows still are not sent).
   */
  private async failIfCancelledInTransaction(outcome: StatementOutcome): Promise<void> {
    if (!this.cancelRequested || !this.tx.open) return;
    this.cancelRequested = false;
    await outcome.rows?.close().catch(() => undefined);
    throw new StatementError(SqlState.QUERY_CANCELED, 'canceling statement due to user request');
  }

  private async execute(name: string, maxRows: number): Promise<void> {
    const started = performance.now();
    const portal = this.portals.get(name);
    if (!portal) throw new StatementError(SqlState.INVALID_CURSOR_NAME, `portal "${name}" does not exist`);
    if (portal.statement.classified.kind === 'empty') {
      this.out.send(encodeEmptyQueryResponse());
      return;
    }
    if (!portal.outcome) this.session.counters.queries++;
    if (!portal.outcome && (await this.executeAsBatch(portal, name))) {
      this.deps.observer.queryFinished?.((performance.now() - started) / 1000);
      return;
    }
    await this.startPortal(portal, maxRows, false);
    const outcome = portal.outcome!;
    if (portal.done) {
      // PostgreSQL answers a finished portal with its tag and no rows.
      this.out.send(encodeCommandComplete(outcome.tag(0)));
      return;
    }
    const formats = portal.shape ? expandFormats(portal.resultFormats, portal.shape.width, 'result') : [];
    const suspended = await this.streamRows(portal, formats, maxRows);
    if (suspended) {
      this.out.send(encodePortalSuspended());
    } else {
      portal.done = true;
      this.out.send(encodeCommandComplete(outcome.tag(outcome.rows ? portal.rowsSent : outcome.affected)));
      if (this.tx.implicit && !this.pipelineContinues()) await this.tx.commit();
    }
    this.deps.observer.queryFinished?.((performance.now() - started) / 1000);
  }

  /**
   * Runs this Execute and the rounds of the same INSERT queued behind it as BatchExecuteStatement
   * calls (batch-execution.ts). False when there is nothing to batch.
   */
  private async executeAsBatch(portal: Portal, portalName: string): Promise<boolean> {
    const st = portal.statement;
    if (!st.batchable || st.paramCount === 0) return false;
    const more = await executeRounds(this.ctx, this.input, this.out, st, portalName, portal.bound);
    if (more === null) return false;
    this.heldParse.confirm(st);
    portal.done = true;
    this.session.counters.queries += more;
    return true;
  }

  /** Sends up to maxRows (0: all) rows; true when rows remain. */
  private async streamRows(portal: Portal, formats: FormatCode[], maxRows: number): Promise<boolean> {
    const rows = portal.outcome!.rows;
    const shape = portal.shape;
    if (!rows || !shape) return false;
    let sentNow = 0;
    for (;;) {
      if (this.cancelRequested) {
        this.cancelRequested = false;
        throw new StatementError(SqlState.QUERY_CANCELED, 'canceling statement due to user request');
      }
      const want = maxRows > 0 ? Math.min(PAGE_ROWS, maxRows - sentNow) : PAGE_ROWS;
      if (want === 0) return !rows.exhausted;
      const batch = await rows.next(want);
      if (batch.length === 0) return false;
      for (const record of batch) {
        const p = this.out.send(shape.dataRow(record, formats));
        if (p) await p;
      }
      sentNow += batch.length;
      portal.rowsSent += batch.length;
      if (rows.exhausted && maxRows === 0) return false;
      if (maxRows > 0 && sentNow >= maxRows) return !rows.exhausted;
    }
  }

  private async close(target: 'S' | 'P', name: string): Promise<void> {
    if (target === 'S') this.statements.delete(name);
    else await this.dropPortal(name);
    this.out.send(encodeCloseComplete());
  }

  private async sync(): Promise<void> {
    this.skipUntilSync = false;
    if (this.tx.open && this.tx.implicit) {
      if (this.tx.status === 'E') await this.tx.rollback().catch(() => undefined);
      else await this.tx.commit();
    }
    if (!this.tx.open) await this.closeAllPortals();
    await this.readyForQuery(null);
  }

  /**
   * PostgreSQL runs the statements of one pipeline (up to Sync) in one implicit transaction.
   * When more than one Execute is already waiting before the Sync, open a Data API transaction
   * so that they commit or fail together; a lone statement runs in autocommit (one call).
   */
  private async beginPipelineTransaction(ownExecuteQueued: boolean): Promise<void> {
    if (this.tx.open) return;
    let executes = this.input.executesBeforeSync();
    // Called for a Describe, the statement's own Execute is still queued: it is not another one.
    if (ownExecuteQueued && executes > 0) executes--;
    if (executes > 0) await beginWithSettings(this.ctx, true);
  }

  private pipelineContinues(): boolean {
    return this.input.executesBeforeSync() > 0;
  }

  /** Checks the held statement with PREPARE; false when it failed (the error is sent). */
  private async checkHeldParse(held: PreparedStatement): Promise<boolean> {
    this.lastExtendedText = held.text;
    try {
      await checkStatement(this.deps.client, this.tx, held.text, held.paramTypes, this.ctx.onResuming);
    } catch (err) {
      await this.extendedError(err);
      return false;
    }
    this.heldParse.confirm(held);
    return true;
  }

  private async extendedError(err: unknown): Promise<void> {
    // A statement PostgreSQL would have refused at Parse is not kept (nor portals made from it).
    const refused = this.heldParse.settle(err);
    if (refused && this.statements.get(refused.name) === refused) this.statements.delete(refused.name);
    for (const [name, portal] of this.portals) if (refused && portal.statement === refused) await this.dropPortal(name);
    await this.reportError(err, null, 0);
    if (this.tx.open) this.tx.markFailed();
    this.skipUntilSync = true;
  }

  // ------------------------------------------------------------------ output helpers

  private async sendOutcome(outcome: StatementOutcome, formats: FormatCode[], describe: boolean): Promise<void> {
    this.sendSideEffects(outcome);
    if (outcome.columns && outcome.rows) {
      const shape = new ResultShape(outcome.columns, textStyleOf(this.settings));
      if (describe) this.out.send(shape.rowDescription(formats));
      let sent = 0;
      const rows: RowSource = outcome.rows;
      for (;;) {
        if (this.cancelRequested) {
          this.cancelRequested = false;
          await rows.close().catch(() => undefined);
          throw new StatementError(SqlState.QUERY_CANCELED, 'canceling statement due to user request');
        }
        const batch = await rows.next(PAGE_ROWS);
        if (batch.length === 0) break;
        for (const record of batch) {
          const p = this.out.send(shape.dataRow(record, formats));
          if (p) await p;
        }
        sent += batch.length;
      }
      this.out.send(encodeCommandComplete(outcome.tag(sent)));
      return;
    }
    const tag = outcome.tag(outcome.affected);
    this.out.send(tag === '' ? encodeEmptyQueryResponse() : encodeCommandComplete(tag));
  }

  private sendSideEffects(outcome: StatementOutcome): void {
    for (const n of outcome.notices) this.out.send(encodeNoticeResponse(n));
    for (const [k, v] of outcome.parameterStatus) this.reportParameter(k, v);
  }

  private reportParameter(name: string, value: string): void {
    this.parameters.changed(name, value);
  }

  private async reportError(err: unknown, query: string | null, statementOffset: number): Promise<void> {
    const fields: NoticeFields = errorFields(err, 'ERROR');
    if (err instanceof StatementError && err.statementOffset !== undefined && query !== null) {
      fields.position = offsetToPosition(query, statementOffset + err.statementOffset);
    } else if (err instanceof StatementError && err.statementOffset !== undefined && query === null) {
      const text = this.lastExtendedText;
      if (text !== null) fields.position = offsetToPosition(text, err.statementOffset);
    }
    if (fields.code === SqlState.INTERNAL_ERROR && !(err instanceof StatementError)) {
      this.session.log.error({ err: (err as Error)?.message, stack: (err as Error)?.stack }, 'Data API session error');
    }
    this.deps.observer.queryError?.(fields.code);
    this.out.send(encodeErrorResponse(fields));
    // PostgreSQL sends an error at once rather than with the rest of the answer; clients that
    // act on it as it arrives (node-postgres rejects the query then) see the same order.
    await this.out.flush();
  }

  private lastExtendedText: string | null = null;

  private async readyForQuery(started: number | null): Promise<void> {
    for (const m of this.parameters.beforeReadyForQuery()) this.out.send(m);
    this.out.send(encodeReadyForQuery(this.tx.status));
    await this.out.flush();
    if (started !== null) this.deps.observer.queryFinished?.((performance.now() - started) / 1000);
  }

  private noticeResuming(): void {
    this.out.send(
      encodeNoticeResponse({
        severity: 'NOTICE',
        code: '57P03',
        message: 'the Aurora cluster is resuming from a pause; aurora-pg-proxy waits for it (this takes up to about 30 seconds)',
      }),
    );
    void this.out.flush().catch(() => undefined);
  }

  private async dropPortal(name: string): Promise<void> {
    const portal = this.portals.get(name);
    if (!portal) return;
    this.portals.delete(name);
    await portal.outcome?.rows?.close().catch(() => undefined);
  }

  private async closeAllPortals(): Promise<void> {
    for (const name of [...this.portals.keys()]) await this.dropPortal(name);
  }

  private copyContext() {
    return { ctx: this.ctx, out: this.out, nextFrame: () => this.nextFrame(), settings: this.settings };
  }
}

