// Where the rows of a COPY FROM STDIN go, as the parser produces them (copy.ts drives it).
import type { CopyRow } from '../copy/index.js';

export interface CopyRowSink {
  /**
   * One data row, with PostgreSQL's line number of it and the line's raw bytes (for CONTEXT
   * lines; null in binary format), which are only valid during the call. A promise returned is
   * to be waited for before the next row (backpressure).
   */
  add(values: CopyRow, line: number, lineBytes: Uint8Array | null): Promise<void> | undefined;
  /**
   * Whether a call to the Data API was started and not yet waited for: its answer should not
   * wait for the parsing of client messages already read.
   */
  readonly callInFlight: boolean;
  /** The data ended: sends the rest, commits what the COPY began; returns the rows inserted. */
  finish(): Promise<number>;
  /** The COPY failed: rolls back what the COPY began (a client's transaction is left failed). */
  abort(): Promise<void>;
}
