// What a client session owns beyond its statements, in Data API mode: temporary tables, views
// and sequences, WITH HOLD cursors (both kept in the session's schema, session-schema.ts), and
// the table OIDs its RowDescriptions carry (table-columns.ts). The statement runner hands every
// statement to `run`, which deals with these and passes the rest on unchanged; a session that
// has none of them pays nothing (no call, no rewrite) beyond the catalogue read of table-columns.
import type { ColumnMetadata, ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';
import type { DataApiClient } from '../client/data-api-client.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import type { ClassifiedStatement } from '../sql/index.js';
import { parseSelectIntoTemp, parseTempCreate, rewriteTempReferences } from '../sql/temp-names.js';
import { HeldCursors } from './held-cursors.js';
import { simple, type RunOptions, type RunnerContext, type StatementOutcome } from './outcome.js';
import type { RenderedStatement } from './render.js';
import { SessionSchemas, newSessionSchemaName } from './session-schema.js';
import { TableColumns } from './table-columns.js';
import { TempObjects } from './temp-objects.js';

/** What the sessions of one database share. */
export class DatabaseObjects {
  readonly tableColumns = new TableColumns();
  readonly schemas: SessionSchemas;

  constructor(client: DataApiClient) {
    this.schemas = new SessionSchemas(client);
  }
}

export type RunClassified = (ctx: RunnerContext, statement: ClassifiedStatement, render: () => RenderedStatement, options: RunOptions) => Promise<StatementOutcome>;

type Render = () => RenderedStatement;

export class SessionObjects {
  private readonly schema = newSessionSchemaName();
  private schemaCreated = false;
  /** The schema was made inside the open transaction: it exists only if that transaction commits. */
  private schemaInTransaction = false;
  private readonly temps = new TempObjects();
  private readonly held = new HeldCursors();
  /** ON COMMIT actions of a committed transaction, run before the session's next statement. */
  private pending: string[] = [];

  constructor(
    private readonly shared: DatabaseObjects,
    private readonly client: DataApiClient,
  ) {}

  async run(ctx: RunnerContext, statement: ClassifiedStatement, render: Render, options: RunOptions, inner: RunClassified): Promise<StatementOutcome> {
    // An aborted transaction refuses everything but its end, held cursors included.
    if (ctx.tx.status === 'E') return inner(ctx, statement, render, options);
    await this.runPending();
    const outcome = await this.dispatch(ctx, statement, render, options, inner);
    if (statement.kind === 'generic' && /^(CREATE|ALTER|DROP)\b/.test(statement.verb)) this.shared.tableColumns.invalidate();
    // Outside a transaction the statement was one, and has committed.
    if (!ctx.tx.open) {
      this.transactionEnded(true);
      await this.runPending();
    }
    return this.withTableColumns(ctx, outcome);
  }

  /** The session's transaction ended (wired to Transaction's events). */
  transactionEnded(committed: boolean): void {
    if (this.schemaInTransaction) {
      this.schemaInTransaction = false;
      if (!committed) {
        this.schemaCreated = false;
        this.shared.schemas.forget(this.schema);
      }
    }
    this.pending.push(...this.temps.transactionEnded(committed, this.schema));
    this.held.transactionEnded(committed);
  }

  /** A statement's text with the session's temp names qualified (for Describe). */
  rewriteText(text: string): string {
    if (this.temps.isEmpty) return text;
    return rewriteTempReferences(text, this.temps.names(), this.schema).rewritten.sql;
  }

  /** A relation name as written (COPY's target) with a temp name qualified by the session's schema. */
  qualifyRelation(text: string): string {
    if (this.temps.isEmpty) return text;
    const refs = rewriteTempReferences(`TABLE ${text}`, this.temps.names(), this.schema);
    this.temps.recordUsed(refs.referenced);
    return refs.rewritten.sql.slice('TABLE '.length);
  }

  holdsCursor(name: string): boolean {
    return this.held.has(name);
  }

  /** The columns of a WITH HOLD cursor, for a Describe of it as a portal. */
  cursorColumns(ctx: RunnerContext, name: string): Promise<ColumnMetadata[]> {
    return this.held.columns(ctx, name, this.schema);
  }

  /** Resolves table OIDs and column numbers of described columns (Describe of a statement). */
  async describedColumns(ctx: RunnerContext, columns: ColumnMetadata[]): Promise<ColumnMetadata[]> {
    return (await this.withTableColumns(ctx, { ...simple(''), columns })).columns ?? columns;
  }

  /** The client left: its schema, with every temp object and held cursor in it, goes. */
  async close(): Promise<void> {
    this.temps.clear();
    this.held.clear();
    this.pending = [];
    if (!this.schemaCreated) return;
    this.schemaCreated = false;
    await this.shared.schemas.drop(this.schema);
  }

  private async dispatch(ctx: RunnerContext, statement: ClassifiedStatement, render: Render, options: RunOptions, inner: RunClassified): Promise<StatementOutcome> {
    switch (statement.kind) {
      case 'declare-cursor':
        if (!statement.hold) break;
        await this.ensureSchema(ctx);
        return this.held.declare(ctx, statement, this.withTempReferences(render).render, this.schema);
      case 'fetch':
        if (this.held.has(statement.cursor)) return this.held.fetch(ctx, statement, this.schema);
        break;
      case 'close-cursor':
        if (statement.name !== null && this.held.has(statement.name)) {
          await this.held.close(ctx, statement.name, this.schema);
          return simple('CLOSE CURSOR');
        }
        if (statement.name === null) await this.held.closeAll(ctx, this.schema);
        break;
      case 'discard': {
        if (statement.target !== 'temp' && statement.target !== 'all') break;
        const outcome = await inner(ctx, statement, render, options); // refuses DISCARD ALL in a transaction first
        for (const sql of this.temps.discardAll(this.schema)) await ctx.tx.execute({ sql }, ctx.onResuming);
        if (statement.target === 'all') await this.held.closeAll(ctx, this.schema);
        return outcome;
      }
      case 'generic': {
        const parse = statement.verb.startsWith('CREATE') ? parseTempCreate : statement.verb === 'SELECT INTO' ? parseSelectIntoTemp : null;
        const create = parse?.(render().sql, this.schema);
        if (!parse || !create) break;
        await this.ensureSchema(ctx);
        const names = this.temps.names();
        const rendered = (): RenderedStatement => {
          const base = render();
          const created = parse(base.sql, this.schema)!.rewritten;
          const refs = rewriteTempReferences(created.sql, names, this.schema).rewritten;
          return { sql: refs.sql, parameters: base.parameters, originalOffset: (o) => base.originalOffset(created.originalOffset(refs.originalOffset(o))) };
        };
        const outcome = await inner(ctx, statement, rendered, options);
        this.temps.recordCreated({ kind: create.kind, name: create.name, onCommit: create.onCommit });
        return outcome;
      }
    }
    if (this.temps.isEmpty) return inner(ctx, statement, render, options);
    const rewritten = this.withTempReferences(render);
    const outcome = await inner(ctx, statement, rewritten.render, options);
    const referenced = rewritten.referenced();
    if (statement.kind === 'generic' && /^DROP (TABLE|VIEW|SEQUENCE)\b/.test(statement.verb)) {
      for (const name of referenced) this.temps.recordDropped(name);
    } else {
      this.temps.recordUsed(referenced);
    }
    return outcome;
  }

  /** `render` with references to the session's temp objects qualified by its schema. */
  private withTempReferences(render: Render): { render: Render; referenced: () => Set<string> } {
    if (this.temps.isEmpty) return { render, referenced: () => new Set() };
    const names = this.temps.names();
    let referenced = new Set<string>();
    return {
      render: () => {
        const base = render();
        const refs = rewriteTempReferences(base.sql, names, this.schema);
        referenced = refs.referenced;
        return { sql: refs.rewritten.sql, parameters: base.parameters, originalOffset: (o) => base.originalOffset(refs.rewritten.originalOffset(o)) };
      },
      referenced: () => referenced,
    };
  }

  private async ensureSchema(ctx: RunnerContext): Promise<void> {
    // Made in this transaction, it may since have gone with a ROLLBACK TO SAVEPOINT: IF NOT EXISTS.
    if (this.schemaCreated && !this.schemaInTransaction) return;
    const creation = ctx.tx.open
      ? this.shared.schemas.createInTransaction(this.schema, (sql) => ctx.tx.execute({ sql }, ctx.onResuming))
      : this.shared.schemas.create(this.schema, ctx.onResuming);
    await creation.catch((err: unknown) => {
      if (!(err instanceof ClientFacingError && err.sqlstate === SqlState.INSUFFICIENT_PRIVILEGE)) throw err;
      throw new ClientFacingError(err.sqlstate, err.message, {
        hint:
          'In Data API mode temporary tables and WITH HOLD cursors live in a schema the proxy creates for the session; ' +
          'grant the database user CREATE on the database (GRANT CREATE ON DATABASE ...) to use them.',
      }, 'ERROR');
    });
    this.schemaCreated = true;
    this.schemaInTransaction = ctx.tx.open;
  }

  private async runPending(): Promise<void> {
    while (this.pending.length > 0) {
      const sql = this.pending.shift()!;
      // Outside any transaction: the transaction they belong to has committed.
      await this.client.execute({ sql }).catch(() => undefined);
    }
  }

  private async withTableColumns(ctx: RunnerContext, outcome: StatementOutcome): Promise<StatementOutcome> {
    const columns = outcome.columns;
    if (!columns || !columns.some((c) => c.tableName)) return outcome;
    if (ctx.tx.status === 'E') return outcome;
    // Inside a transaction the catalogue is read there, so tables it created are found.
    const execute = (sql: string): Promise<ExecuteStatementCommandOutput> =>
      ctx.tx.open ? ctx.tx.execute({ sql }, ctx.onResuming) : this.client.execute({ sql }, ctx.onResuming);
    const resolved = await this.shared.tableColumns.resolve(execute, columns, {
      schema: this.schemaCreated ? this.schema : null,
      tempNames: this.temps.names(),
      inTransaction: ctx.tx.open,
    });
    return { ...outcome, columns: resolved };
  }
}
