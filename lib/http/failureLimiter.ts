// Brute-force brake for password checks that have no table of their own (admin sign-in,
// NDES basic auth): counts failures per key in memory over a sliding window. The workers of
// one server (scripts/serve.mjs) tell each other every failure and success
// (lib/cluster/peers.ts), so the limit holds for the server, not per worker; a restart
// forgets, which only helps an attacker once per restart.
import { announceToPeers, onPeerAnnouncement } from "../cluster/peers";
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
  ) {
    onPeerAnnouncement(this.topic, (detail) => {
      const { op, key } = JSON.parse(detail) as { op: "fail" | "succeed"; key: string };
      if (op === "fail") this.record(key);
      else this.failures.delete(key);
    });
  }

  private get topic(): string {
    return `failure-limiter:${this.name}`;
  }

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
    this.record(key);
    announceToPeers(this.topic, JSON.stringify({ op: "fail", key }));
  }

  private record(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    this.failures.set(key, times);
    if (this.failures.size > this.maxKeys) this.prune();
  }

  succeed(key: string): void {
    this.failures.delete(key);
    announceToPeers(this.topic, JSON.stringify({ op: "succeed", key }));
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
