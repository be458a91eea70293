// Signing out ends the session on the server: a copy of the session cookie taken before
// sign-out (the real next-auth JWT, decoded and checked by the real callbacks) is refused
// afterwards, while the admin's other sessions stay. Expired sessions are pruned.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode, type JWT } from "next-auth/jwt";
import type { Session } from "next-auth";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { authOptions } from "@/lib/auth/options";
import { createAdmin } from "@/lib/auth/admins";
import { pruneAdminSessions } from "@/lib/auth/adminSessions";
import { adminSessionCookie } from "@/lib/auth/sessionCookie";
import { nextAuthSecret } from "@/lib/auth/secret";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());

/** What getServerSession does with a cookie: decode it, run the jwt and session callbacks. */
async function sessionFromCookie(cookie: string): Promise<Session["admin"]> {
  const token = await decode({ token: cookie, secret: nextAuthSecret() });
  if (!token) return undefined;
  const { jwt, session } = authOptions().callbacks!;
  const next = (await jwt!({ token, trigger: "update", account: null, user: undefined as never, session: undefined } as Parameters<NonNullable<typeof jwt>>[0])) as JWT;
  const s = (await session!({ session: { expires: "" } as Session, token: next, user: undefined as never, newSession: undefined, trigger: "update" } as Parameters<
    NonNullable<typeof session>
  >[0])) as Session;
  return s.admin;
}

async function signOut(cookie: string): Promise<void> {
  const token = await decode({ token: cookie, secret: nextAuthSecret() });
  await authOptions().events!.signOut!({ token: token!, session: null as never });
}

describe("sign-out", () => {
  it("a copied cookie stops working after sign-out; another session of the same admin does not", async () => {
    const admin = await createAdmin({ email: "ann@example.com", password: "a long enough password", role: "ADMIN" });
    const laptop = (await adminSessionCookie(admin)).value;
    const phone = (await adminSessionCookie(admin)).value;
    const copied = laptop; // e.g. lifted from the laptop's browser before sign-out
    expect(await sessionFromCookie(copied)).toMatchObject({ id: admin.id, role: "ADMIN" });
    await signOut(laptop);
    expect(await sessionFromCookie(copied)).toBeUndefined();
    expect(await sessionFromCookie(phone)).toMatchObject({ id: admin.id });
  });

  it("a cookie signed with the right secret but naming no session (forged or from before sessions) is refused", async () => {
    const admin = await createAdmin({ email: "bob@example.com", password: "a long enough password", role: "OWNER" });
    const { encode } = await import("next-auth/jwt");
    const noSid = await encode({ token: { sub: admin.id, adminId: admin.id, role: "OWNER" }, secret: nextAuthSecret() });
    const madeUp = await encode({ token: { sub: admin.id, adminId: admin.id, sid: "not-a-session", role: "OWNER" }, secret: nextAuthSecret() });
    expect(await sessionFromCookie(noSid)).toBeUndefined();
    expect(await sessionFromCookie(madeUp)).toBeUndefined();
    // Another admin's session id does not open this admin's account.
    const carol = await createAdmin({ email: "carol@example.com", password: "a long enough password", role: "READ_ONLY" });
    const carolSid = (await decode({ token: (await adminSessionCookie(carol)).value, secret: nextAuthSecret() }))!.sid;
    const mixed = await encode({ token: { sub: admin.id, adminId: admin.id, sid: carolSid, role: "OWNER" }, secret: nextAuthSecret() });
    expect(await sessionFromCookie(mixed)).toBeUndefined();
  });

  it("expired sessions are refused and pruned", async () => {
    const admin = await createAdmin({ email: "dan@example.com", password: "a long enough password", role: "ADMIN" });
    const cookie = (await adminSessionCookie(admin)).value;
    const sid = (await decode({ token: cookie, secret: nextAuthSecret() }))!.sid as string;
    await t.client.adminSession.update({ where: { id: sid }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await sessionFromCookie(cookie)).toBeUndefined();
    expect(await pruneAdminSessions()).toBeGreaterThanOrEqual(1);
    expect(await t.client.adminSession.findUnique({ where: { id: sid } })).toBeNull();
  });
});
