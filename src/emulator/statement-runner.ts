// Runs one statement with the extended protocol (Parse with declared parameter types, Bind,
// Describe, Execute, Sync), the way pgJDBC sends it, and collects the rows as raw text. Rows are
// counted as they arrive: once a result is certainly larger than the response cap the caller is
// answered at once, the statement cancelled and the rest of its rows dropped as they drain, so a
// huge result never sits in memory.

import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { Session } from './connections.js';
import type { ResultField } from './column-metadata.js';
import type { BoundStatement } from './params.js';

export interface StatementResult {
  /** Null when the statement returns no rows (no RowDescription). */
  fields: ResultField[] | null;
  rows: (string | null)[][];
  /** The count in the command tag (INSERT 0 3 -> 3), null when there is none. */
  rowCount: number | null;
  /** The rows went past `maxRawChars` and were dropped. */
  oversize: boolean;
}

export interface RunOptions {
  /** Text characters after which the rows are dropped and the statement cancelled. */
  maxRawChars: number;
  /** Do not keep rows at all (BatchExecuteStatement). */
  discardRows?: boolean;
}

interface WireConnection {
  parse(q: { text: string; types: number[] }): void;
  bind(c: { values: (string | Buffer | null)[] }): void;
  describe(m: { type: string; name: string }): void;
  execute(c: { portal: string; rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
  stream: { cork?: () => void; uncork?: () => void };
}

interface RowDescriptionField {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeModifier: number;
}

/** Per-value overhead counted on top of the text, so that many tiny values also add up. */
const VALUE_OVERHEAD = 4;

class StatementSubmission extends EventEmitter {
  private readonly result: StatementResult = { fields: null, rows: [], rowCount: null, oversize: false };
  private rawChars = 0;
  private settled = false;
  private endQuery!: () => void;
  /** Settles when PostgreSQL has finished with the statement, whoever stopped waiting for it. */
  readonly ended = new Promise<void>((resolve) => (this.endQuery = resolve));

  constructor(
    private readonly statement: BoundStatement,
    private readonly session: Session,
    private readonly options: RunOptions,
    private readonly resolve: (r: StatementResult) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    super();
  }

  submit(connection: WireConnection): void {
    connection.stream.cork?.();
    try {
      connection.parse({ text: this.statement.text, types: this.statement.types });
      connection.bind({ values: this.statement.values });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '', rows: 0 });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
  }

  handleRowDescription(msg: { fields: RowDescriptionField[] }): void {
    this.result.fields = msg.fields.map((f) => ({
      name: f.name,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeID: f.dataTypeID,
      dataTypeModifier: f.dataTypeModifier,
    }));
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    if (this.result.oversize || this.options.discardRows) return;
    for (const value of msg.fields) this.rawChars += (value?.length ?? 0) + VALUE_OVERHEAD;
    if (this.rawChars > this.options.maxRawChars) {
      this.result.oversize = true;
      this.result.rows = [];
      this.session.cancel();
      const { session, ended } = this;
      session.drained = Promise.all([session.drained, ended]).then(() => undefined);
      this.settle(() => this.resolve(this.result));
      return;
    }
    this.result.rows.push(msg.fields);
  }

  handleCommandComplete(msg: { text: string }): void {
    const m = /(\d+)$/.exec(msg.text ?? '');
    this.result.rowCount = m ? Number(m[1]) : null;
  }

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: WireConnection): void {
    connection.sendCopyFail('COPY FROM STDIN is not supported');
  }

  handleCopyData(): void {}

  handleError(err: unknown): void {
    this.endQuery();
    this.settle(() => this.reject(err));
  }

  handleReadyForQuery(): void {
    this.endQuery();
    this.settle(() => this.resolve(this.result));
  }

  private settle(answer: () => void): void {
    if (this.settled) return;
    this.settled = true;
    answer();
  }
}

export function runStatement(session: Session, statement: BoundStatement, options: RunOptions): Promise<StatementResult> {
  return new Promise((resolve, reject) => {
    const submission = new StatementSubmission(statement, session, options, resolve, reject);
    session.client.query(submission as unknown as pg.Submittable);
  });
}
