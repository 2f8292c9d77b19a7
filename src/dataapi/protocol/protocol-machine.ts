// PostgreSQL's frontend/backend protocol after startup, as a state machine independent of how
// statements run: simple Query split into statements, prepared statements and portals of the
// extended protocol, the skip-until-Sync rule after an error, ReadyForQuery. Running,
// describing and the transaction belong to the handler (protocol-handler.ts).
import {
  encodeBindComplete,
  encodeCloseComplete,
  encodeEmptyQueryResponse,
  encodeParseComplete,
} from '../../protocol/backend-encoder.js';
import { ProtocolViolation } from '../../protocol/errors.js';
import type { FrontendMessage } from '../../protocol/messages.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { StreamClosedError } from '../../server/message-channel.js';
import { emptyStatement, parseStatementsCached } from '../sql/index.js';
import type { ClientWriter } from '../session/client-writer.js';
import { StatementError } from '../session/outcome.js';
import { expandFormats } from '../session/render.js';
import type { ProtocolHandler } from './protocol-handler.js';
import type { PreparedStatement, StatementRegistry } from './statement-registry.js';
import { HeldParse, holdsParseComplete } from './held-parse.js';

type Message<T extends FrontendMessage['type']> = Extract<FrontendMessage, { type: T }>;

export class ProtocolMachine {
  private skipUntilSync = false;
  /** A statement whose ParseComplete is held until it proves itself (held-parse.ts). */
  private readonly heldParse: HeldParse<PreparedStatement>;

  constructor(
    private readonly out: ClientWriter,
    private readonly registry: StatementRegistry,
    private readonly handler: ProtocolHandler,
  ) {
    this.heldParse = new HeldParse(out);
  }

  /** Answers one frontend message (Terminate is the caller's: it ends the session). */
  async dispatch(msg: FrontendMessage): Promise<void> {
    if (this.skipUntilSync && msg.type !== 'Sync') {
      return; // after an error PostgreSQL discards everything up to Sync
    }
    const held = this.heldParse.statement;
    if (held && !this.heldParse.isOwn(msg, (p) => this.registry.portals.get(p)?.statement)) {
      if (!(await this.checkHeldParse(held)) && msg.type !== 'Sync') return;
    }
    try {
      switch (msg.type) {
        case 'Query':
          return await this.query(msg.sql);
        case 'Parse':
          return this.parse(msg);
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
        case 'Terminate':
          return;
      }
    } catch (err) {
      if (err instanceof ProtocolViolation || err instanceof StreamClosedError) throw err;
      await this.fail(err);
    }
  }

  private async fail(err: unknown): Promise<void> {
    // A statement PostgreSQL would have refused at Parse is not kept (nor portals made from it).
    const refused = this.heldParse.settle(err);
    if (refused) {
      if (this.registry.statements.get(refused.name) === refused) this.registry.statements.delete(refused.name);
      for (const [name, portal] of this.registry.portals) if (portal.statement === refused) await this.registry.dropPortal(name);
    }
    await this.handler.extendedError(err);
    this.skipUntilSync = true;
  }

  /** Has the held statement checked on its own; false when it failed (the error is sent). */
  private async checkHeldParse(held: PreparedStatement): Promise<boolean> {
    try {
      await this.handler.checkStatement(held);
    } catch (err) {
      if (err instanceof ProtocolViolation || err instanceof StreamClosedError) throw err;
      await this.fail(err);
      return false;
    }
    this.heldParse.confirm(held);
    return true;
  }

  private async query(sql: string): Promise<void> {
    const started = performance.now();
    this.registry.statements.delete('');
    await this.registry.dropPortal('');
    const statements = parseStatementsCached(sql);
    if (statements.length === 0) this.out.send(encodeEmptyQueryResponse());
    else await this.handler.simpleQuery({ sql, statements });
    await this.handler.readyForQuery(started);
  }

  private async functionCall(body: Buffer): Promise<void> {
    const started = performance.now();
    await this.handler.functionCall(body);
    await this.handler.readyForQuery(started);
  }

  private parse(msg: Message<'Parse'>): void {
    const { name, sql, paramTypes } = msg;
    if (name !== '' && this.registry.statements.has(name)) {
      throw new StatementError(SqlState.DUPLICATE_PREPARED_STATEMENT, `prepared statement "${name}" already exists`);
    }
    const pieces = parseStatementsCached(sql);
    if (pieces.length > 1) {
      throw new StatementError(SqlState.SYNTAX_ERROR, 'cannot insert multiple commands into a prepared statement');
    }
    const statement = pieces[0] ?? emptyStatement();
    const paramCount = Math.max(paramTypes.length, statement.placeholders.highest);
    const batchable = this.handler.canBatch(statement);
    const prepared: PreparedStatement = { name, statement, batchable, paramTypes: [...paramTypes], paramCount };
    this.registry.statements.set(name, prepared);
    if (holdsParseComplete(statement.classified)) this.heldParse.hold(prepared);
    this.out.send(encodeParseComplete());
  }

  private bind(msg: Message<'Bind'>): void {
    const statement = this.registry.statements.get(msg.statement);
    if (!statement) {
      throw new StatementError(SqlState.INVALID_SQL_STATEMENT_NAME, `prepared statement "${msg.statement}" does not exist`);
    }
    if (msg.params.length !== statement.paramCount) {
      throw new StatementError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message supplies ${msg.params.length} parameters, but prepared statement "${msg.statement}" requires ${statement.paramCount}`,
      );
    }
    if (msg.portal !== '' && this.registry.portals.has(msg.portal)) {
      throw new StatementError(SqlState.DUPLICATE_CURSOR, `cursor "${msg.portal}" already exists`);
    }
    const formats = expandFormats(msg.paramFormats, msg.params.length, 'parameter');
    const types = msg.params.map((_, i) => statement.paramTypes[i] ?? 0);
    void this.registry.dropPortal(msg.portal);
    this.registry.portals.set(msg.portal, {
      name: msg.portal,
      statement,
      bound: { values: msg.params, formats, types, ...(statement.userTypes ? { userTypes: statement.userTypes } : {}) },
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
      const statement = this.registry.statements.get(name);
      if (!statement) throw new StatementError(SqlState.INVALID_SQL_STATEMENT_NAME, `prepared statement "${name}" does not exist`);
      if (await this.handler.describeStatement(statement)) this.heldParse.confirm(statement);
      return;
    }
    const portal = this.registry.portals.get(name);
    if ((await this.handler.describePortal(portal, name)) && portal) this.heldParse.confirm(portal.statement);
  }

  private async execute(name: string, maxRows: number): Promise<void> {
    const portal = this.registry.portals.get(name);
    if (!portal) throw new StatementError(SqlState.INVALID_CURSOR_NAME, `portal "${name}" does not exist`);
    if (portal.statement.statement.classified.kind === 'empty') {
      this.out.send(encodeEmptyQueryResponse());
      return;
    }
    await this.handler.executePortal(portal, maxRows);
    this.heldParse.confirm(portal.statement);
  }

  private async close(target: 'S' | 'P', name: string): Promise<void> {
    if (target === 'S') this.registry.statements.delete(name);
    else await this.registry.dropPortal(name);
    this.out.send(encodeCloseComplete());
  }

  private async sync(): Promise<void> {
    this.skipUntilSync = false;
    const { transactionOpen } = await this.handler.sync();
    if (!transactionOpen) await this.registry.closeAllPortals();
    await this.handler.readyForQuery(null);
  }
}
