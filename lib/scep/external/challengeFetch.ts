// Fetching a one-time challenge from an external CA's challenge URL, over HTTP Basic.
// Supported answers (docs/scep.md, "External SCEP CA"):
//  - NDES (Microsoft mscep_admin, and our own /ndes/<id>): HTML, UTF-16LE (with or without BOM)
//    or UTF-8, "The enrollment challenge password is: <B> CHALLENGE </B>"; a page saying
//    "The password cache is full" means no new challenge until one is used or expires;
//  - GENERIC (Okta "Dynamic SCEP URL and Generic" and similar): JSON whose field (configurable,
//    dotted path; default "challenge", then "challengePassword", "password") is a string, or
//    text/plain whose whole trimmed body is the challenge.
// The challenge itself is never logged or put in an error message.

import { readLimited } from "./caCerts";

const MAX_RESPONSE_BYTES = 64 * 1024;
const TIMEOUT_MS = 10_000;
/** Printable ASCII without spaces: what Apple's client can send as challengePassword. */
const CHALLENGE_RE = /^[\x21-\x7e]{1,255}$/;

export type ChallengeFormat = "NDES" | "GENERIC";

export type ChallengeFetchResult =
  | { ok: true; challenge: string }
  | {
      ok: false;
      /** unreachable | auth_failed | cache_full | http_status | unparseable */
      kind: "unreachable" | "auth_failed" | "cache_full" | "http_status" | "unparseable";
      /** Safe to log: never contains the challenge or the password. */
      detail: string;
    };

/** Decodes an HTML/text body: BOM first, then UTF-16LE by its NUL pattern, else UTF-8. */
export function decodeBody(body: Buffer): string {
  if (body.length >= 2 && body[0] === 0xff && body[1] === 0xfe) return body.subarray(2).toString("utf16le");
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return body.subarray(3).toString("utf8");
  // NDES writes "Unicode" pages; some proxies drop the BOM. ASCII text in UTF-16LE has a NUL at every odd index.
  if (body.length >= 4 && body.length % 2 === 0 && body[1] === 0 && body[3] === 0) return body.toString("utf16le");
  return body.toString("utf8");
}

export function parseNdesPage(text: string): { challenge: string } | { cacheFull: true } | null {
  if (/password\s+cache\s+is\s+full/i.test(text)) return { cacheFull: true };
  const m = /enrollment\s+challenge\s+password\s+is\s*:?\s*(?:<\s*b\s*>)?\s*([^<\s]+)\s*(?:<\s*\/\s*b\s*>)?/i.exec(text);
  if (!m || !CHALLENGE_RE.test(m[1])) return null;
  return { challenge: m[1] };
}

function pick(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function parseGenericBody(text: string, contentType: string, jsonField: string | null): string | null {
  const trimmed = text.trim();
  const looksJson = contentType.includes("json") || trimmed.startsWith("{");
  if (looksJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return null;
    }
    const fields = jsonField ? [jsonField] : ["challenge", "challengePassword", "password"];
    for (const f of fields) {
      const v = pick(parsed, f);
      if (typeof v === "string" && CHALLENGE_RE.test(v)) return v;
    }
    return null;
  }
  return CHALLENGE_RE.test(trimmed) ? trimmed : null;
}

export interface ChallengeSourceConfig {
  format: ChallengeFormat;
  url: string;
  username: string | null;
  password: string | null;
  jsonField?: string | null;
}

export async function fetchChallenge(src: ChallengeSourceConfig): Promise<ChallengeFetchResult> {
  const headers: Record<string, string> = { Accept: src.format === "NDES" ? "text/html, */*" : "application/json, text/plain" };
  if (src.username !== null) headers.Authorization = `Basic ${Buffer.from(`${src.username}:${src.password ?? ""}`, "utf8").toString("base64")}`;
  let res: Response;
  try {
    res = await fetch(src.url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "error" });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    return { ok: false, kind: "unreachable", detail: `${new URL(src.url).origin} is unreachable (${cause})` };
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    return { ok: false, kind: "auth_failed", detail: `the challenge URL answered HTTP ${res.status}: username or password refused` };
  }
  const body = await readLimited(res, MAX_RESPONSE_BYTES);
  if (!body) return { ok: false, kind: "unparseable", detail: `answer exceeds ${MAX_RESPONSE_BYTES} bytes` };
  const text = decodeBody(body);
  // NDES answers its cache-full page with 200; some front ends turn it into 429/503.
  if (src.format === "NDES") {
    const parsed = parseNdesPage(text);
    if (parsed && "cacheFull" in parsed) return { ok: false, kind: "cache_full", detail: 'NDES answered "The password cache is full"' };
    if (res.status !== 200) return { ok: false, kind: "http_status", detail: `the challenge URL answered HTTP ${res.status}` };
    if (!parsed) return { ok: false, kind: "unparseable", detail: 'no "The enrollment challenge password is: <B> … </B>" on the page (is this the mscep_admin URL?)' };
    return { ok: true, challenge: parsed.challenge };
  }
  if (res.status !== 200) return { ok: false, kind: res.status === 429 ? "cache_full" : "http_status", detail: `the challenge URL answered HTTP ${res.status}` };
  const challenge = parseGenericBody(text, (res.headers.get("content-type") ?? "").toLowerCase(), src.jsonField ?? null);
  if (!challenge)
    return {
      ok: false,
      kind: "unparseable",
      detail: src.jsonField ? `no string field "${src.jsonField}" in the answer` : "the answer is neither JSON with a challenge field nor a plain-text challenge",
    };
  return { ok: true, challenge };
}
