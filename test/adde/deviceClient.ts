// A test client that behaves like an iPhone doing account-driven enrollment (seed 003),
// against the real route handlers served over HTTP. URLs the server hands out name
// PUBLIC_URL (https://mdm.example.test); the client sends them to the test server instead.
import { serveRoutes, type RouteModule, type RouteServer } from "../helpers/routeServer";

export const ENROLL_BODY = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>LANGUAGE</key>
    <string>en-US</string>
    <key>PRODUCT</key>
    <string>iPhone17,2</string>
    <key>VERSION</key>
    <string>19A240</string>
</dict>
</plist>
`;

export async function startAddeServer(): Promise<RouteServer> {
  return serveRoutes([
    { pattern: "/.well-known/com.apple.remotemanagement", module: (await import("@/app/.well-known/com.apple.remotemanagement/route")) as unknown as RouteModule },
    { pattern: "/adde/[mode]", module: (await import("@/app/adde/[mode]/route")) as unknown as RouteModule },
    { pattern: "/authenticate/start", module: (await import("@/app/authenticate/start/route")) as unknown as RouteModule },
    { pattern: "/authenticate/local", module: (await import("@/app/authenticate/local/route")) as unknown as RouteModule },
    { pattern: "/authenticate/callback", module: (await import("@/app/authenticate/callback/route")) as unknown as RouteModule },
    { pattern: "/oauth2/authorize", module: (await import("@/app/oauth2/authorize/route")) as unknown as RouteModule },
    { pattern: "/oauth2/token", module: (await import("@/app/oauth2/token/route")) as unknown as RouteModule },
    { pattern: "/esso", module: (await import("@/app/esso/route")) as unknown as RouteModule },
    { pattern: "/api/v1/adde/routes", module: (await import("@/app/api/v1/adde/routes/route")) as unknown as RouteModule },
    { pattern: "/api/v1/adde/routes/[id]", module: (await import("@/app/api/v1/adde/routes/[id]/route")) as unknown as RouteModule },
    { pattern: "/api/v1/adde/settings", module: (await import("@/app/api/v1/adde/settings/route")) as unknown as RouteModule },
    { pattern: "/api/v1/adde/esso", module: (await import("@/app/api/v1/adde/esso/route")) as unknown as RouteModule },
    { pattern: "/api/v1/users/[identifier]", module: (await import("@/app/api/v1/users/[identifier]/route")) as unknown as RouteModule },
    { pattern: "/api/v1/users/[identifier]/revoke-tokens", module: (await import("@/app/api/v1/users/[identifier]/revoke-tokens/route")) as unknown as RouteModule },
  ]);
}

/** Maps a URL the server announced (PUBLIC_URL) onto the test server. */
export function local(server: RouteServer, url: string): string {
  const u = new URL(url);
  const base = new URL(server.url);
  if (u.origin === new URL(process.env.PUBLIC_URL ?? "https://mdm.example.test").origin) {
    u.protocol = base.protocol;
    u.host = base.host;
  }
  return u.toString();
}

/** Parses `Bearer k="v", k2="v2"` (RFC 7235 auth-params, quoted strings). */
export function parseBearerChallenge(header: string | null): Record<string, string> | null {
  if (!header) return null;
  const m = /^Bearer\s+(.*)$/is.exec(header.trim());
  if (!m) return null;
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/gy;
  let part: RegExpExecArray | null;
  let consumed = 0;
  while ((part = re.exec(m[1])) !== null) {
    out[part[1].toLowerCase()] = part[2] !== undefined ? part[2].replace(/\\(.)/g, "$1") : part[3];
    consumed = re.lastIndex;
    if (consumed >= m[1].length) break;
  }
  if (consumed !== m[1].length) throw new Error(`unparsable challenge: ${header}`);
  return out;
}

export async function discover(server: RouteServer, identifier: string, family = "iPhone"): Promise<Response> {
  const q = new URLSearchParams({ "user-identifier": identifier, "model-family": family });
  return fetch(`${server.url}/.well-known/com.apple.remotemanagement?${q}`);
}

export async function enrollPost(server: RouteServer, baseUrl: string, opts: { token?: string; authorization?: string; body?: string | Uint8Array } = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/xml" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization) headers.authorization = opts.authorization;
  const body = opts.body ?? ENROLL_BODY;
  return fetch(local(server, baseUrl), { method: "POST", headers, body: typeof body === "string" ? body : Buffer.from(body) });
}

/** The access token from the final 308 of the simple method. */
export function tokenFromResultLocation(location: string | null): string {
  if (!location) throw new Error("no Location header");
  const u = new URL(location);
  if (u.protocol !== "apple-remotemanagement-user-login:") throw new Error(`wrong scheme: ${location}`);
  if (u.host !== "authentication-results") throw new Error(`wrong network location: ${location}`);
  const t = u.searchParams.get("access-token");
  if (!t) throw new Error(`no access-token in ${location}`);
  return t;
}

export function form(data: Record<string, string>): RequestInit {
  return { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(data).toString(), redirect: "manual" };
}

/** Reads the hidden inputs and form actions of the sign-in page (no DOM needed for our own markup). */
export function pageForms(html: string): { action: string; fields: Record<string, string> }[] {
  const forms: { action: string; fields: Record<string, string> }[] = [];
  for (const f of html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const i of f[2].matchAll(/<input([^>]*)>/g)) {
      const name = /name="([^"]+)"/.exec(i[1])?.[1];
      const value = /value="([^"]*)"/.exec(i[1])?.[1] ?? "";
      if (name) fields[name] = value.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
    }
    forms.push({ action: f[1], fields });
  }
  return forms;
}
