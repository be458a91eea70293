import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../helpers/db";
import { issueAccessToken, revokeUserTokens, verifyAccessToken, newToken } from "@/lib/enrollment/accessTokens";
import { db } from "@/lib/db/client";
import { sha256Hex } from "@/lib/secrets/hash";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.close();
});

async function user(identifier: string) {
  return db().user.create({ data: { identifier } });
}

describe("issueAccessToken", () => {
  it("prunes the user's tokens that expired more than a week ago", async () => {
    const u = await user("pruned@example.com");
    const old = await issueAccessToken(u.id, "mdm-byod", { ttlSeconds: -8 * 24 * 3600 });
    const recent = await issueAccessToken(u.id, "mdm-byod", { ttlSeconds: -3600 });
    await issueAccessToken(u.id, "mdm-byod");
    const hashes = (await db().accessToken.findMany({ where: { userId: u.id } })).map((r) => r.hash);
    expect(hashes).not.toContain(sha256Hex(old));
    expect(hashes).toContain(sha256Hex(recent));
    expect(hashes).toHaveLength(2);
  });
});

describe("verifyAccessToken", () => {
  it("accepts an issued token and reports its user and version; stores only the hash", async () => {
    const u = await user("alice@example.com");
    const token = await issueAccessToken(u.id, "mdm-adde");
    expect(await verifyAccessToken(token)).toEqual({ ok: true, userId: u.id, userIdentifier: "alice@example.com", version: "mdm-adde" });
    const row = await db().accessToken.findFirstOrThrow({ where: { userId: u.id } });
    expect(row.hash).toBe(sha256Hex(token));
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it("rejects malformed, unknown, expired and non-access tokens with distinct reasons", async () => {
    const u = await user("bob@example.com");
    expect(await verifyAccessToken("")).toEqual({ ok: false, reason: "access_token_malformed" });
    expect(await verifyAccessToken("eyJhbGciOiJIUzI1NiJ9.e30.x")).toEqual({ ok: false, reason: "access_token_malformed" });
    expect(await verifyAccessToken(newToken("ACCESS"))).toEqual({ ok: false, reason: "access_token_invalid" });
    const expired = await issueAccessToken(u.id, "mdm-byod", { ttlSeconds: -1 });
    expect(await verifyAccessToken(expired)).toEqual({ ok: false, reason: "access_token_expired" });
    const refresh = newToken("REFRESH");
    await db().accessToken.create({ data: { kind: "REFRESH", hash: sha256Hex(refresh), userId: u.id, version: "mdm-byod", expiresAt: new Date(Date.now() + 60_000) } });
    expect((await verifyAccessToken(refresh)).ok).toBe(false);
  });

  it("rejects tokens after the admin revokes the user's tokens, and accepts ones issued later", async () => {
    const u = await user("carol@example.com");
    const before = await issueAccessToken(u.id, "mdm-byod");
    expect((await verifyAccessToken(before)).ok).toBe(true);
    expect(await revokeUserTokens("Carol@Example.com")).toBe(true);
    expect(await verifyAccessToken(before)).toEqual({ ok: false, reason: "tokens_revoked_by_admin" });
    await new Promise((r) => setTimeout(r, 5));
    const after = await issueAccessToken(u.id, "mdm-byod");
    expect((await verifyAccessToken(after)).ok).toBe(true);
    expect(await revokeUserTokens("nobody@example.com")).toBe(false);
    const line = await db().enrollmentLog.findFirst({ where: { userIdentifier: "carol@example.com", reason: "tokens_revoked_by_admin" } });
    expect(line).not.toBeNull();
  });
});
