// Brute-force brakes shared by every instance and worker: failures are counted in the
// RateCounter table (one row per key, a fixed window from the key's first failure), so two
// servers on one PostgreSQL, or the workers of one SQLite server, see the same counts. A
// refusal never counts, so every lockout ends when its window does. Each check is one
// SELECT, each failure one upsert, each success one DELETE.
import { db, dbKind } from "../db/client";
import { log } from "../log/logger";

export interface LimitState {
  blocked: boolean;
  retryAfterSeconds: number;
}

const OPEN: LimitState = { blocked: false, retryAfterSeconds: 0 };

interface Counter {
  key: string;
  count: number;
  expiresAt: number;
}

/** Live (unexpired) counters among keys, in one statement. */
async function liveCounters(keys: string[], now: number): Promise<Map<string, Counter>> {
  const rows = await db().rateCounter.findMany({ where: { key: { in: keys }, expiresAt: { gt: BigInt(now) } } });
  return new Map(rows.map((r) => [r.key, { key: r.key, count: r.count, expiresAt: Number(r.expiresAt) }]));
}

/**
 * Adds one to each key in one atomic statement: a key whose window has passed starts again at
 * 1 with a new window. Returns the counters after the increment.
 */
export async function incrementCounters(keys: string[], windowMs: number, now = Date.now()): Promise<Counter[]> {
  if (!keys.length) return [];
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) throw new Error(`invalid counter window ${windowMs}`);
  const pg = dbKind() === "postgres";
  const params: (string | bigint)[] = [];
  const p = (v: string | bigint) => {
    params.push(v);
    return pg ? `$${params.length}` : "?";
  };
  const expiresAt = BigInt(now + windowMs);
  const values = keys.map((k) => `(${p(k)}, 1, ${p(expiresAt)})`).join(", ");
  // "now" is the new row's expiresAt less the window (a code constant), so no parameter repeats.
  const stale = `"RateCounter"."expiresAt" <= excluded."expiresAt" - ${windowMs}`;
  const sql =
    `INSERT INTO "RateCounter" ("key", "count", "expiresAt") VALUES ${values} ` +
    `ON CONFLICT ("key") DO UPDATE SET ` +
    `"count" = CASE WHEN ${stale} THEN 1 ELSE "RateCounter"."count" + 1 END, ` +
    `"expiresAt" = CASE WHEN ${stale} THEN excluded."expiresAt" ELSE "RateCounter"."expiresAt" END ` +
    `RETURNING "key", "count", "expiresAt"`;
  const rows = await db().$queryRawUnsafe<{ key: string; count: number | bigint; expiresAt: number | bigint }[]>(sql, ...params);
  return rows.map((r) => ({ key: r.key, count: Number(r.count), expiresAt: Number(r.expiresAt) }));
}

/** Forgets keys (a success). */
async function clearCounters(keys: string[]): Promise<void> {
  if (keys.length) await db().rateCounter.deleteMany({ where: { key: { in: keys } } });
}

/** Deletes stale counters (the minute job), so a flood of distinct keys cannot grow the table past one window. */
export async function pruneCounters(now = Date.now()): Promise<number> {
  return (await db().rateCounter.deleteMany({ where: { expiresAt: { lte: BigInt(now) } } })).count;
}

/**
 * Claims `key` for one run among all instances (a scheduled job's slot): true for the first
 * caller only, until ttlMs has passed.
 */
export async function claimOnce(key: string, ttlMs: number, now = Date.now()): Promise<boolean> {
  const [row] = await incrementCounters([`claim|${key}`], ttlMs, now);
  return row?.count === 1;
}

function retryAfter(expiresAt: number, now: number): number {
  return Math.max(1, Math.ceil((expiresAt - now) / 1000));
}

/** Failures per key (a SCEP profile and address, say) within a window. */
export class FailureLimiter {
  constructor(
    readonly name: string,
    readonly maxFailures: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private keyOf(key: string): string {
    return `${this.name}|${key.slice(0, 400)}`;
  }

  /** Whether `key` has used up its failures; the caller answers 429 (or the page's equivalent). */
  async check(key: string): Promise<LimitState> {
    const now = this.now();
    const c = (await liveCounters([this.keyOf(key)], now)).get(this.keyOf(key));
    if (!c || c.count < this.maxFailures) return OPEN;
    const retryAfterSeconds = retryAfter(c.expiresAt, now);
    log.warn("too many failed attempts", { limiter: this.name, subject: key.slice(0, 200), retryAfterSeconds });
    return { blocked: true, retryAfterSeconds };
  }

  async fail(key: string): Promise<void> {
    await incrementCounters([this.keyOf(key)], this.windowMs, this.now());
  }

  async succeed(key: string): Promise<void> {
    await clearCounters([this.keyOf(key)]);
  }
}

export interface SignInLimits {
  /** Failures for one account from one address. */
  perPair: number;
  /** Failures for one account from anywhere; refuses only addresses that failed for it. */
  perAccount: number;
  /** Failures from one address over all accounts (password spraying). */
  perAddress: number;
  windowMs: number;
}

export type SignInBlock = LimitState & { scope?: "pair" | "account" | "address" };

/**
 * Password sign-in brake, per (account, address) pair first: an address that guessed wrong
 * too often is refused for that account; an account guessed at from many addresses is
 * refused only to the addresses that failed for it, so its owner signing in from elsewhere
 * gets through; an address spraying many accounts is refused for all of them.
 */
export class SignInLimiter {
  constructor(
    readonly name: string,
    readonly limits: SignInLimits,
    private readonly now: () => number = Date.now,
  ) {}

  private keys(account: string, address: string | null) {
    const a = account.slice(0, 320);
    const from = (address ?? "unknown").slice(0, 100);
    return {
      pair: `${this.name}|pair|${a}|${from}`,
      account: `${this.name}|account|${a}`,
      address: address ? `${this.name}|address|${from}` : null,
    };
  }

  async check(account: string, address: string | null): Promise<SignInBlock> {
    const now = this.now();
    const k = this.keys(account, address);
    const live = await liveCounters([k.pair, k.account, ...(k.address ? [k.address] : [])], now);
    const count = (key: string | null) => (key ? (live.get(key)?.count ?? 0) : 0);
    const blockedBy = (scope: SignInBlock["scope"], key: string): SignInBlock => {
      const retryAfterSeconds = retryAfter(live.get(key)!.expiresAt, now);
      log.warn("too many failed attempts", { limiter: this.name, scope, subject: account.slice(0, 200), remoteAddr: address, retryAfterSeconds });
      return { blocked: true, retryAfterSeconds, scope };
    };
    if (count(k.pair) >= this.limits.perPair) return blockedBy("pair", k.pair);
    if (k.address && count(k.address) >= this.limits.perAddress) return blockedBy("address", k.address);
    if (count(k.account) >= this.limits.perAccount && count(k.pair) > 0) return blockedBy("account", k.account);
    return OPEN;
  }

  async fail(account: string, address: string | null): Promise<void> {
    const k = this.keys(account, address);
    await incrementCounters([k.pair, k.account, ...(k.address ? [k.address] : [])], this.limits.windowMs, this.now());
  }

  /** A right password clears the account's counts (the address's spraying count stays). */
  async succeed(account: string, address: string | null): Promise<void> {
    const k = this.keys(account, address);
    await clearCounters([k.pair, k.account]);
  }
}
