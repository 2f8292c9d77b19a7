// Rows of one result, handed out in pieces as the client asks for them. A result that fits in
// one Data API response is kept as it came; a larger one is read through a server-side cursor,
// a page at a time, so memory stays bounded by the page size whatever the result's size.
import type { ColumnMetadata, Field } from '@aws-sdk/client-rds-data';
import type { Transaction } from './transaction.js';
import type { RenderedStatement } from './render.js';

export interface RowSource {
  readonly columns: ColumnMetadata[];
  /** Up to `max` further rows; an empty array once the result is exhausted. */
  next(max: number): Promise<Field[][]>;
  readonly exhausted: boolean;
  /** Releases what the source holds (cursor, the transaction it opened). */
  close(): Promise<void>;
}

export class BufferedRows implements RowSource {
  private at = 0;

  constructor(
    readonly columns: ColumnMetadata[],
    private records: Field[][],
  ) {}

  get exhausted(): boolean {
    return this.at >= this.records.length;
  }

  async next(max: number): Promise<Field[][]> {
    const rows = this.records.slice(this.at, this.at + max);
    this.at += rows.length;
    if (this.exhausted) this.records = [];
    return rows;
  }

  async close(): Promise<void> {
    this.records = [];
  }
}

/** Aim for pages well under the Data API's 1 MiB response cap. */
const TARGET_PAGE_BYTES = 384 * 1024;
const FIRST_PAGE_ROWS = 200;
const MAX_PAGE_ROWS = 50_000;

let cursorSerial = 0;

export class CursorRows implements RowSource {
  columns: ColumnMetadata[] = [];
  private buffer: Field[][] = [];
  private done = false;
  private pageRows = FIRST_PAGE_ROWS;
  private closed = false;

  /** The cursor's name is fixed-width so error positions can be shifted back by a constant. */
  static readonly prefixLength = 'DECLARE aurora_pg_proxy_cursor_00000000 NO SCROLL CURSOR FOR '.length;

  static declarePrefix(sql: string): string {
    return `DECLARE aurora_pg_proxy_cursor_00000000 NO SCROLL CURSOR FOR ${sql}`;
  }

  private constructor(
    private readonly tx: Transaction,
    private readonly name: string,
    /** Whether the cursor's transaction was opened for it (and so ends with it). */
    private readonly ownsTransaction: boolean,
  ) {}

  /** Declares a cursor for the statement and reads its first page (which gives the columns). */
  static async open(tx: Transaction, statement: RenderedStatement, onResuming?: () => void): Promise<CursorRows> {
    const ownsTransaction = !tx.open;
    if (ownsTransaction) await tx.begin(onResuming, true);
    const name = `aurora_pg_proxy_cursor_${String(++cursorSerial % 1e8).padStart(8, '0')}`;
    const source = new CursorRows(tx, name, ownsTransaction);
    try {
      await tx.execute({ sql: `DECLARE ${name} NO SCROLL CURSOR FOR ${statement.sql}`, parameters: statement.parameters }, onResuming);
      await source.fetchPage();
    } catch (err) {
      await source.close().catch(() => undefined);
      throw err;
    }
    return source;
  }

  get exhausted(): boolean {
    return this.done && this.buffer.length === 0;
  }

  async next(max: number): Promise<Field[][]> {
    while (this.buffer.length === 0 && !this.done) await this.fetchPage();
    const rows = this.buffer.splice(0, max);
    if (this.exhausted) await this.close();
    return rows;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    if (this.ownsTransaction) {
      await this.tx.commit();
    } else if (this.tx.status === 'T') {
      await this.tx.execute({ sql: `CLOSE ${this.name}` }).catch(() => undefined);
    }
  }

  private async fetchPage(): Promise<void> {
    const out = await this.tx.execute({ sql: `FETCH FORWARD ${this.pageRows} FROM ${this.name}` });
    if (out.columnMetadata && this.columns.length === 0) this.columns = out.columnMetadata;
    const records = out.records ?? [];
    if (records.length < this.pageRows) this.done = true;
    if (records.length > 0) {
      const bytes = Buffer.byteLength(JSON.stringify(records));
      const perRow = Math.max(1, bytes / records.length);
      this.pageRows = Math.max(1, Math.min(MAX_PAGE_ROWS, Math.floor(TARGET_PAGE_BYTES / perRow)));
    }
    this.buffer = records;
  }
}
