// Readiness answers from a cached upstream check: probes from Kubernetes and load balancers may
// arrive every second from several places, and each check costs a TLS handshake or an AWS call.
// One check runs at a time, its result is reused for cacheMs, and a hung check counts as a failure.

export interface ReadinessResult {
  ready: boolean;
  /** Why the proxy is not ready; empty when ready. Safe to show to anyone who can reach the port. */
  reason: string;
}

export interface ReadinessProbeOptions {
  cacheMs: number;
  timeoutMs: number;
  now?: () => number;
  /** Called when readiness changes, including the first result. */
  onChange?: (result: ReadinessResult) => void;
}

const MAX_REASON_CHARS = 300;

export class ReadinessProbe {
  private last: { result: ReadinessResult; at: number } | null = null;
  private inflight: Promise<ReadinessResult> | null = null;
  private readonly now: () => number;

  constructor(
    private readonly check: () => Promise<void>,
    private readonly opts: ReadinessProbeOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The cached result while it is fresh, otherwise the result of a new (or the running) check. */
  current(): Promise<ReadinessResult> {
    if (this.last && this.now() - this.last.at < this.opts.cacheMs) return Promise.resolve(this.last.result);
    if (!this.inflight) {
      this.inflight = this.run().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async run(): Promise<ReadinessResult> {
    let result: ReadinessResult;
    try {
      await withTimeout(this.check, this.opts.timeoutMs);
      result = { ready: true, reason: '' };
    } catch (err) {
      result = { ready: false, reason: safeReason(err) };
    }
    const previous = this.last?.result;
    this.last = { result, at: this.now() };
    if (!previous || previous.ready !== result.ready || previous.reason !== result.reason) this.opts.onChange?.(result);
    return result;
  }
}

function withTimeout(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`readiness check did not finish within ${timeoutMs} ms`)), timeoutMs);
    timer.unref?.();
    let started: Promise<void>;
    try {
      started = Promise.resolve(check());
    } catch (err) {
      started = Promise.reject(err);
    }
    started.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * One line of text from a failed check. Checks are written not to put secrets in their errors;
 * this is a second fence against a presigned URL (an IAM token) or a credential pair slipping in.
 */
export function safeReason(err: unknown): string {
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : 'not ready';
  const text = raw
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/(X-Amz-(?:Signature|Security-Token|Credential))=[^&\s"']+/gi, '$1=[redacted]')
    .replace(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted]')
    .replace(/((?:password|secret|token)\s*[=:]\s*)[^\s,;&]+/gi, '$1[redacted]')
    .trim();
  if (text === '') return 'not ready';
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}...` : text;
}
