// The shared failure counters (RateCounter table) behind every brute-force brake: atomic
// increments from several database clients at once (as several instances would), windows that
// end however often a locked-out caller keeps trying, the (account, address) pair locked before
// the account, one-run claims for scheduled jobs, and pruning. Runs on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { createClient, setDb } from "@/lib/db/client";
import { FailureLimiter, SignInLimiter, claimOnce, incrementCounters, pruneCounters } from "@/lib/http/failureLimiter";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());

describe("shared failure counters", () => {
  it("counts every increment exactly once when several clients of one database increment at once", async () => {
    const others = [createClient(t.url), createClient(t.url)];
    try {
      const clients = [t.client, ...others];
      // Each client stands for an instance: installed in turn, 30 increments in flight on each.
      const runs: Promise<unknown>[] = [];
      for (const c of clients) {
        setDb(t.url, c);
        for (let i = 0; i < 30; i++) runs.push(incrementCounters(["race|k"], 60_000));
      }
      await Promise.all(runs);
    } finally {
      setDb(t.url, t.client);
      await Promise.all(others.map((c) => c.$disconnect()));
    }
    const row = await t.client.rateCounter.findUnique({ where: { key: "race|k" } });
    expect(row?.count).toBe(90);
  });

  it("blocks after the limit, and the block ends with the window even if the caller keeps trying", async () => {
    let now = 1_000_000_000;
    const l = new FailureLimiter("window-test", 3, 60_000, () => now);
    for (let i = 0; i < 3; i++) await l.fail("10.0.0.1");
    expect(await l.check("10.0.0.1")).toEqual({ blocked: true, retryAfterSeconds: 60 });
    expect((await l.check("10.0.0.2")).blocked).toBe(false);
    // Refused tries do not count: the lockout still ends 60 s after it began.
    for (let s = 0; s < 5; s++) {
      now += 10_000;
      expect((await l.check("10.0.0.1")).blocked).toBe(true);
    }
    now = 1_000_000_000 + 60_000;
    expect((await l.check("10.0.0.1")).blocked).toBe(false);
    // A fresh window starts at the next failure, from one.
    await l.fail("10.0.0.1");
    expect((await l.check("10.0.0.1")).blocked).toBe(false);
    expect((await t.client.rateCounter.findUnique({ where: { key: "window-test|10.0.0.1" } }))?.count).toBe(1);
  });

  it("locks the (account, address) pair first; a right password from an address that never failed gets through", async () => {
    const now = 2_000_000_000;
    const l = new SignInLimiter("pair-test", { perPair: 5, perAccount: 8, perAddress: 20, windowMs: 900_000 }, () => now);
    for (let i = 0; i < 5; i++) await l.fail("owner@example.com", "203.0.113.1");
    expect(await l.check("owner@example.com", "203.0.113.1")).toMatchObject({ blocked: true, scope: "pair" });
    expect((await l.check("owner@example.com", "198.51.100.1")).blocked).toBe(false);
    // Many addresses guessing push the account over its limit: those addresses are refused,
    // an address that never failed for this account is not.
    for (let i = 0; i < 3; i++) await l.fail("owner@example.com", `203.0.113.${10 + i}`);
    expect(await l.check("owner@example.com", "203.0.113.10")).toMatchObject({ blocked: true, scope: "account" });
    expect((await l.check("owner@example.com", "198.51.100.1")).blocked).toBe(false);
    // The same address on another account: its pair is clean.
    expect((await l.check("other@example.com", "203.0.113.1")).blocked).toBe(false);
  });

  it("refuses an address that sprays many accounts, for every account", async () => {
    const l = new SignInLimiter("spray-test", { perPair: 5, perAccount: 5, perAddress: 4, windowMs: 900_000 });
    for (let i = 0; i < 4; i++) await l.fail(`user${i}@example.com`, "192.0.2.77");
    expect(await l.check("fresh@example.com", "192.0.2.77")).toMatchObject({ blocked: true, scope: "address" });
    expect((await l.check("fresh@example.com", "192.0.2.78")).blocked).toBe(false);
  });

  it("a success clears the account's counts but not the address's spraying count", async () => {
    const l = new SignInLimiter("success-test", { perPair: 3, perAccount: 3, perAddress: 5, windowMs: 900_000 });
    for (let i = 0; i < 2; i++) await l.fail("a@example.com", "192.0.2.1");
    await l.succeed("a@example.com", "192.0.2.1");
    for (let i = 0; i < 2; i++) await l.fail("a@example.com", "192.0.2.1");
    expect((await l.check("a@example.com", "192.0.2.1")).blocked).toBe(false);
    await l.fail("b@example.com", "192.0.2.1");
    expect(await l.check("c@example.com", "192.0.2.1")).toMatchObject({ blocked: true, scope: "address" });
  });

  it("claims a job slot for the first caller only, until it expires", async () => {
    const now = 3_000_000_000;
    const results = await Promise.all([0, 1, 2, 3].map(() => claimOnce("job-test:slot-1", 60_000, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await claimOnce("job-test:slot-2", 60_000, now)).toBe(true);
    expect(await claimOnce("job-test:slot-1", 60_000, now + 60_000)).toBe(true);
  });

  it("prunes expired rows only", async () => {
    await incrementCounters(["prune|old"], 1_000, 100);
    await incrementCounters(["prune|live"], 60_000, Date.now());
    await pruneCounters();
    const keys = (await t.client.rateCounter.findMany({ where: { key: { startsWith: "prune|" } } })).map((r) => r.key);
    expect(keys).toEqual(["prune|live"]);
  });
});
