// Password spraying on the enrollment local sign-in (/authenticate/local): the per-identifier
// lockout does not stop one address trying one password on many accounts; this does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { putUser } from "@/lib/enrollment/users";
import { createRoute } from "@/lib/enrollment/routes";
import { LOCAL_MAX_FAILURES, LOCAL_MAX_FAILURES_PER_ADDRESS, localSignIn } from "@/lib/enrollment/userSignIn";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
  await createRoute({ domain: "example.com", version: "mdm-byod", position: 1 });
  await putUser("victim@example.com", { password: "victim-password-1" });
});
afterAll(async () => t?.close());

const errorOf = (r: Awaited<ReturnType<typeof localSignIn>>) => (r.kind === "redirect" ? new URL(r.location).searchParams.get("error") : null);

describe("local enrollment sign-in, per-address limit", () => {
  it("refuses an address after many failures over different identifiers, right password included; other addresses unaffected", async () => {
    for (let i = 0; i < LOCAL_MAX_FAILURES_PER_ADDRESS; i++) {
      expect(errorOf(await localSignIn({ identifier: `user${i}@example.com`, mode: "byod", password: "Winter2026!", remoteAddr: "203.0.113.5" }))).toBe("invalid_credentials");
    }
    const blocked = await localSignIn({ identifier: "victim@example.com", mode: "byod", password: "victim-password-1", remoteAddr: "203.0.113.5" });
    expect(errorOf(blocked)).toBe("too_many_attempts");
    const line = await t.client.enrollmentLog.findFirst({ where: { step: "adde.signin", message: { contains: "from this address" } } });
    expect(line?.remoteAddr).toBe("203.0.113.5");
    const elsewhere = await localSignIn({ identifier: "victim@example.com", mode: "byod", password: "victim-password-1", remoteAddr: "198.51.100.2" });
    expect(errorOf(elsewhere)).toBeNull();
    expect(elsewhere.kind).toBe("redirect");
  });
});

describe("local enrollment sign-in, lockouts end and stay per address", () => {
  it("refused tries do not count as failures, and the owner signs in from an address that never failed", async () => {
    await putUser("owner@example.com", { password: "owner-password-1" });
    for (let i = 0; i < LOCAL_MAX_FAILURES; i++) {
      expect(errorOf(await localSignIn({ identifier: "owner@example.com", mode: "byod", password: `guess-${i}`, remoteAddr: "192.0.2.44" }))).toBe("invalid_credentials");
    }
    const counted = async () => (await t.client.rateCounter.findMany({ where: { key: { contains: "owner@example.com" } } })).map((r) => r.count);
    const before = await counted();
    for (let i = 0; i < 5; i++) {
      expect(errorOf(await localSignIn({ identifier: "owner@example.com", mode: "byod", password: "owner-password-1", remoteAddr: "192.0.2.44" }))).toBe("too_many_attempts");
    }
    // The window is not pushed on by the refusals: the counts (and so the lockout's end) stay.
    expect(await counted()).toEqual(before);
    const elsewhere = await localSignIn({ identifier: "owner@example.com", mode: "byod", password: "owner-password-1", remoteAddr: "198.51.100.44" });
    expect(errorOf(elsewhere)).toBeNull();
  });
});
