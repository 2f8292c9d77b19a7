// A cursor the client declares (pg_dump --inserts reads every table through one) may have
// columns the Data API refuses to return (composite types, bit, interval, multidimensional
// arrays...). A FETCH cannot be retried with casts as a SELECT can: the rows it read are gone.
// So right after DECLARE the proxy looks at the cursor's columns (FETCH FORWARD 0 moves
// nothing) and, when some need it, declares the cursor again over its query with those columns
// cast to text; its FETCHes then report the real column types, as a text-cast SELECT does.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import { classifyStatement, quoteIdentifier, type ClassifiedStatement } from '../sql/index.js';
import type { RenderedStatement } from './render.js';
import { castStatement, columnsToCast } from './text-casts.js';
import type { Transaction } from './transaction.js';

type DeclareCursor = Extract<ClassifiedStatement, { kind: 'declare-cursor' }>;

/** The real columns of the cursors the proxy declared with text casts, by cursor name. */
export type CursorColumns = Map<string, ColumnMetadata[]>;

/** Called after the client's DECLARE ran; re-declares the cursor with casts when needed. */
export async function castCursorColumns(
  tx: Transaction,
  cursors: CursorColumns,
  statement: DeclareCursor,
  rendered: RenderedStatement,
  onResuming: () => void,
): Promise<void> {
  const name = quoteIdentifier(statement.name);
  const probe = await tx.execute({ sql: `FETCH FORWARD 0 FROM ${name}` }, onResuming);
  const columns = probe.columnMetadata ?? [];
  // Arrays, dates and timestamps too: any later row may hold a multidimensional array or an
  // `infinity` the Data API fails on, and a FETCH cannot be repeated.
  const castToText = columnsToCast(columns, true, true);
  if (castToText.length === 0) return;
  const declared = classifyStatement(rendered.sql);
  if (declared.kind !== 'declare-cursor') return;
  const query = castStatement({ ...rendered, sql: declared.query }, { columns, castToText });
  const scroll = statement.scroll === null ? '' : statement.scroll ? ' SCROLL' : ' NO SCROLL';
  await tx.execute({ sql: `CLOSE ${name}` }, onResuming);
  await tx.execute(
    { sql: `DECLARE ${name}${scroll} CURSOR${statement.hold ? ' WITH HOLD' : ''} FOR ${query.sql}`, parameters: rendered.parameters },
    onResuming,
  );
  cursors.set(statement.name, columns);
}
