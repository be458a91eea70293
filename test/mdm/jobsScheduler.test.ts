// The periodic jobs start once per process: a second startJobs() (Next may load the
// module twice) adds no timers.
import { afterEach, describe, expect, it, vi } from "vitest";
import { startJobs } from "@/lib/jobs/scheduler";

afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
});

describe("job scheduler", () => {
  it("starts the identity-renewal timers once per process", () => {
    vi.useFakeTimers();
    expect(startJobs()).toBe(true);
    expect(vi.getTimerCount()).toBe(2); // first run after a minute, then hourly
    expect(startJobs()).toBe(false);
    expect(vi.getTimerCount()).toBe(2);
  });
});
