// Announcements between the workers of one `npm start` cluster (scripts/serve.mjs): a
// worker that changes state other workers cache in memory (a rotated server key) tells
// the others, through the primary, to drop their copy. Outside a cluster (one worker,
// tests, scripts) announcing does nothing.

interface PeerMessage {
  openEnroll: "peer";
  topic: string;
  detail: string;
}

function isPeerMessage(m: unknown): m is PeerMessage {
  return typeof m === "object" && m !== null && (m as PeerMessage).openEnroll === "peer" && typeof (m as PeerMessage).topic === "string";
}

/** Tells the other workers that `topic` (e.g. one server key, named by detail) changed. */
export function announceToPeers(topic: string, detail = ""): void {
  if (process.env.ENROLL_WORKER !== "1" || typeof process.send !== "function") return;
  const message: PeerMessage = { openEnroll: "peer", topic, detail };
  process.send(message);
}

// One "message" listener per process, on globalThis: Next may load this module (and the
// modules that subscribe) more than once per process, and each copy's handlers must run.
const HANDLERS = Symbol.for("openenroll.cluster.peerHandlers");
type PeerGlobal = typeof globalThis & { [HANDLERS]?: Map<string, Set<(detail: string) => void>> };

function handlers(): Map<string, Set<(detail: string) => void>> {
  const g = globalThis as PeerGlobal;
  if (!g[HANDLERS]) {
    const map = new Map<string, Set<(detail: string) => void>>();
    g[HANDLERS] = map;
    process.on("message", (m: unknown) => {
      if (isPeerMessage(m)) for (const fn of map.get(m.topic) ?? []) fn(m.detail);
    });
  }
  return g[HANDLERS];
}

/** Runs fn(detail) whenever another worker announces `topic`. */
export function onPeerAnnouncement(topic: string, fn: (detail: string) => void): void {
  if (process.env.ENROLL_WORKER !== "1") return;
  const map = handlers();
  map.set(topic, (map.get(topic) ?? new Set()).add(fn));
}
