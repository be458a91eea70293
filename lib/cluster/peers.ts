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

/** Runs fn(detail) whenever another worker announces `topic`. */
export function onPeerAnnouncement(topic: string, fn: (detail: string) => void): void {
  if (process.env.ENROLL_WORKER !== "1") return;
  process.on("message", (m: unknown) => {
    if (isPeerMessage(m) && m.topic === topic) fn(m.detail);
  });
}
