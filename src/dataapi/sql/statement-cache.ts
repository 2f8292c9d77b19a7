// Parsed statements by their exact text, shared by every session of the process. Drivers send
// the same text again and again: node-postgres and pgJDBC send an unnamed Parse with the same
// SQL on every call, ORMs repeat a handful of statements. Parsing is a pure function of the text
// (the lexer assumes standard_conforming_strings = on, which the Data API's PostgreSQL always
// has; no session setting reaches tokenize, the splitter or the classifier), so one result
// serves every session.
//
// The statements are shared, so they are frozen, deeply: a caller that tried to change one would
// fail loudly instead of changing what another session reads. The array of statements is the
// caller's own copy each time (callers may shift or splice it).
//
// Bounded by count, by the length of one text and by the total length of the texts kept (the
// tokens take some tens of bytes per character of text), least recently used first out.
import { parseStatements, type ParsedStatement } from './parsed-statement.js';

export interface StatementCacheLimits {
  /** Texts kept at most. */
  maxEntries: number;
  /** Longer texts are parsed every time (bulk INSERTs with inline values rarely repeat). */
  maxTextLength: number;
  /** Sum of the lengths of the texts kept. */
  maxTotalLength: number;
}

export const DEFAULT_STATEMENT_CACHE_LIMITS: StatementCacheLimits = { maxEntries: 500, maxTextLength: 4096, maxTotalLength: 256 * 1024 };

/** Freezes `value` and everything reachable from it (plain objects and arrays: what the parser makes). */
function freezeDeep<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) freezeDeep((value as Record<string, unknown>)[key]);
  return value;
}

export class ParsedStatementCache {
  private readonly entries = new Map<string, readonly ParsedStatement[]>();
  private totalLength = 0;

  constructor(private readonly limits: StatementCacheLimits = DEFAULT_STATEMENT_CACHE_LIMITS) {}

  /** parseStatements(sql), from the cache when the same text was parsed before. */
  parse(sql: string): ParsedStatement[] {
    const cached = this.entries.get(sql);
    if (cached !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(sql);
      this.entries.set(sql, cached);
      return cached.slice();
    }
    const parsed = parseStatements(sql);
    if (sql.length > this.limits.maxTextLength) return parsed;
    const frozen = freezeDeep(parsed);
    this.entries.set(sql, frozen);
    this.totalLength += sql.length;
    this.evict();
    return frozen.slice();
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limits.maxEntries && this.totalLength <= this.limits.maxTotalLength) return;
      this.entries.delete(oldest);
      this.totalLength -= oldest.length;
    }
  }
}

const shared = new ParsedStatementCache();

/** The process's parsed statements of a Query's or Parse's text (see ParsedStatementCache). */
export function parseStatementsCached(sql: string): ParsedStatement[] {
  return shared.parse(sql);
}
