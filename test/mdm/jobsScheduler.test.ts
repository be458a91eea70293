// The periodic jobs start once per process: a second startJobs() (Next may load the
// module twice) adds no timers; and each time slot runs once among all instances (the
// claim is in the database; test/scale/twoInstances.test.ts checks it with real servers).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runClaimed, startJobs } from "@/lib/jobs/scheduler";
import { createClient, setDb } from "@/lib/db/client";
import { createTestDb, type TestDb } from "@/test/helpers/db";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());

afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
});

describe("job scheduler", () => {
  it("starts the identity-renewal and push timers once per process", () => {
    vi.useFakeTimers();
    expect(startJobs()).toBe(true);
    expect(vi.getTimerCount()).toBe(3); // hourly: first run after a minute, then hourly; push checks every minute
    expect(startJobs()).toBe(false);
    expect(vi.getTimerCount()).toBe(3);
  });
});

describe("job slots", () => {
  it("runs a slot once when several instances reach it together, and the next slot again", async () => {
    const other = createClient(t.url);
    let runs = 0;
    const job = async () => {
      runs++;
    };
    const now = Date.UTC(2026, 11, 3, 10, 0, 30);
    try {
      const ran = await Promise.all(
        [t.client, other, t.client, other].map((c) => {
          setDb(t.url, c); // each client stands for an instance
          return runClaimed("test-hourly", 3_600_000, job, now);
        }),
      );
      expect(ran.filter(Boolean)).toHaveLength(1);
    } finally {
      setDb(t.url, t.client);
      await other.$disconnect();
    }
    expect(runs).toBe(1);
    expect(await runClaimed("test-hourly", 3_600_000, job, now + 1_800_000)).toBe(false);
    expect(await runClaimed("test-hourly", 3_600_000, job, now + 3_600_000)).toBe(true);
    expect(runs).toBe(2);
  });
});
