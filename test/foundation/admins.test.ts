import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { bootstrapAdminFromEnv, setupFirstOwner, verifyAdminPassword } from "@/lib/auth/admins";
import { createApiKey, revokeApiKey, verifyApiKey } from "@/lib/auth/apiKeys";

describe("admin accounts", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t.close());

  it("one-time setup creates exactly one owner even when submitted twice at once", async () => {
    const results = await Promise.allSettled([
      setupFirstOwner({ email: "First@Example.com", password: "a long enough password" }),
      setupFirstOwner({ email: "second@example.com", password: "another long password" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const admins = await t.client.admin.findMany();
    expect(admins).toHaveLength(1);
    expect(admins[0].role).toBe("OWNER");
    expect(admins[0].passwordHash).toMatch(/^scrypt\$32768\$/);
    await expect(setupFirstOwner({ email: "late@example.com", password: "a long enough password" })).rejects.toThrow(/already/);
  });

  it("checks passwords and refuses weak ones", async () => {
    const [winner] = await t.client.admin.findMany();
    const password = winner.email === "first@example.com" ? "a long enough password" : "another long password";
    expect((await verifyAdminPassword(winner.email.toUpperCase(), password))?.id).toBe(winner.id);
    expect(await verifyAdminPassword(winner.email, "wrong password!!")).toBeNull();
    expect(await verifyAdminPassword("nobody@example.com", "a long enough password")).toBeNull();
    await expect(bootstrapAdminFromEnv("weak@example.com", "short")).rejects.toThrow(/12 characters/);
  });

  it("ADMIN_EMAIL bootstrap never overwrites an existing admin", async () => {
    const [winner] = await t.client.admin.findMany();
    expect(await bootstrapAdminFromEnv(winner.email, "a different password")).toBe("exists");
    expect(await bootstrapAdminFromEnv(null, null)).toBe("skipped");
  });

  it("API keys are shown once, stored hashed, and stop working when revoked", async () => {
    const { key } = await createApiKey("ci", "READ_ONLY");
    const row = await t.client.apiKey.findFirstOrThrow({ where: { name: "ci" } });
    expect(row.keyHash).not.toContain(key);
    expect(JSON.stringify(row)).not.toContain(key.split("_")[2]);
    expect(await verifyApiKey(key)).toMatchObject({ name: "ci", role: "READ_ONLY" });
    expect(await verifyApiKey(key.slice(0, -1) + (key.endsWith("A") ? "B" : "A"))).toBeNull();
    expect(await verifyApiKey("oek_garbage")).toBeNull();
    expect(await revokeApiKey("ci")).toBe(1);
    expect(await verifyApiKey(key)).toBeNull();
  });
});

describe("server keys on first start", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t.close());

  it("creates the JWT, CA and profile-signing keys, private keys sealed, and reuses them", async () => {
    const { ensureServerKeys } = await import("@/lib/serverKeysBootstrap");
    await ensureServerKeys();
    const rows = await t.client.serverKey.findMany({ orderBy: { name: "asc" } });
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows) {
      expect(r.encryptedKey).toMatch(/^v1\./);
      expect(r.encryptedKey).not.toContain("PRIVATE KEY");
    }
    const before = rows.map((r) => `${r.name}:${r.publicPem}`);
    await ensureServerKeys();
    const after = (await t.client.serverKey.findMany({ orderBy: { name: "asc" } })).map((r) => `${r.name}:${r.publicPem}`);
    expect(after).toEqual(before);
  });
});
