// FETCH and MOVE naming a portal made by Bind. PostgreSQL keeps protocol portals and SQL cursors
// in one namespace, and asyncpg's Cursor.forward() sends `MOVE FORWARD n <portal>` for the
// portal it bound; here portals live in the proxy, so such a statement reads the portal's own
// rows instead of going to the database. Only forward: PostgreSQL's protocol portals are not
// scrollable either. (Through the simple query protocol, the way asyncpg sends it.)
import type { ColumnMetadata, Field } from '@aws-sdk/client-rds-data';
import { SqlState } from '../../protocol/sqlstate.js';
import type { ClassifiedStatement } from '../sql/index.js';
import { PAGE_ROWS } from './answers.js';
import type { StatementOutcome } from './outcome.js';
import { startPortal } from './portal-execution.js';
import { BufferedRows, type RowSource } from './row-source.js';
import type { SessionContext } from './session-context.js';
import { StatementError } from './statement-runner.js';

/** The answer to a FETCH or MOVE of a protocol portal, or null when the name is not one. */
export async function fetchFromPortal(sc: SessionContext, s: ClassifiedStatement): Promise<StatementOutcome | null> {
  if (s.kind !== 'fetch' || sc.tx.status === 'E') return null;
  const portal = sc.registry.portals.get(s.cursor);
  // The unnamed portal has no name SQL could give.
  if (!portal || portal.name === '') return null;
  if (s.direction !== 'forward') throw new StatementError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, 'cursor can only scan forward');
  await startPortal(sc, portal, 1, false);
  const outcome = portal.outcome!;
  const rows = outcome.rows;
  const wanted = s.count === 'all' ? Infinity : s.count;
  if (s.move || !outcome.columns || !rows) {
    // MOVE reads and drops the rows a page at a time.
    let moved = 0;
    while (rows && !portal.done && moved < wanted) {
      const batch = await rows.next(Math.min(PAGE_ROWS, wanted - moved));
      if (batch.length === 0) break;
      moved += batch.length;
    }
    const verb = s.move ? 'MOVE' : 'FETCH';
    return { columns: null, rows: null, tag: () => `${verb} ${moved}`, affected: moved, notices: [], parameterStatus: [] };
  }
  return {
    columns: outcome.columns,
    // Read from the portal as the client is sent them: a FETCH ALL holds no more than a page.
    rows: portal.done ? new BufferedRows(outcome.columns, []) : new PortalSlice(outcome.columns, rows, wanted),
    tag: (n) => `FETCH ${n}`,
    affected: 0,
    notices: [],
    parameterStatus: [],
  };
}

/** At most `limit` further rows of a portal's row source, which stays open for later FETCHes. */
class PortalSlice implements RowSource {
  private ended = false;

  constructor(
    readonly columns: ColumnMetadata[],
    private readonly source: RowSource,
    private remaining: number,
  ) {}

  get exhausted(): boolean {
    return this.ended || this.remaining <= 0;
  }

  async next(max: number): Promise<Field[][]> {
    if (this.exhausted) return [];
    const batch = await this.source.next(Math.min(max, this.remaining));
    this.remaining -= batch.length;
    if (batch.length === 0) this.ended = true;
    return batch;
  }

  /** The portal keeps its source: its next FETCH goes on from here. */
  async close(): Promise<void> {}
}
