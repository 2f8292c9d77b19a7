// Paces the proxy's own logins to the server with a token bucket. DSQL meters new connections
// (100 per second sustained, bursts to 1000) and refuses the excess with 53400; RDS advises
// staying under 200 IAM-authenticated connections per second. A burst of
// clients should rather wait a little, in order, within their connect timeout. The bucket holds
// up to `burst` tokens and refills at `ratePerSecond`; each login takes one. Waiters are served
// first come, first served, so a stream of newcomers cannot starve an earlier client.
import { ClientFacingError } from '../protocol/client-error.js';

/** The clock the pacer reads and sets timers on; tests give a fake one. */
export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface PacerObserver {
  /** A login had to wait for its turn: how long, and whether it got one in time. */
  loginPaced?(outcome: 'admitted' | 'timeout', seconds: number): void;
}

export interface LoginPacerOptions {
  ratePerSecond: number;
  burst: number;
  /** How the refusal names the server: 'the DSQL cluster'. */
  upstreamName?: string;
}

interface Waiter {
  enqueuedAt: number;
  admit(): void;
  timer: unknown;
}

export class LoginPacer {
  private tokens: number;
  private refilledAt: number;
  private readonly queue: Waiter[] = [];
  private wakeTimer: unknown = null;

  constructor(
    private readonly opts: LoginPacerOptions,
    private readonly observer: PacerObserver = {},
    private readonly clock: PacerClock = SYSTEM_CLOCK,
  ) {
    if (!(opts.ratePerSecond > 0) || !(opts.burst >= 1)) throw new Error('login pacer needs a positive rate and a burst of at least 1');
    this.tokens = opts.burst;
    this.refilledAt = clock.now();
  }

  /** Logins waiting for a token right now. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves when this login may go ahead; rejects with 53400 when no token comes within
   * `timeoutMs` (the client's connect timeout), so the client hears why instead of hanging.
   */
  acquire(timeoutMs: number): Promise<void> {
    this.refill();
    if (this.queue.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        enqueuedAt: this.clock.now(),
        admit: () => {
          this.clock.clearTimeout(waiter.timer);
          this.observer.loginPaced?.('admitted', (this.clock.now() - waiter.enqueuedAt) / 1000);
          resolve();
        },
        timer: null,
      };
      waiter.timer = this.clock.setTimeout(() => {
        const i = this.queue.indexOf(waiter);
        if (i === -1) return;
        this.queue.splice(i, 1);
        this.observer.loginPaced?.('timeout', (this.clock.now() - waiter.enqueuedAt) / 1000);
        reject(this.timeoutError(timeoutMs));
      }, timeoutMs);
      this.queue.push(waiter);
      this.schedule();
    });
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.opts.burst, this.tokens + (elapsed * this.opts.ratePerSecond) / 1000);
      this.refilledAt = now;
    }
  }

  /** Admits waiters while tokens last, then sleeps until the next token is due. */
  private schedule(): void {
    if (this.wakeTimer !== null) return;
    this.refill();
    while (this.queue.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.queue.shift()!.admit();
    }
    if (this.queue.length === 0) return;
    const msToNextToken = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.opts.ratePerSecond));
    this.wakeTimer = this.clock.setTimeout(() => {
      this.wakeTimer = null;
      this.schedule();
    }, msToNextToken);
  }

  private timeoutError(timeoutMs: number): ClientFacingError {
    return new ClientFacingError(
      '53400',
      `aurora-pg-proxy could not open a connection to ${this.opts.upstreamName ?? 'the server'} within ${timeoutMs / 1000} s: logins are paced at ${this.opts.ratePerSecond} per second (burst ${this.opts.burst}) and ${this.queue.length} more are waiting`,
      { hint: 'Open connections more gradually, keep them open longer, or raise --max-connect-rate / --connect-timeout if the server allows it.' },
    );
  }
}
