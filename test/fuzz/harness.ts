// Runs fuzz inputs against the route handlers in this process: the same functions Next.js
// serves, called as Next calls them (a Request and a params promise decoded from the path),
// behind the same edge check scripts/serve.mjs makes. A 5xx, a thrown error or an answer
// slower than HANG_MS fails the run with the input that caused it.
import fc from "fast-check";
import { pathDecodes } from "@/scripts/edge.mjs";
import { routeMatcher } from "@/scripts/routeBridge.mjs";

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
type Params = Record<string, string | string[]>;
export type Handler = (request: Request, ctx: { params: Promise<Params> }) => Response | Promise<Response>;
export type RouteModule = Partial<Record<Method, Handler>>;

export interface FuzzRequest {
  method: Method;
  /** Path and query as sent (not normalised). */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
}

export interface Endpoint {
  /** Shown in test names and failure reports. */
  name: string;
  /** App Router pattern of the route the request goes to: /scep/[id], /ocsp/[...request]. */
  pattern: string;
  module: RouteModule;
  /** The inputs; each run draws one. */
  input: fc.Arbitrary<FuzzRequest>;
}

export const HANG_MS = 5_000;
const ORIGIN = process.env.PUBLIC_URL ?? "https://mdm.example.test";

/** Route modules typed per route (params: { id: string }) widened to the generic handler type in one place. */
export async function routeModule(mod: Promise<unknown>): Promise<RouteModule> {
  return (await mod) as RouteModule;
}

/** The server's own route matcher (scripts/routeBridge.mjs), compiled once per pattern. */
const matchers = new Map<string, ReturnType<typeof routeMatcher>>();
function matcherFor(pattern: string): ReturnType<typeof routeMatcher> {
  let match = matchers.get(pattern);
  if (!match) {
    match = routeMatcher(pattern);
    matchers.set(pattern, match);
  }
  return match;
}

export interface Outcome {
  status: number;
  /** "edge": scripts/serve.mjs answered; "router": no route (Next's 404); "client": the request cannot be sent. */
  by: "handler" | "edge" | "router" | "client";
}

function request(r: FuzzRequest): Request | null {
  try {
    const body = r.body && r.method !== "GET" && r.method !== "HEAD" ? Buffer.from(r.body) : undefined;
    return new Request(`${ORIGIN}${r.path}`, {
      method: r.method,
      headers: r.headers,
      body,
    });
  } catch {
    // Header bytes no HTTP client can put on the wire (Node's parser refuses them first).
    return null;
  }
}

async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new HangError(ms)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export class HangError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms (hang)`);
  }
}

/** Sends one input to one endpoint's handler and reads the whole answer. */
export async function invoke(endpoint: Pick<Endpoint, "pattern" | "module">, r: FuzzRequest): Promise<Outcome> {
  if (!pathDecodes(r.path)) return { status: 400, by: "edge" };
  const req = request(r);
  if (!req) return { status: 400, by: "client" };
  const params = matcherFor(endpoint.pattern)(new URL(req.url).pathname);
  if (!params) return { status: 404, by: "router" };
  const handler = endpoint.module[r.method] ?? (r.method === "HEAD" ? endpoint.module.GET : undefined);
  if (!handler) return { status: 405, by: "router" };
  return withDeadline(
    (async () => {
      const res = await handler(req, { params: Promise.resolve(params) });
      await res.arrayBuffer();
      return { status: res.status, by: "handler" as const };
    })(),
    HANG_MS,
  );
}

/** The input as a reader can replay it: method, URL, headers, body (base64, first 4 KiB). */
export function describeInput(r: FuzzRequest): string {
  const body = r.body ? `${r.body.byteLength} bytes, base64: ${Buffer.from(r.body.subarray(0, 4096)).toString("base64")}${r.body.byteLength > 4096 ? "…" : ""}` : "none";
  const headers = JSON.stringify(r.headers, (_k, v: unknown) => (typeof v === "string" && v.length > 300 ? `${v.slice(0, 300)}…(${v.length} chars)` : v));
  return `${r.method} ${r.path.length > 2000 ? `${r.path.slice(0, 2000)}…(${r.path.length} chars)` : r.path}\nheaders: ${headers}\nbody: ${body}`;
}

/** FUZZ_SEED (default fixed, so CI is reproducible) and FUZZ_RUNS (default 100,000 inputs in all). */
export function fuzzSettings(env = process.env): {
  seed: number;
  runs: number;
} {
  const seedText = env.FUZZ_SEED?.trim();
  const seed = seedText === "random" ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : seedText ? Number(seedText) | 0 : 18;
  const runs = Number(env.FUZZ_RUNS ?? 100_000);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`FUZZ_RUNS must be a whole number above 0, not "${env.FUZZ_RUNS}"`);
  return { seed, runs };
}

/** A request builder for the common case: one method, a path, headers and body arbitraries. */
export function requestArb(parts: {
  method: fc.Arbitrary<Method> | Method;
  path: fc.Arbitrary<string> | string;
  headers?: fc.Arbitrary<Record<string, string>>;
  body?: fc.Arbitrary<Uint8Array | null>;
}): fc.Arbitrary<FuzzRequest> {
  const lift = <T>(v: fc.Arbitrary<T> | T): fc.Arbitrary<T> => (v instanceof fc.Arbitrary ? v : fc.constant(v));
  return fc.record({
    method: lift(parts.method),
    path: lift(parts.path),
    headers: parts.headers ?? fc.constant({}),
    body: parts.body ?? fc.constant(null),
  });
}
