// Announcements between the workers of one server: what a worker sends to the primary, and
// what the handlers of another worker do with a relayed announcement (the relay itself is
// scripts/serve.mjs); outside a cluster nothing is sent. The process channel is not used here: Vitest's own worker talks over it.
import { afterEach, describe, expect, it, vi } from "vitest";
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
});
