// Announcements between the workers of one server: what a worker sends to the primary, and
// what the handlers of another worker do with a relayed announcement (the relay itself is
// scripts/serve.mjs). Brute-force counts reach the other workers; outside a cluster nothing
// is sent. The process channel is not used here: Vitest's own worker talks over it.
import { afterEach, describe, expect, it, vi } from "vitest";
import { FailureLimiter } from "@/lib/http/failureLimiter";
import { announceToPeers, onPeerAnnouncement } from "./peers";

type Handlers = Map<string, Set<(detail: string) => void>>;
const relayed = (topic: string, detail: string) => {
  const map = (globalThis as unknown as Record<symbol, Handlers | undefined>)[Symbol.for("openenroll.cluster.peerHandlers")];
  for (const fn of map?.get(topic) ?? []) fn(detail);
};

function captureSends() {
  const sent: unknown[] = [];
  const original = process.send;
  process.send = ((m: unknown) => sent.push(m) > 0) as typeof process.send;
  return { sent, restore: () => (process.send = original) };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("cluster peer announcements", () => {
  it("sends nothing outside a cluster worker", () => {
    vi.stubEnv("ENROLL_WORKER", "");
    const cap = captureSends();
    try {
      announceToPeers("server-key", "ca");
    } finally {
      cap.restore();
    }
    expect(cap.sent).toEqual([]);
  });

  it("a worker sends its announcement to the primary; a relayed one reaches this topic's handlers only", () => {
    vi.stubEnv("ENROLL_WORKER", "1");
    const got: string[] = [];
    onPeerAnnouncement("test-topic", (d) => got.push(`a:${d}`));
    onPeerAnnouncement("test-topic", (d) => got.push(`b:${d}`));
    onPeerAnnouncement("other-topic", (d) => got.push(`other:${d}`));
    const cap = captureSends();
    try {
      announceToPeers("test-topic", "x");
    } finally {
      cap.restore();
    }
    expect(cap.sent).toEqual([{ openEnroll: "peer", topic: "test-topic", detail: "x" }]);
    relayed("test-topic", "x");
    expect(got).toEqual(["a:x", "b:x"]);
  });

  it("failures counted by one worker's limiter block the address in another worker; a success clears it there too", () => {
    vi.stubEnv("ENROLL_WORKER", "");
    const here = new FailureLimiter("peers-test", 3, 60_000); // this worker (not subscribed: the primary never echoes back)
    vi.stubEnv("ENROLL_WORKER", "1");
    const there = new FailureLimiter("peers-test", 3, 60_000); // another worker's copy
    const cap = captureSends();
    try {
      for (let i = 0; i < 3; i++) here.fail("10.0.0.1");
      here.fail("10.0.0.2");
    } finally {
      cap.restore();
    }
    expect(cap.sent).toHaveLength(4);
    for (const m of cap.sent as { topic: string; detail: string }[]) relayed(m.topic, m.detail);
    expect(there.check("10.0.0.1").blocked).toBe(true);
    expect(there.check("10.0.0.2").blocked).toBe(false);

    const cap2 = captureSends();
    try {
      here.succeed("10.0.0.1");
    } finally {
      cap2.restore();
    }
    for (const m of cap2.sent as { topic: string; detail: string }[]) relayed(m.topic, m.detail);
    expect(there.check("10.0.0.1").blocked).toBe(false);
  });
});
