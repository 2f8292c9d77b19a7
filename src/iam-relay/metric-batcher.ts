// Byte counts reach the metrics registry in batches: a prom-client increment hashes its labels
// on every call, and the relay sees two network chunks per round trip. Sessions with unreported
// bytes are flushed together by one timer, by every scrape (flushRelayByteCounts is the byte
// counter's collect hook) and once more when a session ends. Query durations are observed at once: the histogram needs
// each value, and there is one per round trip.
import type { RelayObserver } from './relay.js';

const FLUSH_MS = 500;
const dirty = new Set<MetricBatcher>();
let timer: NodeJS.Timeout | null = null;

const flushHooks = new Set<() => void>();

/** Another source of relay counts (the native relay) to read whenever these are flushed. */
export function onRelayFlush(hook: () => void): void {
  flushHooks.add(hook);
}

/** Hands every session's pending byte counts to the metrics; called before each scrape. */
export function flushRelayByteCounts(): void {
  for (const b of dirty) b.flush();
  dirty.clear();
  for (const hook of flushHooks) hook();
}

function flushAll(): void {
  timer = null;
  flushRelayByteCounts();
}

export class MetricBatcher {
  private inBytes = 0;
  private outBytes = 0;

  constructor(private readonly observer: RelayObserver) {}

  bytesIn(n: number): void {
    if (this.inBytes === 0 && this.outBytes === 0) this.markDirty();
    this.inBytes += n;
  }

  bytesOut(n: number): void {
    if (this.inBytes === 0 && this.outBytes === 0) this.markDirty();
    this.outBytes += n;
  }

  queryFinished(seconds: number): void {
    this.observer.queryFinished?.(seconds);
  }

  flush(): void {
    if (this.inBytes > 0) this.observer.bytes?.('client_to_upstream', this.inBytes);
    if (this.outBytes > 0) this.observer.bytes?.('upstream_to_client', this.outBytes);
    this.inBytes = 0;
    this.outBytes = 0;
  }

  private markDirty(): void {
    if (!this.observer.bytes) return;
    dirty.add(this);
    if (timer === null) {
      timer = setTimeout(flushAll, FLUSH_MS);
      timer.unref();
    }
  }
}
