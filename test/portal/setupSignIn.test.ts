// After /setup the owner is signed in with a cookie minted on the server. next-auth's own
// decoder and the session callbacks must read it as the owner, like a cookie from sign-in.
import { decode } from "next-auth/jwt";
import type { Session } from "next-auth";
import type { JWT } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { setupFirstOwner } from "@/lib/auth/admins";
import { authOptions } from "@/lib/auth/options";
import { nextAuthSecret } from "@/lib/auth/secret";
import { adminSessionCookie, sessionCookieName } from "@/lib/auth/sessionCookie";
import { InputError } from "@/lib/errors";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());

describe("signed in after setup", () => {
  it("refuses a weak password and a bad email naming the field", async () => {
    await expect(setupFirstOwner({ email: "owner@example.org", password: "short" })).rejects.toSatisfy((e) => e instanceof InputError && "password" in e.fields);
    await expect(setupFirstOwner({ email: "not-an-email", password: "a very good password" })).rejects.toSatisfy((e) => e instanceof InputError && "email" in e.fields);
  });

  it("mints a session cookie next-auth reads as the new owner", async () => {
    const owner = await setupFirstOwner({ email: "Owner@Example.org", name: "Owner", password: "a very good password" });
    const cookie = await adminSessionCookie(owner);
    // The unit environment's PUBLIC_URL is https: the browser only keeps __Secure- cookies with Secure.
    expect(cookie.name).toBe("__Secure-next-auth.session-token");
    expect(cookie.options).toMatchObject({ httpOnly: true, secure: true, sameSite: "lax", path: "/" });
    const token = await decode({ token: cookie.value, secret: nextAuthSecret() });
    expect(token).not.toBeNull();
    const cb = authOptions().callbacks!;
    const refreshed = (await cb.jwt!({ token: token as JWT, user: undefined as never, account: null, trigger: "update" })) as JWT;
    const session = (await cb.session!({ session: { expires: "" } as Session, token: refreshed, user: undefined as never, newSession: undefined, trigger: "update" })) as Session;
    expect(session.admin).toEqual({ id: owner.id, email: "owner@example.org", name: "Owner", role: "OWNER" });
  });

  it("uses next-auth's plain cookie name for an http server", () => {
    expect(sessionCookieName("http://localhost:3000")).toEqual({ name: "next-auth.session-token", secure: false });
  });
});
