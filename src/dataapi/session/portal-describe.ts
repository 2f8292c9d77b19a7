// Describe of a prepared statement or a portal. A statement is described by describe.ts without
// binding values; a portal's columns are those of its result, so a portal whose statement
// returns rows is run now (its Execute then sends the rows already read).
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import { encodeNoData, encodeParameterDescription } from '../../protocol/backend-encoder.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import type { Portal, PreparedStatement } from '../protocol/statement-registry.js';
import { parseStatement, quoteIdentifier } from '../sql/index.js';
import { describeStatement } from './describe.js';
import { startPortal } from './portal-execution.js';
import { expandFormats } from './render.js';
import { ResultShape } from './results.js';
import type { SessionContext } from './session-context.js';
import { displayName } from './settings.js';
import { StatementError } from './statement-runner.js';
import { lookUpUserTypes } from './user-param-types.js';

export async function describePreparedStatement(sc: SessionContext, prepared: PreparedStatement): Promise<boolean> {
  sc.lastExtendedText = prepared.statement.text;
  // The session's temp names are qualified by its schema before the database sees the text.
  const objects = sc.runner.sessionObjects;
  const rewritten = objects ? objects.rewriteText(prepared.statement.text) : prepared.statement.text;
  const statement = rewritten === prepared.statement.text ? prepared.statement : parseStatement(rewritten);
  const described = await describeStatement(
    sc.describeCache,
    sc.client,
    { ...statement, paramTypes: prepared.paramTypes, paramCount: prepared.paramCount },
    sc.runner.onResuming,
    sc.tx,
  );
  prepared.paramTypes = described.paramTypes;
  prepared.userTypes = await lookUpUserTypes(described.paramTypes, (sql) => sc.tx.execute({ sql }, sc.runner.onResuming));
  sc.out.send(encodeParameterDescription(described.paramTypes));
  const columns = described.columns && objects ? await objects.describedColumns(sc.runner, described.columns) : described.columns;
  if (columns) sc.out.send(new ResultShape(columns).rowDescription([]));
  else sc.out.send(encodeNoData());
  return described.checked;
}

export async function describePortal(sc: SessionContext, portal: Portal | undefined, name: string): Promise<boolean> {
  if (!portal) {
    await describeSqlCursor(sc, name);
    return false;
  }
  const columns = await portalColumns(sc, portal);
  if (!columns) {
    sc.out.send(encodeNoData());
    return portal.outcome !== null;
  }
  const shape = new ResultShape(columns);
  sc.out.send(shape.rowDescription(expandFormats(portal.resultFormats, shape.width, 'result')));
  return true;
}

/**
 * Describe of a portal the client made with DECLARE ... CURSOR rather than Bind: PostgreSQL
 * keeps both kinds together, and psycopg describes its named cursors this way. The cursor
 * lives in the Data API transaction; FETCH FORWARD 0 reports its columns without moving it.
 */
async function describeSqlCursor(sc: SessionContext, name: string): Promise<void> {
  const { tx } = sc;
  const missing = () => new StatementError(SqlState.INVALID_CURSOR_NAME, `portal "${name}" does not exist`);
  const objects = sc.runner.sessionObjects;
  if (objects?.holdsCursor(name)) {
    // A WITH HOLD cursor the proxy materialized (held-cursors.ts).
    const held = await objects.cursorColumns(sc.runner, name);
    sc.out.send(held.length === 0 ? encodeNoData() : new ResultShape(held).rowDescription([]));
    return;
  }
  if (name === '' || !tx.open || tx.status === 'E') throw missing();
  const out = await tx.execute({ sql: `FETCH FORWARD 0 FROM ${quoteIdentifier(name)}` }, sc.runner.onResuming).catch((err: unknown) => {
    throw err instanceof ClientFacingError && err.sqlstate === SqlState.INVALID_CURSOR_NAME ? missing() : err;
  });
  const columns = sc.runner.cursorColumns.get(name) ?? out.columnMetadata ?? [];
  if (columns.length === 0) sc.out.send(encodeNoData());
  else sc.out.send(new ResultShape(columns).rowDescription([]));
}

/** The columns a portal will send. Statements with rows are run now to learn them. */
async function portalColumns(sc: SessionContext, portal: Portal): Promise<ColumnMetadata[] | null> {
  const s = portal.statement.statement.classified;
  if (s.kind === 'show' && portal.outcome === null && sc.settings.isClientSide(s.name ?? '')) {
    const column = displayName(s.name ?? '');
    return [{ name: column, label: column, typeName: 'text' }];
  }
  if (s.returnsRows === false || s.kind === 'empty') return null;
  const ownExecute = await sc.input.nextExecuteRows(portal.name);
  // pg-cursor describes its portal, flushes, and sends its row-limited Executes only later: the
  // limit is not known yet. Inside the client's transaction a result over the Data API's 1 MiB
  // could not be read again, so the rows are read through a cursor, as a row limit would have them.
  const { tx } = sc;
  const inPages = ownExecute === null ? tx.open && !tx.implicit : ownExecute > 0;
  await startPortal(sc, portal, ownExecute ?? 0, ownExecute !== null, inPages);
  return portal.outcome!.columns;
}
