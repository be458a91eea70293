// A next-auth session cookie minted on the server, for the one moment an admin proves who
// they are outside next-auth's own sign-in: creating the first owner on /setup. It holds
// what next-auth's jwt callback (lib/auth/options.ts) keeps, so it is read like any other.
import { encode } from "next-auth/jwt";
import { config } from "../config";
import type { AdminIdentity } from "./admins";
import { startAdminSession } from "./adminSessions";
import { SESSION_MAX_AGE_SECONDS } from "./options";
import { nextAuthSecret } from "./secret";

export interface SessionCookie {
  name: string;
  value: string;
  options: { httpOnly: true; sameSite: "lax"; path: "/"; secure: boolean; maxAge: number };
}

/** next-auth's cookie name: "__Secure-" prefixed when the server's URL is https (as next-auth decides). */
export function sessionCookieName(publicUrl = process.env.NEXTAUTH_URL || config().publicUrl): { name: string; secure: boolean } {
  const secure = publicUrl.startsWith("https://");
  return { name: `${secure ? "__Secure-" : ""}next-auth.session-token`, secure };
}

export async function adminSessionCookie(admin: AdminIdentity): Promise<SessionCookie> {
  const { name, secure } = sessionCookieName();
  const sid = await startAdminSession(admin.id, SESSION_MAX_AGE_SECONDS);
  const value = await encode({
    token: { sub: admin.id, adminId: admin.id, sid, email: admin.email, name: admin.name, role: admin.role },
    secret: nextAuthSecret(),
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
  return { name, value, options: { httpOnly: true, sameSite: "lax", path: "/", secure, maxAge: SESSION_MAX_AGE_SECONDS } };
}
