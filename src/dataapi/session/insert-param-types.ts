// Parameter types of a plain single-row `INSERT INTO t [(cols)] VALUES (...)` without the
// PREPARE probe. PostgreSQL gives an untyped parameter that stands alone in the VALUES row the
// type of its target column (a domain stays the domain), so one catalog read answers what the
// probe needs a transaction, PREPARE, a read and DEALLOCATE for. pgJDBC describes every batch
// whose parameters it leaves untyped (setTimestamp, setObject...) this way before sending it.
// Any other shape, or anything the catalog does not answer plainly, gives null: the probe then
// runs and reports whatever PostgreSQL would.
import type { ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';
import { quoteLiteral, tokenize, type Token } from '../sql/index.js';
import { parseSingleRowInsert } from '../sql/set-based-insert.js';

export interface InsertShape {
  /** The target table as written (quotes kept), for to_regclass. */
  table: string;
  /** Target column names as PostgreSQL reads them, or null for the table's columns in order. */
  columns: string[] | null;
  /** Per VALUES item, the parameter number when the item is a bare `$n`, else 0. */
  items: number[];
  /** Every parameter number that appears anywhere else in the statement. */
  otherParameters: Set<number>;
}

/** The shape of the statement (sql/set-based-insert.ts reads it), or null for another shape. */
export function parseInsertShape(text: string, tokens: readonly Token[] = tokenize(text)): InsertShape | null {
  const insert = parseSingleRowInsert(text, tokens);
  return insert && { table: insert.table, columns: insert.columns, items: insert.items, otherParameters: insert.otherParameters };
}

/**
 * The types of the statement's parameters (declared ones kept), or null when this shortcut does
 * not apply. `run` executes one statement where the INSERT itself would run.
 */
export async function insertParameterTypes(
  text: string,
  declared: number[],
  run: (sql: string) => Promise<ExecuteStatementCommandOutput>,
  /**
   * Called when the catalog read checked all the statement holds (table, named columns, and
   * nothing but bare parameters in VALUES): PostgreSQL's parse analysis would accept it.
   */
  onWhollyChecked?: () => void,
  tokens?: readonly Token[],
): Promise<number[] | null> {
  const shape = parseInsertShape(text, tokens);
  if (!shape) return null;
  const { items, columns, otherParameters } = shape;
  const targetOf = new Map<number, number>();
  for (let k = 0; k < items.length; k++) {
    const n = items[k]!;
    if (n === 0) continue;
    if (targetOf.has(n) || otherParameters.has(n)) return null;
    targetOf.set(n, k);
  }
  for (let n = 1; n <= declared.length; n++) {
    if (declared[n - 1] === 0 && !targetOf.has(n)) return null;
  }
  if (columns && (columns.length !== items.length || new Set(columns).size !== columns.length)) return null;

  let out: ExecuteStatementCommandOutput;
  try {
    out = await run(
      'SELECT a.attname::text, a.atttypid::int8, (a.attgenerated <> \'\' OR a.attidentity = \'a\') ' +
        'FROM pg_catalog.pg_attribute a ' +
        `WHERE a.attrelid = pg_catalog.to_regclass(${quoteLiteral(shape.table)}) AND a.attnum > 0 AND NOT a.attisdropped ` +
        'ORDER BY a.attnum',
    );
  } catch {
    return null;
  }
  // The session asks for int8 as a string (exact beyond 2^53); take either form.
  const oidOf = (f: { longValue?: number; stringValue?: string } | undefined) => Number(f?.longValue ?? f?.stringValue ?? 0);
  const attributes = (out.records ?? []).map((r) => ({ name: r[0]?.stringValue, oid: oidOf(r[1]), special: r[2]?.booleanValue === true }));
  if (attributes.length === 0 || items.length > attributes.length) return null;
  const types = [...declared];
  for (const [n, k] of targetOf) {
    if (declared[n - 1] !== 0) continue;
    const attribute = columns ? attributes.find((a) => a.name === columns[k]) : attributes[k];
    if (!attribute || attribute.special || attribute.oid === 0) return null;
    types[n - 1] = attribute.oid;
  }
  const namedColumnsExist = columns === null || columns.every((c) => attributes.some((a) => a.name === c));
  if (namedColumnsExist && items.every((n) => n !== 0)) onWhollyChecked?.();
  return types;
}
