// A stand-in for the Data API client the session calls: it records every call and answers
// ExecuteStatement from a script keyed by SQL text, so the session's protocol behaviour can be
// tested without PostgreSQL or the emulator.
import type { ColumnMetadata, ExecuteStatementCommandOutput, Field, SqlParameter } from '@aws-sdk/client-rds-data';
import type { DataApiClient, ExecuteRequest } from '../../../src/dataapi/client/data-api-client.js';

export type DataApiCall =
  | { op: 'begin'; transactionId: string }
  | { op: 'execute'; sql: string; parameters: SqlParameter[]; transactionId?: string }
  | { op: 'batchExecute'; sql: string; sets: SqlParameter[][]; transactionId?: string }
  | { op: 'commit'; transactionId: string }
  | { op: 'rollback'; transactionId: string };

/** One scripted answer: an output, or an error thrown as the real client throws it. */
export type ScriptedAnswer = ExecuteStatementCommandOutput | Error;

/** The answer to an ExecuteStatement; undefined means the statement is not scripted (the test fails). */
export type Script = (sql: string, request: ExecuteRequest) => ScriptedAnswer | undefined;

/** The part of DataApiClient the session uses. */
type DataApiSurface = Pick<DataApiClient, 'begin' | 'execute' | 'batchExecute' | 'commit' | 'rollback'>;

export class FakeDataApi implements DataApiSurface {
  readonly calls: DataApiCall[] = [];
  private nextTransaction = 1;
  /** When set, an ExecuteStatement first waits for the promise it returns (a call held in flight). */
  hold: ((req: ExecuteRequest) => Promise<void> | undefined) | null = null;
  /** ExecuteStatements answered or not yet, and the most there were at once. */
  executing = 0;
  maxExecuting = 0;

  constructor(private readonly script: Script) {}

  /** The fake as the session's dependency (the class's private members are not part of its surface). */
  asClient(): DataApiClient {
    return this as unknown as DataApiClient;
  }

  async begin(): Promise<string> {
    const transactionId = `tx-${this.nextTransaction++}`;
    this.calls.push({ op: 'begin', transactionId });
    return transactionId;
  }

  async execute(req: ExecuteRequest): Promise<ExecuteStatementCommandOutput> {
    this.calls.push({ op: 'execute', sql: req.sql, parameters: req.parameters ?? [], transactionId: req.transactionId });
    const held = this.hold?.(req);
    if (held) {
      this.maxExecuting = Math.max(this.maxExecuting, ++this.executing);
      try {
        await held;
      } finally {
        this.executing--;
      }
    }
    const answer = this.script(req.sql, req);
    if (answer === undefined) throw new Error(`unscripted statement: ${req.sql}`);
    if (answer instanceof Error) throw answer;
    return answer;
  }

  async batchExecute(sql: string, sets: SqlParameter[][], transactionId?: string): Promise<number> {
    this.calls.push({ op: 'batchExecute', sql, sets, transactionId });
    return sets.length;
  }

  async commit(transactionId: string): Promise<void> {
    this.calls.push({ op: 'commit', transactionId });
  }

  async rollback(transactionId: string): Promise<void> {
    this.calls.push({ op: 'rollback', transactionId });
  }

  /** The SQL of every ExecuteStatement, in order. */
  get executed(): string[] {
    return this.calls.flatMap((c) => (c.op === 'execute' ? [c.sql] : []));
  }

  /** The operations in order (begin, execute, commit...). */
  get operations(): string[] {
    return this.calls.map((c) => c.op);
  }
}

/** A result set of int4 columns, as ExecuteStatement returns one. */
export function intRows(names: string[], rows: number[][]): ExecuteStatementCommandOutput {
  const columnMetadata: ColumnMetadata[] = names.map((name) => ({ name, label: name, typeName: 'int4', type: 4 }));
  const records: Field[][] = rows.map((r) => r.map((v) => ({ longValue: v })));
  return { columnMetadata, records, $metadata: {} };
}

/** A statement without rows that changed `n` of them. */
export function affected(n: number): ExecuteStatementCommandOutput {
  return { numberOfRecordsUpdated: n, $metadata: {} };
}

/** The catalog read that routes a batch of INSERT rounds (batch-route.ts). */
export const isBatchRouteRead = (sql: string): boolean => /^SELECT c\.relkind::text, /.test(sql);

/**
 * Its answer: a plain table (nothing that keeps the rounds apart) whose parameters have these
 * type names, or a table with `feature` (1 rules, 2 BEFORE ROW triggers, 3 other insert
 * triggers, 4 a foreign key to itself, 5 row security, 6 user functions, 7 functions in the row).
 */
export function batchRoute(typeNames: string[], feature = 0): ExecuteStatementCommandOutput {
  const flags: Field[] = [1, 2, 3, 4, 5, 6, 7].map((i) => ({ booleanValue: i === feature }));
  const types = JSON.stringify(typeNames.map((t) => [t, t === 'jsonb' || t === 'json']));
  return { records: [[{ stringValue: 'r' }, ...flags, { stringValue: types }]], $metadata: {} };
}
