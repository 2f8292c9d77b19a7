// What the fast relay asks of a mode that may send a failed request again on the client's behalf
// (DSQL's optimistic-concurrency retries, src/dsql/occ-retry.ts). The relay records the client's
// batch and holds the server's answer through this interface; the mode decides whether the answer
// goes to the client or the batch goes again. Modes without retries pass none, and the relay then
// forwards every chunk as it comes.

export type RetryDecision = { action: 'release'; held?: Buffer[] } | { action: 'retry'; delayMs: number; batch: Buffer };

export interface AnswerRetrier {
  /** Answers held back beyond this many bytes are released and the batch is no longer retried. */
  readonly holdLimit: number;
  readonly isHolding: boolean;
  readonly isRecording: boolean;
  /** A client chunk, before it is forwarded; returns held answer bytes to send first, or null. */
  clientChunk(chunk: Buffer, startsClean: boolean, endsBatch: boolean): Buffer[] | null;
  /** The client's bytes do not (or no longer) form a retryable batch. */
  abandonRecording(): void;
  /** A server chunk while holding: kept (null), or everything held is returned to send. */
  holdUpstream(chunk: Buffer): Buffer[] | null;
  /** The answer needs the client before it can end (COPY FROM STDIN): everything held, to send. */
  releaseAll(): Buffer[];
  /** The head of an ErrorResponse that passed while holding. */
  errorSeen(head: Buffer): void;
  /** ReadyForQuery ended the held answer: release it, or send the batch again after a delay. */
  readyForQuery(status: number, atChunkEnd: boolean): RetryDecision;
}
