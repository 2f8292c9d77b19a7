// WITH HOLD cursors in Data API mode. PostgreSQL materializes a holdable cursor's result when
// its transaction commits and serves FETCH/MOVE from that copy until CLOSE or the session's end.
// Through the Data API the cursor cannot outlive its call, so the proxy makes the copy itself at
// DECLARE: one CREATE TABLE ... AS in the session's schema with a row number that keeps the
// query's order (plus a primary key on it), and answers FETCH, MOVE and CLOSE from that table.
// The snapshot is the one DECLARE ran in, as PostgreSQL's cursor sees its declaring snapshot.
import type { ColumnMetadata, Field } from '@aws-sdk/client-rds-data';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import { classifyStatement, quoteIdentifier, type ClassifiedStatement } from '../sql/index.js';
import { runGeneric } from './generic-statement.js';
import { StatementError, simple, type RunnerContext, type StatementOutcome } from './outcome.js';
import type { RenderedStatement } from './render.js';
import type { RowSource } from './row-source.js';

type DeclareCursor = Extract<ClassifiedStatement, { kind: 'declare-cursor' }>;
type FetchStatement = Extract<ClassifiedStatement, { kind: 'fetch' }>;

const DUPLICATE_COLUMN = '42701';

/** The row-number column every materialized cursor table ends with. */
const ROW_COLUMN = 'aurora_pg_proxy_row';

interface HeldCursor {
  /** Table name within the session schema. */
  table: string;
  /** SCROLL as declared; null (neither written) is treated as SCROLL (see README). */
  scroll: boolean | null;
  /** Rows in the result. */
  total: number;
  /** 0 before the first row, 1..total on a row, total + 1 after the last (as PostgreSQL's portalPos). */
  position: number;
  /** Labels that replace the stored columns' names (when the query had duplicate names). */
  labels: string[] | null;
  /** Declared in the open transaction: a rollback takes it away. */
  inTransaction: boolean;
  /** An error stopped a FETCH or MOVE: PostgreSQL then refuses to run the portal again. */
  failed: boolean;
}

/** What a FETCH or MOVE reads: rows first..last (inclusive, in that order) and where it ends. */
export interface FetchPlan {
  first: number;
  last: number;
  count: number;
  newPosition: number;
  /** MOVE's count for ABSOLUTE/RELATIVE: 1 when it lands on a row. */
  movedTo: boolean;
}

function noScroll(): StatementError {
  return new StatementError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, 'cursor can only scan forward', undefined, {
    hint: 'Declare it with SCROLL option to enable backward scan.',
  });
}

/** FETCH/MOVE arithmetic as DoPortalRunFetch does it, over a materialized result of `total` rows. */
export function planFetch(statement: Pick<FetchStatement, 'direction' | 'count'>, position: number, total: number, scroll: boolean): FetchPlan {
  const span = (first: number, last: number, newPosition: number): FetchPlan => {
    const count = first <= last ? last - first + 1 : first - last + 1;
    const empty = first < 1 || first > total || last < 1 || last > total;
    return empty ? { first, last, count: 0, newPosition, movedTo: false } : { first, last, count, newPosition, movedTo: count > 0 };
  };
  const none = (newPosition: number): FetchPlan => ({ first: 0, last: -1, count: 0, newPosition, movedTo: false });
  const single = (target: number): FetchPlan => {
    if (target < 1) return none(0);
    if (target > total) return none(total + 1);
    return { first: target, last: target, count: 1, newPosition: target, movedTo: true };
  };
  const { direction } = statement;
  const count = statement.count === 'all' ? Number.MAX_SAFE_INTEGER : statement.count;
  const onRow = position >= 1 && position <= total;
  if ((direction === 'forward' || direction === 'backward') && count === 0) {
    // FETCH 0 re-reads the current row: a backward step, refused without SCROLL when on a row.
    if (onRow && !scroll) throw noScroll();
    return onRow ? single(position) : none(position);
  }
  switch (direction) {
    case 'forward': {
      if (position > total) return none(total + 1);
      const last = Math.min(total, position + count);
      const newPosition = position + count > total ? total + 1 : position + count;
      return last >= position + 1 ? span(position + 1, last, newPosition) : none(newPosition);
    }
    case 'backward': {
      if (!scroll) throw noScroll();
      if (position < 1) return none(0);
      const from = Math.min(position - 1, total);
      const last = Math.max(1, position - count);
      const newPosition = position - count < 1 ? 0 : position - count;
      return from >= last ? span(from, last, newPosition) : none(newPosition);
    }
    case 'absolute': {
      if (count > 0) {
        if (!scroll && count - 1 < position) throw noScroll();
        return single(count);
      }
      if (!scroll) throw noScroll();
      return count === 0 ? none(0) : single(total + count + 1);
    }
    case 'relative': {
      if (count < 0 && !scroll) throw noScroll();
      if (count === 0) {
        if (onRow && !scroll) throw noScroll();
        return onRow ? single(position) : none(position);
      }
      return single(Math.max(0, Math.min(total + 1, position + count)));
    }
  }
}

