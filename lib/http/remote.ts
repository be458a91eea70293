// Who is calling: the peer address (behind trusted proxies, the right-most X-Forwarded-For
// hop they did not add; TRUST_PROXY) and the client certificate a TLS-terminating proxy forwarded.
import net from "node:net";
import { config, type TrustProxy } from "../config";

/** The socket's address: scripts/serve.mjs overwrites this header on every request. */
const PEER_HEADER = "x-enroll-peer";

export function remoteAddress(request: Request): string | null {
  return remoteAddressFromHeaders(request.headers);
}

/** The same from bare headers (next-auth's authorize() gets no Request). */
export function remoteAddressFromHeaders(headers: Headers): string | null {
  return clientAddress(headers, config().trustProxy);
}

/** "::ffff:10.0.0.1" → "10.0.0.1", "[::1]:443" → "::1", "10.0.0.1:5000" → "10.0.0.1"; null if not an address. */
export function normalizeAddress(raw: string): string | null {
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(":"));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1];
  return net.isIP(a) ? a.toLowerCase() : null;
}

const blockLists = new WeakMap<string[], net.BlockList>();

function trustedRanges(ranges: string[]): net.BlockList {
  let list = blockLists.get(ranges);
  if (!list) {
    list = new net.BlockList();
    for (const r of ranges) {
      const [addr, bits] = r.split("/");
      const type = net.isIP(addr) === 6 ? "ipv6" : "ipv4";
      if (bits === undefined) list.addAddress(addr, type);
      else list.addSubnet(addr, Number(bits), type);
    }
    blockLists.set(ranges, list);
  }
  return list;
}

function isTrusted(address: string, list: net.BlockList): boolean {
  return list.check(address, net.isIP(address) === 6 ? "ipv6" : "ipv4");
}

/**
 * The client's address. Each proxy appends the address it was called from to
 * X-Forwarded-For, so only the right-most entries come from proxies we trust; everything to
 * their left is whatever the client sent. With N trusted proxies the client is the N-th entry
 * from the right; with a list of proxy addresses it is the right-most entry that is not one
 * of them (and the header counts only when the socket's peer is a trusted proxy).
 */
export function clientAddress(headers: Headers, trust: TrustProxy): string | null {
  const peerRaw = headers.get(PEER_HEADER);
  const peer = peerRaw ? (normalizeAddress(peerRaw) ?? peerRaw) : null;
  if (trust.kind === "none") return peer;
  const list = trust.kind === "addresses" ? trustedRanges(trust.ranges) : null;
  if (list && !(peer && net.isIP(peer) && isTrusted(peer, list))) return peer;
  const proxies = trust.kind === "hops" ? trust.hops : 0;
  const fwd = headers.get("x-forwarded-for");
  if (!fwd) {
    // A proxy that sets only X-Real-IP (nginx's "proxy_set_header X-Real-IP $remote_addr") overwrites it.
    const real = normalizeAddress(headers.get("x-real-ip") ?? "");
    return real ?? peer;
  }
  // Entries the proxies wrote are addresses; anything else (a forged "unknown", junk) ends the walk.
  const hops = fwd.split(",").map((h) => h.trim());
  if (list) {
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalizeAddress(hops[i]);
      if (!hop) return peer;
      if (!isTrusted(hop, list)) return hop;
    }
    return normalizeAddress(hops[0]) ?? peer;
  }
  // N proxies: the nearest is the socket's peer, the other N-1 appended the right-most entries.
  const index = Math.max(0, hops.length - proxies);
  return normalizeAddress(hops[index]) ?? peer;
}

/** PEM or URL-encoded PEM of the client certificate from CLIENT_CERT_HEADER, if configured. */
export function forwardedClientCert(request: Request): string | null {
  const header = config().clientCertHeader;
  if (!header) return null;
  const raw = request.headers.get(header);
  if (!raw) return null;
  return raw.includes("%") ? decodeURIComponent(raw) : raw;
}
