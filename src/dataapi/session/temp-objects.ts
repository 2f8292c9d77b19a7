// The temporary objects a client session has made, as PostgreSQL would see them: objects created
// or dropped inside a transaction count only once it commits, ON COMMIT DROP tables go at the
// commit of their transaction, and ON COMMIT DELETE ROWS tables are emptied at every commit of
// a transaction that used them. A statement outside a transaction is its own transaction.
// The objects themselves live in the session's schema (session-schema.ts); this file only keeps
// the books and says which statements the end of a transaction needs.
import { quoteIdentifier } from '../sql/index.js';
import type { OnCommitAction, TempObjectKind } from '../sql/temp-names.js';

export interface TempObject {
  kind: TempObjectKind;
  name: string;
  onCommit: OnCommitAction;
}

const DROP_WORD: Record<TempObjectKind, string> = { table: 'TABLE', view: 'VIEW', sequence: 'SEQUENCE' };

export class TempObjects {
  private readonly committed = new Map<string, TempObject>();
  /** Changes made by the open transaction: created (or replaced) objects, dropped names. */
  private readonly created = new Map<string, TempObject>();
  private readonly dropped = new Set<string>();
  /** The open transaction used an ON COMMIT DELETE ROWS table. */
  private usedDeleteRows = false;

  /** The names visible now (those of the open transaction included). */
  names(): Set<string> {
    const names = new Set([...this.committed.keys()].filter((n) => !this.dropped.has(n)));
    for (const n of this.created.keys()) names.add(n);
    return names;
  }

  get isEmpty(): boolean {
    return this.committed.size === 0 && this.created.size === 0;
  }

  get(name: string): TempObject | undefined {
    return this.created.get(name) ?? (this.dropped.has(name) ? undefined : this.committed.get(name));
  }

  recordCreated(object: TempObject): void {
    this.created.set(object.name, object);
    if (object.onCommit === 'delete-rows') this.usedDeleteRows = true;
  }

  recordDropped(name: string): void {
    if (this.created.delete(name)) {
      if (this.committed.has(name)) this.dropped.add(name);
      return;
    }
    if (this.committed.has(name)) this.dropped.add(name);
  }

  recordUsed(names: Iterable<string>): void {
    for (const n of names) if (this.get(n)?.onCommit === 'delete-rows') this.usedDeleteRows = true;
  }

  /**
   * The transaction ended. Returns the statements that carry out its ON COMMIT actions in
   * `schema` (to run after the commit, outside any transaction).
   */
  transactionEnded(committed: boolean, schema: string): string[] {
    const actions: string[] = [];
    if (committed) {
      for (const n of this.dropped) this.committed.delete(n);
      for (const [n, o] of this.created) this.committed.set(n, o);
      const drop = [...this.created.values()].filter((o) => o.onCommit === 'drop');
      for (const o of drop) {
        this.committed.delete(o.name);
        actions.push(`DROP ${DROP_WORD[o.kind]} IF EXISTS ${qualified(schema, o.name)}`);
      }
      if (this.usedDeleteRows) {
        const emptied = [...this.committed.values()].filter((o) => o.onCommit === 'delete-rows');
        if (emptied.length > 0) actions.push(`TRUNCATE ${emptied.map((o) => qualified(schema, o.name)).join(', ')}`);
      }
    }
    this.created.clear();
    this.dropped.clear();
    this.usedDeleteRows = false;
    return actions;
  }

  /** DISCARD TEMP: statements dropping every temp object; the books are emptied. */
  discardAll(schema: string): string[] {
    const all = [...this.names()].map((n) => this.get(n)!).filter(Boolean);
    this.committed.clear();
    this.created.clear();
    this.dropped.clear();
    this.usedDeleteRows = false;
    // Views first: they may depend on the tables.
    const order: TempObjectKind[] = ['view', 'table', 'sequence'];
    return order.flatMap((kind) => {
      const of = all.filter((o) => o.kind === kind);
      return of.length ? [`DROP ${DROP_WORD[kind]} IF EXISTS ${of.map((o) => qualified(schema, o.name)).join(', ')} CASCADE`] : [];
    });
  }

  clear(): void {
    this.committed.clear();
    this.created.clear();
    this.dropped.clear();
    this.usedDeleteRows = false;
  }
}

function qualified(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}