let tableSerial = 0;

export class HeldCursors {
  private readonly cursors = new Map<string, HeldCursor>();

  has(name: string): boolean {
    return this.cursors.has(name);
  }

  get isEmpty(): boolean {
    return this.cursors.size === 0;
  }

  /** Materializes the cursor's result into `schema`. */
  async declare(ctx: RunnerContext, statement: DeclareCursor, render: () => RenderedStatement, schema: string): Promise<StatementOutcome> {
    if (this.cursors.has(statement.name)) {
      throw new StatementError(SqlState.DUPLICATE_CURSOR, `cursor "${statement.name}" already exists`);
    }
    if (statement.binary) {
      throw new StatementError(SqlState.FEATURE_NOT_SUPPORTED, 'BINARY WITH HOLD cursors are not supported in Data API mode', undefined, {
        hint: 'Declare the cursor without BINARY, or use it inside a transaction without WITH HOLD.',
      });
    }
    const rendered = render();
    const declared = classifyStatement(rendered.sql);
    if (declared.kind !== 'declare-cursor') throw new Error('DECLARE changed kind when rendered');
    tableSerial = (tableSerial + 1) % 1_000_000_000;
    const table = `cursor_${tableSerial}`;
    const target = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    const materialize = (columnList: string) =>
      this.runQueryWrapped(
        ctx,
        rendered,
        declared.queryOffset,
        declared.query,
        `CREATE TABLE ${target}${columnList} AS SELECT q.*, row_number() OVER () AS ${ROW_COLUMN} FROM (`,
        `) q`,
      );
    let labels: string[] | null = null;
    let created: StatementOutcome;
    try {
      created = await materialize('');
    } catch (err) {
      // Two result columns of one name (`SELECT 1, 1`): a table needs distinct ones.
      if (!(err instanceof ClientFacingError && err.sqlstate === DUPLICATE_COLUMN)) throw err;
      const shape = await this.runQueryWrapped(ctx, rendered, declared.queryOffset, declared.query, 'SELECT q.* FROM (', ') q LIMIT 0');
      labels = (shape.columns ?? []).map((c) => c.label ?? c.name ?? '?column?');
      const names = labels.map((_, i) => `c${i + 1}`).concat(ROW_COLUMN);
      created = await materialize(` (${names.map(quoteIdentifier).join(', ')})`);
    }
    await this.internal(ctx, `ALTER TABLE ${target} ADD PRIMARY KEY (${ROW_COLUMN})`);
    this.cursors.set(statement.name, {
      table,
      scroll: statement.scroll,
      total: created.affected,
      position: 0,
      labels,
      inTransaction: ctx.tx.open, // an implicit one too: its rollback takes the table
      failed: false,
    });
    return simple('DECLARE CURSOR');
  }

