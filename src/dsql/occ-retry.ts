// Optimistic-concurrency retries for the relay. DSQL fails a transaction that lost a conflict
// with 40001 and OC000 (data conflict) or OC001 (schema changed) in the message, with no effect.
// When the failed work was a single implicit transaction, the proxy may send it again:
//   - a simple Query holding one statement, or an extended-protocol batch ending with Sync,
//   - sent while no transaction was open and nothing else was outstanding,
//   - that the client followed with nothing before the answer came (no pipelining past it),
//   - that parsed no named prepared statement (a named Parse survives the failed transaction,
//     so sending it again would fail with 42P05),
//   - whose answer fitted in HOLD_LIMIT bytes, held back from the client until ReadyForQuery
//     decided, so that nothing the client received is ever sent twice.
// ReadyForQuery must then say idle ('I'): inside an explicit transaction the client gets the
// 40001 and retries itself. The relay (src/iam-relay/fast-relay.ts) feeds this class through its
// AnswerRetrier interface and asks it what to do.
import { splitStatements } from '../dataapi/sql/index.js';
import type { AnswerRetrier, RetryDecision } from '../iam-relay/answer-retrier.js';
import type { NativeRetryPolicy } from '../iam-relay/native/native-relay.js';

export interface OccObserver {
  /** An implicit transaction is sent again (attempt counts from 1). */
  occRetry?(attempt: number): void;
  /** How a retried implicit transaction ended. */
  occOutcome?(outcome: 'succeeded' | 'exhausted' | 'failed_otherwise'): void;
}

/** Responses held back beyond this size are released and the batch is no longer retried. */
export const HOLD_LIMIT = 256 * 1024;
const QUERY = 0x51; // 'Q'
const PARSE = 0x50; // 'P'
const SYNC = 0x53; // 'S'
const TERMINATE = 0x58; // 'X'
const COPY_TYPES = new Set([0x64, 0x63, 0x66]); // CopyData, CopyDone, CopyFail
const TX_IDLE = 0x49; // 'I'

/** Whether an ErrorResponse head (field byte, C string, ...) is DSQL's OCC conflict. */
export function isOccConflict(head: Buffer): boolean {
  const text = head.toString('latin1');
  return text.includes('C40001\u0000') && (text.includes('OC000') || text.includes('OC001'));
}

/** Jittered backoff before attempt n (1-based): 1 to 100 ms, growing with the attempt. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(100, 10 * 2 ** (attempt - 1));
  return Math.max(1, Math.round(1 + random() * (ceiling - 1)));
}

/**
 * Whether the recorded client bytes form one retryable implicit transaction: a lone Query with
 * one statement, or extended messages ending with Sync and parsing no named statement.
 */
export function isRetryableBatch(batch: Buffer): boolean {
  let i = 0;
  let sawQuery = false;
  let lastType = 0;
  let messages = 0;
  while (i + 5 <= batch.length) {
    const type = batch[i];
    const length = batch.readUInt32BE(i + 1);
    const end = i + 1 + length;
    if (length < 4 || end > batch.length) return false;
    messages++;
    if (type === QUERY) {
      if (messages !== 1 || end !== batch.length) return false;
      sawQuery = true;
      const sql = batch.toString('utf8', i + 5, Math.max(i + 5, end - 1));
      if (splitStatements(sql).length !== 1) return false;
    } else if (type === PARSE) {
      if (batch[i + 5] !== 0) return false; // a named statement
    } else if (type === TERMINATE || COPY_TYPES.has(type)) {
      return false;
    }
    lastType = type;
    i = end;
  }
  if (i !== batch.length) return false;
  return sawQuery || lastType === SYNC;
}

/**
 * The retry decision, shared by the JavaScript relay (OccRetrier) and the native one: after a
 * conflict failed `batch` with `attempt` retries made, the delay before it goes again, or -1
 * when it goes no more (retries used up, or not a single implicit transaction).
 */
export function occRetryDelay(batch: Buffer, attempt: number, maxRetries: number, observer: OccObserver, random: () => number = Math.random): number {
  if (attempt >= maxRetries || !isRetryableBatch(batch)) return -1;
  observer.occRetry?.(attempt + 1);
  return backoffMs(attempt + 1, random);
}

