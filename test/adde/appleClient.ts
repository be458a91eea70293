// A device stand-in that sends account-driven requests exactly as Apple's client does:
// the request templates in test/fixtures/adde (no PKCE), filled in the way NSURLComponents
// encodes query items (only what a query may not contain is percent-encoded, so "+", "@",
// ":" and "/" stay), and the callback read the way the client reads it (code and state
// from the query items, "+" not a space).
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import type { RouteServer } from "../helpers/routeServer";

const FIXTURES = path.join(__dirname, "../fixtures/adde");

/** RFC 3986 query characters NSURLComponents leaves alone (plus "=" and "&" never occur in our values). */
function nsQueryValue(v: string): string {
  return Array.from(new TextEncoder().encode(v))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9\-._~!$'()*+,;:@/?]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

export interface FixtureRequest {
  method: string;
  target: string;
  headers: Record<string, string>;
  body: string | null;
}

/** Reads a template and fills its {{placeholders}}; every placeholder must be given. */
export function fixtureRequest(name: string, values: Record<string, string>): FixtureRequest {
  const raw = fs.readFileSync(path.join(FIXTURES, `${name}.http`), "utf8");
  const filled = raw.replace(/\{\{([a-z_-]+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`fixture ${name} needs {{${key}}}`);
    // Paths come from the challenge's URLs and are inserted as they are.
    return key.endsWith("-path") ? values[key] : nsQueryValue(values[key]);
  });
  const [head, ...rest] = filled.split("\n\n");
  const [requestLine, ...headerLines] = head.split("\n");
  const [method, target] = requestLine.split(" ");
  const headers: Record<string, string> = {};
  for (const h of headerLines.filter(Boolean)) headers[h.slice(0, h.indexOf(":")).toLowerCase()] = h.slice(h.indexOf(":") + 1).trim();
  const body = rest.join("\n\n");
  return { method, target, headers, body: body.length ? body : null };
}

/** Sends the request byte for byte to the test server (the target's query is not re-encoded). */
export async function send(server: RouteServer, req: FixtureRequest): Promise<Response> {
  return fetch(`${server.url}${req.target}`, { method: req.method, headers: req.headers, body: req.body ?? undefined, redirect: "manual" });
}

/** The query items of a callback URL as NSURLComponents gives them: %XX decoded, "+" kept. */
export function queryItems(url: string): Map<string, string> {
  const q = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
  const out = new Map<string, string>();
  for (const part of q.split("&").filter(Boolean)) {
    const eq = part.indexOf("=");
    out.set(decodeURIComponent(eq < 0 ? part : part.slice(0, eq)), eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1)));
  }
  return out;
}

/**
 * A binary property list written by Python's plistlib (an encoder we did not write). Byte
 * strings are given as { $data: base64 }.
 */
export function pythonBinaryPlist(value: unknown): Uint8Array {
  const script = [
    "import base64, json, plistlib, sys",
    "def conv(v):",
    "    if isinstance(v, dict):",
    "        if set(v) == {'$data'}: return base64.b64decode(v['$data'])",
    "        return {k: conv(x) for k, x in v.items()}",
    "    if isinstance(v, list): return [conv(x) for x in v]",
    "    return v",
    "sys.stdout.buffer.write(plistlib.dumps(conv(json.load(sys.stdin)), fmt=plistlib.FMT_BINARY))",
  ].join("\n");
  return new Uint8Array(execFileSync("python3", ["-c", script], { input: JSON.stringify(value) }));
}