  async fetch(ctx: RunnerContext, statement: FetchStatement, schema: string): Promise<StatementOutcome> {
    const cursor = this.cursors.get(statement.cursor)!;
    if (cursor.failed) {
      throw new StatementError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, `portal "${statement.cursor}" cannot be run`);
    }
    let plan: FetchPlan;
    try {
      plan = planFetch(statement, cursor.position, cursor.total, cursor.scroll !== false);
    } catch (err) {
      cursor.failed = true;
      throw err;
    }
    cursor.position = plan.newPosition;
    const absoluteOrRelative = statement.direction === 'absolute' || statement.direction === 'relative';
    if (statement.move) {
      const moved = absoluteOrRelative ? (plan.movedTo ? 1 : 0) : plan.count;
      return simple(`MOVE ${moved}`);
    }
    const [low, high] = plan.first <= plan.last ? [plan.first, plan.last] : [plan.last, plan.first];
    const order = plan.first <= plan.last ? 'ASC' : 'DESC';
    // An empty range still runs the query: the client needs the columns.
    const where = plan.count > 0 ? `${ROW_COLUMN} BETWEEN ${low} AND ${high}` : 'false';
    const sql = `SELECT * FROM ${quoteIdentifier(schema)}.${quoteIdentifier(cursor.table)} WHERE ${where} ORDER BY ${ROW_COLUMN} ${order}`;
    const out = await runGeneric(ctx, classifyStatement(sql), () => ({ sql, parameters: [], originalOffset: () => 0 }));
    const columns = (out.columns ?? []).slice(0, -1).map((c, i) => asCursorColumn(c, cursor.labels?.[i]));
    const rows = out.rows ? new WithoutLastColumn(out.rows, columns) : null;
    return { ...simple(''), columns, rows, tag: (n) => `FETCH ${n}` };
  }

  /** CLOSE name; the table goes with it. */
  async close(ctx: RunnerContext, name: string, schema: string): Promise<void> {
    const cursor = this.cursors.get(name);
    if (!cursor) return;
    this.cursors.delete(name);
    await this.internal(ctx, `DROP TABLE IF EXISTS ${quoteIdentifier(schema)}.${quoteIdentifier(cursor.table)}`).catch(() => undefined);
  }

  async closeAll(ctx: RunnerContext, schema: string): Promise<void> {
    for (const name of [...this.cursors.keys()]) await this.close(ctx, name, schema);
  }

  /** The declared cursor's columns, for a Describe of the portal. */
  async columns(ctx: RunnerContext, name: string, schema: string): Promise<ColumnMetadata[]> {
    const out = await this.fetch(ctx, { kind: 'fetch', move: false, direction: 'forward', count: 0, cursor: name, returnsRows: true } as FetchStatement, schema).catch(
      () => null,
    );
    await out?.rows?.close();
    return out?.columns ?? [];
  }

  /** A rolled-back transaction takes the cursors declared in it with it. */
  transactionEnded(committed: boolean): void {
    for (const [name, c] of this.cursors) {
      if (!c.inTransaction) continue;
      if (committed) c.inTransaction = false;
      else this.cursors.delete(name);
    }
  }

  clear(): void {
    this.cursors.clear();
  }

  /** Runs prefix + the cursor's query + suffix, errors located in the client's DECLARE. */
  private runQueryWrapped(
    ctx: RunnerContext,
    rendered: RenderedStatement,
    queryOffset: number,
    query: string,
    prefix: string,
    suffix: string,
  ): Promise<StatementOutcome> {
    const sql = `${prefix}${query}${suffix}`;
    const wrapped: RenderedStatement = {
      sql,
      parameters: rendered.parameters,
      originalOffset: (o) => rendered.originalOffset(queryOffset + Math.min(Math.max(0, o - prefix.length), query.length)),
    };
    return runGeneric(ctx, classifyStatement(sql), () => wrapped);
  }

  private async internal(ctx: RunnerContext, sql: string): Promise<void> {
    await ctx.tx.execute({ sql }, ctx.onResuming);
  }
}

/** A materialized column as the cursor reports it: no base table (it is the proxy's copy). */
function asCursorColumn(c: ColumnMetadata, label: string | undefined): ColumnMetadata {
  const named = label === undefined ? c : { ...c, name: label, label };
  return { ...named, tableName: '', schemaName: '' };
}

/** The rows of the cursor's table without the trailing row-number column. */
class WithoutLastColumn implements RowSource {
  constructor(
    private readonly inner: RowSource,
    readonly columns: ColumnMetadata[],
  ) {}

  get exhausted(): boolean {
    return this.inner.exhausted;
  }

  async next(max: number): Promise<Field[][]> {
    return (await this.inner.next(max)).map((r) => r.slice(0, -1));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
