// A test client that behaves like an iPhone doing account-driven enrollment (seed 003),
// against the real route handlers served over HTTP. URLs the server hands out name
// PUBLIC_URL (https://mdm.example.test); the client sends them to the test server instead.
import { serveRouteImports, type RouteImports, type RouteServer } from "../helpers/routeServer";

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

/** Everything an account-driven enrollment touches, device side and admin API. */
export function addeRoutes(): RouteImports {
  return {
    "/.well-known/com.apple.remotemanagement": import("@/app/.well-known/com.apple.remotemanagement/route"),
    "/adde/[mode]": import("@/app/adde/[mode]/route"),
    "/authenticate/start": import("@/app/authenticate/start/route"),
    "/authenticate/local": import("@/app/authenticate/local/route"),
    "/authenticate/callback": import("@/app/authenticate/callback/route"),
    "/oauth2/authorize": import("@/app/oauth2/authorize/route"),
    "/oauth2/token": import("@/app/oauth2/token/route"),
    "/esso": import("@/app/esso/route"),
    "/api/v1/adde/routes": import("@/app/api/v1/adde/routes/route"),
    "/api/v1/adde/routes/[id]": import("@/app/api/v1/adde/routes/[id]/route"),
    "/api/v1/adde/settings": import("@/app/api/v1/adde/settings/route"),
    "/api/v1/adde/esso": import("@/app/api/v1/adde/esso/route"),
    "/api/v1/users/[identifier]": import("@/app/api/v1/users/[identifier]/route"),
    "/api/v1/users/[identifier]/revoke-tokens": import("@/app/api/v1/users/[identifier]/revoke-tokens/route"),
  };
}

export async function startAddeServer(): Promise<RouteServer> {
  return serveRouteImports(addeRoutes());
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
  let consumed = 0;
  for (let part = re.exec(m[1]); part !== null; part = re.exec(m[1])) {
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
      if (name)
        fields[name] = value
          .replace(/&amp;/g, "&")
          .replace(/&quot;/g, '"')
          .replace(/&#x27;|&#39;/g, "'")
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">");
    }
    forms.push({ action: f[1], fields });
  }
  return forms;
}
