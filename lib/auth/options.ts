// next-auth configuration: local credentials (break-glass) and a generic OIDC provider
// for the organisation's IdP. Sessions are short JWT cookies naming a server-side session
// (lib/auth/adminSessions.ts) checked on every use, so signing out, a disabled admin or a
// role change ends them at once.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { config } from "../config";
import { verifyAdminPassword } from "./admins";
import { endAdminSession, sessionAdmin, startAdminSession } from "./adminSessions";
import { sameOriginRedirect } from "./callbackUrl";
import { admitIdpUser } from "./oidcAdmins";
import { isRole } from "./roles";
import { nextAuthSecret } from "./secret";
import { SignInLimiter } from "../http/failureLimiter";
import { remoteAddressFromHeaders } from "../http/remote";
import { log } from "../log/logger";

export const OIDC_PROVIDER_ID = "oidc";
/** How long an admin session lasts (next-auth's JWT and cookie). */
export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

/**
 * Failed password sign-ins per admin email before further tries are refused for 15 minutes:
 * from the address that failed them, or from any address once the email reaches it from many.
 */
export const ADMIN_SIGNIN_MAX_FAILURES = 10;
/** Error code the sign-in page shows as "too many attempts" (next-auth passes a thrown message on). */
export const TOO_MANY_ATTEMPTS = "TooManyAttempts";
/** Failed password sign-ins per client address, whatever the email (password spraying). */
export const ADMIN_SIGNIN_MAX_FAILURES_PER_ADDRESS = 30;
export const adminSignInLimiter = new SignInLimiter("admin-signin", {
  perPair: ADMIN_SIGNIN_MAX_FAILURES,
  perAccount: ADMIN_SIGNIN_MAX_FAILURES,
  perAddress: ADMIN_SIGNIN_MAX_FAILURES_PER_ADDRESS,
  windowMs: 15 * 60_000,
});

function headersOf(req: { headers?: Record<string, unknown> } | undefined): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req?.headers ?? {})) if (typeof v === "string") h.set(k, v);
  return h;
}

export function authOptions(): NextAuthOptions {
  const cfg = config();
  const providers: NextAuthOptions["providers"] = [
    CredentialsProvider({
      id: "credentials",
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        if (!credentials?.email || !credentials.password) return null;
        const key = credentials.email.trim().toLowerCase().slice(0, 320);
        const address = remoteAddressFromHeaders(headersOf(req));
        // Checked before the password, so a locked account does not even confirm a right guess.
        if ((await adminSignInLimiter.check(key, address)).blocked) throw new Error(TOO_MANY_ATTEMPTS);
        const admin = await verifyAdminPassword(credentials.email, credentials.password);
        if (!admin) {
          await adminSignInLimiter.fail(key, address);
          log.warn("admin sign-in failed", { email: key, remoteAddr: address });
          return null;
        }
        await adminSignInLimiter.succeed(key, address);
        return { id: admin.id, email: admin.email, name: admin.name, role: admin.role };
      },
    }),
  ];
  if (cfg.adminOidc) {
    const o = cfg.adminOidc;
    providers.push({
      id: OIDC_PROVIDER_ID,
      name: o.name,
      type: "oauth",
      wellKnown: `${o.issuer}/.well-known/openid-configuration`,
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      authorization: { params: { scope: process.env.OIDC_SCOPE ?? "openid email profile" } },
      idToken: true,
      checks: ["pkce", "state", "nonce"],
      profile(p: Record<string, unknown>) {
        return {
          id: String(p.sub),
          email: typeof p.email === "string" ? p.email : null,
          name: typeof p.name === "string" ? p.name : null,
          groups: p[process.env.OIDC_GROUPS_CLAIM ?? "groups"],
        };
      },
    });
  }
  return {
    secret: nextAuthSecret(),
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/signin", error: "/signin" },
    providers,
    events: {
      // The cookie is cleared in the browser; deleting its session makes every copy of it worthless too.
      async signOut({ token }) {
        if (typeof token?.sid === "string") await endAdminSession(token.sid);
      },
    },
    callbacks: {
      redirect: sameOriginRedirect,
      async signIn({ user, account }) {
        if (account?.provider !== OIDC_PROVIDER_ID) return true;
        const admitted = await admitIdpUser({
          sub: user.id,
          email: user.email,
          name: user.name,
          groups: (user as { groups?: unknown }).groups,
        });
        if (!admitted) return "/signin?error=AccessDenied";
        (user as { adminId?: string }).adminId = admitted.id;
        return true;
      },
      async jwt({ token, user }) {
        if (user) {
          const adminId = (user as { adminId?: string }).adminId ?? user.id;
          token.adminId = adminId;
          token.sid = await startAdminSession(adminId, SESSION_MAX_AGE_SECONDS);
        }
        if (typeof token.adminId === "string") {
          // A cookie without a live session (signed out, role changed, disabled, or minted before sessions) is no session.
          const admin = typeof token.sid === "string" ? await sessionAdmin(token.sid) : null;
          if (!admin || admin.id !== token.adminId) return { ...token, adminId: undefined, role: undefined, sid: undefined };
          token.role = admin.role;
          token.email = admin.email;
          token.name = admin.name;
        }
        return token;
      },
      async session({ session, token }) {
        if (typeof token.adminId === "string" && isRole(token.role)) {
          session.admin = { id: token.adminId, email: String(token.email ?? ""), name: (token.name as string | null) ?? null, role: token.role };
        }
        return session;
      },
    },
  };
}
