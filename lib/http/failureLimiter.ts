// Brute-force brake for password checks that have no table of their own (admin sign-in,
// NDES basic auth): counts failures per key in memory over a sliding window. The server is
// one process (scripts/start.ts), so memory is enough; a restart forgets, which only helps
// an attacker once per restart.
import { log } from "../log/logger";

export interface LimitState {
  blocked: boolean;
  retryAfterSeconds: number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    readonly name: string,
    readonly maxFailures: number,
    readonly windowMs: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const times = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (times.length) this.failures.set(key, times);
    else this.failures.delete(key);
    return times;
  }

  /** Whether `key` has used up its failures; the caller answers 429 (or the page's equivalent). */
  check(key: string): LimitState {
    const times = this.recent(key);
    if (times.length < this.maxFailures) return { blocked: false, retryAfterSeconds: 0 };
    const retryAfterSeconds = Math.max(1, Math.ceil((times[0] + this.windowMs - this.now()) / 1000));
    log.warn("too many failed attempts", { limiter: this.name, subject: key.slice(0, 200), retryAfterSeconds });
    return { blocked: true, retryAfterSeconds };
  }

  fail(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    this.failures.set(key, times);
    if (this.failures.size > this.maxKeys) this.prune();
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  /** Drops expired keys, then the oldest ones, so a flood of distinct keys cannot grow memory. */
  private prune(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxKeys) break;
      this.failures.delete(key);
    }
  }
}