/** The native relay's view of the retries (src/iam-relay/native/native-relay.ts). */
export function nativeOccPolicy(maxRetries: number, observer: OccObserver): NativeRetryPolicy {
  return {
    holdLimit: HOLD_LIMIT,
    decide: (batch, attempt) => occRetryDelay(batch, attempt, maxRetries, observer),
    outcome: (outcome) => observer.occOutcome?.(outcome),
  };
}

/** The state of one session's OCC retries; every method is cheap when nothing is held. */
export class OccRetrier implements AnswerRetrier {
  readonly holdLimit = HOLD_LIMIT;
  /** Client bytes of the batch being recorded (references to the relay's chunks). */
  private batch: Buffer[] = [];
  private recording = false;
  /** Upstream chunks held back from the client until ReadyForQuery decides. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private holding = false;
  private sawConflict = false;
  private attempt = 0;

  constructor(
    private readonly maxRetries: number,
    private readonly observer: OccObserver = {},
    private readonly random: () => number = Math.random,
  ) {}

  get isHolding(): boolean {
    return this.holding;
  }

  get isRecording(): boolean {
    return this.recording;
  }

  /**
   * The answer needs the client before it can end (COPY FROM STDIN asks for data), so it can
   * no longer be held: everything held is returned to send, and the batch is not retried.
   */
  releaseAll(): Buffer[] {
    return this.stopHolding('failed_otherwise');
  }

  /**
   * A client chunk, before it is forwarded. `startsClean`: it begins a round trip while no
   * transaction is open and nothing else is outstanding. `endsBatch`: after it, the client's
   * bytes end exactly after a Query or a Sync. Returns held upstream bytes to release first
   * (the client moved on, so the held batch can no longer be retried), or null.
   */
  clientChunk(chunk: Buffer, startsClean: boolean, endsBatch: boolean): Buffer[] | null {
    let release: Buffer[] | null = null;
    if (this.holding) release = this.stopHolding('failed_otherwise');
    if (startsClean && !this.recording) {
      this.recording = true;
      this.batch = [];
    }
    if (this.recording) {
      this.batch.push(chunk);
      if (endsBatch) {
        this.recording = false;
        this.holding = true;
        this.held = [];
        this.heldBytes = 0;
        this.sawConflict = false;
        this.attempt = 0;
      }
    }
    return release;
  }

  /** The client's bytes do not (or no longer) form a retryable batch. */
  abandonRecording(): void {
    this.recording = false;
    this.batch = [];
  }

  /** An upstream chunk while holding: kept, or (over the limit) everything held is returned to send. */
  holdUpstream(chunk: Buffer): Buffer[] | null {
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes <= HOLD_LIMIT) return null;
    return this.stopHolding('failed_otherwise');
  }

  /** An ErrorResponse passed while holding. */
  errorSeen(head: Buffer): void {
    if (this.holding && isOccConflict(head)) this.sawConflict = true;
  }

  /**
   * ReadyForQuery ended the held answer (and the chunk that carried it ended with it, when
   * `atChunkEnd`). Either release what is held, or resend the batch after a delay.
   */
  readyForQuery(status: number, atChunkEnd: boolean): RetryDecision {
    const conflict = this.sawConflict && status === TX_IDLE && atChunkEnd;
    if (conflict) {
      const batch = Buffer.concat(this.batch);
      const delayMs = occRetryDelay(batch, this.attempt, this.maxRetries, this.observer, this.random);
      if (delayMs >= 0) {
        this.attempt++;
        this.held = [];
        this.heldBytes = 0;
        this.sawConflict = false;
        return { action: 'retry', delayMs, batch };
      }
    }
    const outcome = this.attempt === 0 ? null : conflict ? 'exhausted' : this.sawConflict ? 'failed_otherwise' : 'succeeded';
    return { action: 'release', held: this.stopHolding(outcome) };
  }

  private stopHolding(outcome: 'succeeded' | 'exhausted' | 'failed_otherwise' | null): Buffer[] {
    if (outcome && this.attempt > 0) this.observer.occOutcome?.(outcome);
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.holding = false;
    this.batch = [];
    this.attempt = 0;
    this.sawConflict = false;
    return held;
  }
}
