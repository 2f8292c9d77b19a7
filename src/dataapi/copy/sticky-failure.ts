// A COPY parser that failed keeps reporting the same error: the session may hand it more data
// after the failure (the client's CopyData already in flight), and that must not parse on from a
// broken state or produce a second, different error.

export class StickyFailure {
  private failure: unknown = null;

  /** Runs `work`, unless an earlier run failed (its error is thrown again); `onFailure` runs once, at the first failure. */
  run<T>(work: () => T, onFailure: () => void): T {
    if (this.failure !== null) throw this.failure;
    try {
      return work();
    } catch (err) {
      this.failure = err;
      onFailure();
      throw err;
    }
  }
}
