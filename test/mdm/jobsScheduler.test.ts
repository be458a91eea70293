// The periodic jobs start once per process: a second startJobs() (Next may load the
// module twice) adds no timers.
import { afterEach, describe, expect, it, vi } from "vitest";
import { startJobs } from "@/lib/jobs/scheduler";

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
