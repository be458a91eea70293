// Admin management rules (lib/auth/admins.ts): role changes, disabling, and the server never
// losing its last active Owner.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { JWT } from "next-auth/jwt";
import type { Session } from "next-auth";
import { authOptions } from "@/lib/auth/options";
import { createAdmin, findAdminById, listAdmins, setAdminDisabled, setAdminRole, verifyAdminPassword } from "@/lib/auth/admins";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());

describe("admin management", () => {
  it("lists admins with role, sign-in kind, last sign-in and disabled", async () => {
    const owner = await createAdmin({ email: "owner@example.com", name: "Olive", password: "owner password long", role: "OWNER" });
    await t.client.admin.create({ data: { email: "idp@example.com", role: "READ_ONLY", idpSubject: "sub-1", lastLoginAt: new Date("2026-11-01T10:00:00Z") } });
    await verifyAdminPassword("owner@example.com", "owner password long");
    const list = await listAdmins();
    expect(list.map((a) => a.email)).toEqual(["owner@example.com", "idp@example.com"]);
    expect(list[0]).toMatchObject({ id: owner.id, name: "Olive", role: "OWNER", localPassword: true, idpLinked: false, disabled: false });
    expect(list[0].lastLoginAt).toBeInstanceOf(Date);
    expect(list[1]).toMatchObject({ role: "READ_ONLY", localPassword: false, idpLinked: true, lastLoginAt: new Date("2026-11-01T10:00:00Z") });
    expect(JSON.stringify(list)).not.toContain("scrypt");
  });

  it("changes a role by id or email", async () => {
    const reader = await t.client.admin.findUniqueOrThrow({ where: { email: "idp@example.com" } });
    expect(await setAdminRole(reader.id, "ADMIN")).toMatchObject({ email: "idp@example.com", role: "ADMIN" });
    expect(await setAdminRole("IDP@example.com", "READ_ONLY")).toMatchObject({ role: "READ_ONLY" });
    expect((await findAdminById(reader.id))?.role).toBe("READ_ONLY");
    await expect(setAdminRole("nobody@example.com", "ADMIN")).rejects.toMatchObject({ status: 404 });
  });

  it("refuses to demote or disable the last active Owner", async () => {
    await expect(setAdminRole("owner@example.com", "ADMIN")).rejects.toMatchObject({ status: 409, code: "last_owner" });
    await expect(setAdminDisabled("owner@example.com", true)).rejects.toMatchObject({ status: 409, code: "last_owner" });
    // Nothing changed: the refused update was rolled back.
    expect(await t.client.admin.findUniqueOrThrow({ where: { email: "owner@example.com" } })).toMatchObject({ role: "OWNER", disabled: false });
  });

  it("a disabled Owner does not count; with a second active Owner the first can step down", async () => {
    const second = await createAdmin({ email: "second@example.com", password: "second password long", role: "OWNER" });
    await setAdminDisabled(second.id, true);
    await expect(setAdminRole("owner@example.com", "READ_ONLY")).rejects.toMatchObject({ code: "last_owner" });
    await setAdminDisabled(second.id, false);
    expect(await setAdminRole("owner@example.com", "ADMIN")).toMatchObject({ role: "ADMIN" });
    await expect(setAdminRole(second.id, "ADMIN")).rejects.toMatchObject({ code: "last_owner" });
    await setAdminRole("owner@example.com", "OWNER");
  });

  it("of two concurrent demotions of the last two Owners, at most one succeeds", async () => {
    const results = await Promise.allSettled([setAdminRole("owner@example.com", "ADMIN"), setAdminRole("second@example.com", "ADMIN")]);
    expect(results.filter((r) => r.status === "fulfilled").length).toBeLessThanOrEqual(1);
    expect(await t.client.admin.count({ where: { role: "OWNER", disabled: false } })).toBeGreaterThanOrEqual(1);
    await setAdminRole("owner@example.com", "OWNER");
    await setAdminRole("second@example.com", "OWNER");
  });

  it("a disabled admin cannot sign in and their session lookup fails at once; enabling restores both", async () => {
    const owner = await t.client.admin.findUniqueOrThrow({ where: { email: "owner@example.com" } });
    const second = await t.client.admin.findUniqueOrThrow({ where: { email: "second@example.com" } });
    await expect(setAdminDisabled(owner.id, true, owner.id)).rejects.toMatchObject({ code: "disable_self" });
    expect(await setAdminDisabled(second.id, true, owner.id)).toMatchObject({ disabled: true });
    expect(await findAdminById(second.id)).toBeNull();
    expect(await verifyAdminPassword("second@example.com", "second password long")).toBeNull();
    await setAdminDisabled(second.id, false, owner.id);
    expect(await findAdminById(second.id)).toMatchObject({ email: "second@example.com", role: "OWNER" });
    expect(await verifyAdminPassword("second@example.com", "second password long")).not.toBeNull();
  });

  it("an open session follows the database: a role change or disabling ends it on the next request", async () => {
    // The real next-auth callbacks that getServerSession runs on every request.
    const { jwt, session } = authOptions().callbacks!;
    const second = await t.client.admin.findUniqueOrThrow({ where: { email: "second@example.com" } });
    const request = async (token: JWT, user?: { id: string }) => {
      const next = (await jwt!({ token, trigger: user ? "signIn" : "update", account: null, user: user as never, session: undefined } as Parameters<NonNullable<typeof jwt>>[0])) as JWT;
      const s = (await session!({ session: { expires: "" } as Session, token: next, user: undefined as never, newSession: undefined, trigger: "update" } as Parameters<
        NonNullable<typeof session>
      >[0])) as Session;
      return { next, admin: s.admin };
    };
    const signIn = () => request({} as JWT, { id: second.id });
    let { next, admin } = await signIn();
    expect(admin).toMatchObject({ id: second.id, role: "OWNER" });
    // A token without a live server-side session is no session, whatever admin it names.
    expect((await request({ adminId: second.id } as JWT)).admin).toBeUndefined();
    await setAdminRole(second.id, "READ_ONLY");
    expect((await request(next)).admin).toBeUndefined();
    // Signing in again gives the new role.
    ({ next, admin } = await signIn());
    expect(admin?.role).toBe("READ_ONLY");
    // Setting the role it already has ends nothing.
    await setAdminRole(second.id, "READ_ONLY");
    expect((await request(next)).admin?.role).toBe("READ_ONLY");
    await setAdminDisabled(second.id, true);
    ({ next, admin } = await request(next));
    expect(admin).toBeUndefined();
    // Re-enabling does not revive a session that was already cut off.
    await setAdminDisabled(second.id, false);
    expect((await request(next)).admin).toBeUndefined();
  });
});
