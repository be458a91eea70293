// The admin JSON API's gate, an edge helper (it reads the Request's headers and the session
// cookie): an API key (Authorization: Bearer oek_…) or an admin session cookie. Reads need
// Read-only, changes need Admin unless a route says otherwise. Cookie-authenticated changes
// must come from our own origin (CSRF).
import { getServerSession } from "next-auth";
import { config } from "@/lib/config";
import { AppError, forbidden, unauthorized } from "@/lib/errors";
import { remoteAddress } from "@/lib/http/remote";
import { errorResponse } from "@/lib/http/respond";
import { verifyApiKey } from "@/lib/auth/apiKeys";
import { audit } from "@/lib/auth/audit";
import { authOptions } from "@/lib/auth/options";
import { hasRole, type Role } from "@/lib/auth/roles";

export interface ApiCaller {
  kind: "api-key" | "session";
  id: string;
  name: string;
  role: Role;
}

type Ctx<P> = { params: Promise<P> };
type Handler<P> = (request: Request, caller: ApiCaller, ctx: Ctx<P>) => Promise<Response>;

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (!origin) return request.headers.get("sec-fetch-site") === "same-origin";
  const allowed = new Set([new URL(config().publicUrl).origin]);
  const host = request.headers.get("host");
  if (host) allowed.add(`${new URL(request.url).protocol}//${host}`);
  return allowed.has(origin);
}

export async function authenticateApi(request: Request): Promise<ApiCaller> {
  const header = request.headers.get("authorization");
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const key = m ? await verifyApiKey(m[1]) : null;
    if (!key) throw unauthorized("invalid API key", { "WWW-Authenticate": 'Bearer realm="api", error="invalid_token"' });
    return { kind: "api-key", id: key.id, name: key.name, role: key.role };
  }
  const session = await getServerSession(authOptions());
  if (!session?.admin) throw unauthorized("sign in or send an API key", { "WWW-Authenticate": 'Bearer realm="api"' });
  if (!SAFE.has(request.method) && !sameOrigin(request)) throw forbidden("cross-site request refused");
  return { kind: "session", id: session.admin.id, name: session.admin.email, role: session.admin.role };
}

export function withAdminApi<P = Record<string, string>>(handler: Handler<P>, opts: { role?: Role } = {}) {
  return async (request: Request, ctx: Ctx<P>): Promise<Response> => {
    let caller: ApiCaller | null = null;
    try {
      caller = await authenticateApi(request);
      const needed = opts.role ?? (SAFE.has(request.method) ? "READ_ONLY" : "ADMIN");
      if (!hasRole(caller.role, needed)) throw new AppError(403, "forbidden", `this action needs the ${needed} role`);
      const response = await handler(request, caller, ctx);
      await audit({ actor: `${caller.kind}:${caller.name}`, action: `${request.method} ${new URL(request.url).pathname}`, detail: String(response.status), remoteAddr: remoteAddress(request) });
      return response;
    } catch (err) {
      if (caller) {
        await audit({
          actor: `${caller.kind}:${caller.name}`,
          action: `${request.method} ${new URL(request.url).pathname}`,
          detail: err instanceof AppError ? String(err.status) : "500",
          remoteAddr: remoteAddress(request),
        });
      }
      return errorResponse(err);
    }
  };
}
