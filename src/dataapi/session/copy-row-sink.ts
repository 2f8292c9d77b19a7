// Where the rows of a COPY FROM STDIN go, as the parser produces them (copy.ts drives it).
import type { CopyRow } from '../copy/index.js';

export interface CopyRowSink {
  /** One data row, with PostgreSQL's line number of it and the line's text (for CONTEXT lines). */
  add(values: CopyRow, line: number, text: string): Promise<void> | undefined;
  /** The data ended: sends the rest, commits what the COPY began; returns the rows inserted. */
  finish(): Promise<number>;
  /** The COPY failed: rolls back what the COPY began (a client's transaction is left failed). */
  abort(): Promise<void>;
}
