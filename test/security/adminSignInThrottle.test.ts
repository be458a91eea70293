// Brute force on the admin password sign-in (next-auth credentials provider): after
// ADMIN_SIGNIN_MAX_FAILURES wrong passwords for an email, even the right one is refused for a while.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { createAdmin } from "@/lib/auth/admins";
import { ADMIN_SIGNIN_MAX_FAILURES, ADMIN_SIGNIN_MAX_FAILURES_PER_ADDRESS, TOO_MANY_ATTEMPTS, authOptions } from "@/lib/auth/options";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());

type Authorize = (c: Record<string, string>, req: unknown) => Promise<{ id: string } | null>;
function authorize(): Authorize {
  const provider = authOptions().providers.find((p) => p.id === "credentials") as unknown as { options: { authorize: Authorize } };
  return provider.options.authorize;
}

describe("admin password sign-in throttle", () => {
  it("refuses an email after repeated wrong passwords, right password included; other emails unaffected", async () => {
    await createAdmin({ email: "target@example.com", password: "the right password", role: "OWNER" });
    await createAdmin({ email: "other@example.com", password: "other right password", role: "ADMIN" });
    const auth = authorize();
    for (let i = 0; i < ADMIN_SIGNIN_MAX_FAILURES; i++) {
      expect(await auth({ email: "target@example.com", password: `guess ${i} long enough` }, {})).toBeNull();
    }
    await expect(auth({ email: "TARGET@example.com", password: "the right password" }, {})).rejects.toThrow(TOO_MANY_ATTEMPTS);
    expect(await auth({ email: "other@example.com", password: "other right password" }, {})).toMatchObject({ email: "other@example.com" });
  });

  it("a success before the limit clears the count", async () => {
    await createAdmin({ email: "typo@example.com", password: "typo right password", role: "ADMIN" });
    const auth = authorize();
    for (let i = 0; i < ADMIN_SIGNIN_MAX_FAILURES - 1; i++) await auth({ email: "typo@example.com", password: "nope nope nope" }, {});
    expect(await auth({ email: "typo@example.com", password: "typo right password" }, {})).not.toBeNull();
    expect(await auth({ email: "typo@example.com", password: "nope nope nope" }, {})).toBeNull();
    expect(await auth({ email: "typo@example.com", password: "typo right password" }, {})).not.toBeNull();
  });
});

describe("admin password sign-in throttle per client address", () => {
  it("stops password spraying over many emails from one address, not other addresses", async () => {
    await createAdmin({ email: "sprayed@example.com", password: "sprayed right password", role: "ADMIN" });
    const auth = authorize();
    const from = (peer: string) => ({ headers: { "x-enroll-peer": peer } });
    for (let i = 0; i < ADMIN_SIGNIN_MAX_FAILURES_PER_ADDRESS; i++) {
      expect(await auth({ email: `user${i}@example.com`, password: "Summer2026!!" }, from("203.0.113.9"))).toBeNull();
    }
    await expect(auth({ email: "sprayed@example.com", password: "sprayed right password" }, from("203.0.113.9"))).rejects.toThrow(TOO_MANY_ATTEMPTS);
    expect(await auth({ email: "sprayed@example.com", password: "sprayed right password" }, from("198.51.100.7"))).not.toBeNull();
  });
});

describe("admin password sign-in throttle per (email, address) pair", () => {
  it("ten wrong passwords from one address do not lock the admin out from another address", async () => {
    await createAdmin({ email: "owner2@example.com", password: "owner2 right password", role: "OWNER" });
    const auth = authorize();
    const from = (peer: string) => ({ headers: { "x-enroll-peer": peer } });
    for (let i = 0; i < ADMIN_SIGNIN_MAX_FAILURES; i++) expect(await auth({ email: "owner2@example.com", password: `guess ${i} long enough` }, from("203.0.113.50"))).toBeNull();
    await expect(auth({ email: "owner2@example.com", password: "owner2 right password" }, from("203.0.113.50"))).rejects.toThrow(TOO_MANY_ATTEMPTS);
    expect(await auth({ email: "owner2@example.com", password: "owner2 right password" }, from("198.51.100.50"))).toMatchObject({ email: "owner2@example.com" });
  });
});
