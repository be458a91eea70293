// Portal server actions refuse Read-only admins on the server (not only by hiding buttons),
// turn typed errors into a message, and leave an audit line either way.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { badRequest } from "@/lib/errors";
import type { SessionAdmin } from "@/app/_lib/session";
import type { Role } from "@/lib/auth/roles";

let current: SessionAdmin | null = null;
vi.mock("@/app/_lib/session", async () => {
  const { hasRole } = await import("@/lib/auth/roles");
  return {
    requireAdmin: async (role: Role = "READ_ONLY") => {
      if (!current) throw new Error("NEXT_REDIRECT");
      if (!hasRole(current.role, role)) throw new Error("Your role does not allow this action.");
      return current;
    },
    currentAdmin: async () => current,
    canWrite: (a: SessionAdmin) => hasRole(a.role, "ADMIN"),
  };
});
vi.mock("next/navigation", () => ({
  unstable_rethrow: (err: unknown) => {
    if (err instanceof Error && err.message === "NEXT_REDIRECT") throw err;
  },
}));

const { adminAction, OWNER_REFUSAL, READ_ONLY_REFUSAL } = await import("@/app/admin/_lib/action");

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());
beforeEach(() => {
  current = null;
});

describe("adminAction", () => {
  it("refuses a Read-only admin without running the change", async () => {
    current = { id: "r", email: "reader@example.com", name: null, role: "READ_ONLY" };
    const change = vi.fn(async () => ({ ok: "changed" }));
    const result = await adminAction({ action: "group.create", target: "x" }, change);
    expect(result).toEqual({ error: READ_ONLY_REFUSAL });
    expect(result.error).toMatch(/403/);
    expect(change).not.toHaveBeenCalled();
    expect(await t.client.auditLog.findFirst({ where: { action: "group.create", target: "x" } })).toMatchObject({ actor: "session:reader@example.com", detail: "403 refused: role READ_ONLY" });
  });

  it("refuses an Admin where the Owner role is asked for, and audits the attempt", async () => {
    current = { id: "a", email: "admin@example.com", name: null, role: "ADMIN" };
    const change = vi.fn(async () => ({ ok: "changed" }));
    expect(await adminAction({ action: "admin.set-role", target: "r@example.com", role: "OWNER" }, change)).toEqual({ error: OWNER_REFUSAL });
    expect(change).not.toHaveBeenCalled();
    expect(await t.client.auditLog.findFirst({ where: { action: "admin.set-role" } })).toMatchObject({ actor: "session:admin@example.com", detail: "403 refused: role ADMIN" });
    current = { id: "o", email: "owner@example.com", name: null, role: "OWNER" };
    expect((await adminAction({ action: "admin.set-role", target: "r@example.com", role: "OWNER" }, change)).ok).toBe("changed");
  });

  it("runs the change for an Admin and audits it", async () => {
    current = { id: "a", email: "admin@example.com", name: null, role: "ADMIN" };
    const result = await adminAction({ action: "group.create", target: "Sales" }, async () => ({ ok: "Created." }));
    expect(result.ok).toBe("Created.");
    expect(result.done).toBeTypeOf("number");
    const line = await t.client.auditLog.findFirst({ where: { action: "group.create", target: "Sales" } });
    expect(line).toMatchObject({ actor: "session:admin@example.com", detail: "ok" });
  });

  it("shows a typed error's message and audits it", async () => {
    current = { id: "a", email: "admin@example.com", name: null, role: "OWNER" };
    const result = await adminAction({ action: "policy.add-profile", target: "g1" }, async () => {
      throw badRequest("invalid_policy", "profile does not match Apple's schema: allowCamera: expected boolean");
    });
    expect(result).toEqual({ error: "profile does not match Apple's schema: allowCamera: expected boolean" });
    expect(await t.client.auditLog.findFirst({ where: { action: "policy.add-profile" } })).toMatchObject({ detail: "400 invalid_policy" });
  });

  it("hides unexpected errors behind a generic message", async () => {
    current = { id: "a", email: "admin@example.com", name: null, role: "ADMIN" };
    const result = await adminAction({ action: "x" }, async () => {
      throw new Error("database password is hunter2");
    });
    expect(result.error).toMatch(/^Something went wrong/);
    expect(result.error).not.toContain("hunter2");
  });

  it("lets the sign-in redirect through when the session has ended", async () => {
    await expect(adminAction({ action: "x" }, async () => ({ ok: "no" }))).rejects.toThrow("NEXT_REDIRECT");
  });
});
