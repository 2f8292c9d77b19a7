// What a statement handler gets besides the session's context: the parsed statement, its Bind
// values and how the client reads the result. The statement is rendered for the Data API at
// most once, on first use, however many steps of a handler need the rendered text.
import type { ClassifiedStatement, ParsedStatement } from '../../sql/index.js';
import { renderStatement, type BoundValues, type RenderedStatement } from '../render.js';
import type { RunOptions, RunnerContext, StatementOutcome } from '../outcome.js';

export class StatementRun {
  private rendered: RenderedStatement | null = null;
  /** Bound to the instance: handlers pass it on as a plain `() => RenderedStatement`. */
  readonly render: () => RenderedStatement;

  constructor(
    readonly statement: ParsedStatement,
    readonly bound: BoundValues | null,
    readonly options: RunOptions,
    render?: () => RenderedStatement,
  ) {
    this.render = render ?? (() => (this.rendered ??= renderStatement(this.statement, this.bound)));
  }

  /** The same statement rendered another way (session-objects.ts qualifies temp names). */
  withRender(render: () => RenderedStatement): StatementRun {
    return new StatementRun(this.statement, this.bound, this.options, render);
  }
}

export type StatementKind = ClassifiedStatement['kind'];

/** The classified statements of the given kinds. */
export type StatementOf<K extends StatementKind> = Extract<ClassifiedStatement, { kind: K }>;

/** Answers statements of one kind (or of a group of kinds handled alike). */
export type StatementHandler<S extends ClassifiedStatement> = (ctx: RunnerContext, statement: S, run: StatementRun) => Promise<StatementOutcome>;

/** Handlers by statement kind; a kind without one is a query for the Data API (query.ts). */
export type StatementHandlerTable = { [K in StatementKind]?: StatementHandler<StatementOf<K>> };
