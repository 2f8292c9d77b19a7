// The result every streaming habit reads (streaming.test.ts), and how a client summarises what it
// read: count, first and last rows, and an order-sensitive checksum. The Python scripts
// (streaming_common.py) and StreamingJdbc.java compute the same summary the same way.
import { createHash } from 'node:crypto';

export const ROWS = 5000;
export const QUERY = `select g, md5(g::text) as h from generate_series(1, ${ROWS}) g order by g`;
/** Where an abandoning client stops: several batches in, far from the end. */
export const HALF = ROWS / 2;
export const MARKS_DDL = 'create table if not exists streaming_marks (habit text not null)';

export type Row = [number, string];

export class Summary {
  count = 0;
  first: Row | null = null;
  last: Row | null = null;
  private readonly md5 = createHash('md5');

  add(g: number, h: string): void {
    const row: Row = [g, h];
    this.first ??= row;
    this.last = row;
    this.count++;
    this.md5.update(`${g}:${h}\n`);
  }

  value(): { count: number; first: Row | null; last: Row | null; checksum: string } {
    return { count: this.count, first: this.first, last: this.last, checksum: this.md5.digest('hex') };
  }

  /** What an abandoning client reports: how far it read. */
  partial(): { read: number; last_read: Row | null } {
    return { read: this.count, last_read: this.last };
  }
}

/** PostgreSQL's md5(g::text), for the expected rows. */
export function md5Text(g: number): string {
  return createHash('md5').update(String(g)).digest('hex');
}

/** The whole result as PostgreSQL returns it, summarised. */
export function expectedSummary(): ReturnType<Summary['value']> {
  const s = new Summary();
  for (let g = 1; g <= ROWS; g++) s.add(g, md5Text(g));
  return s.value();
}

/** The first HALF rows, read and then abandoned. */
export function expectedPartial(): ReturnType<Summary['partial']> {
  return { read: HALF, last_read: [HALF, md5Text(HALF)] };
}
