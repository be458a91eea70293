// Enrollment tokens: claims, every rejection reason, and the atomic use count.
import crypto from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { SignJWT, decodeJwt, decodeProtectedHeader, importPKCS8 } from "jose";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { consumeEnrollmentUse, createEnrollmentToken, ENROLLMENT_JWT_TYP, listEnrollmentTokens, parseTokenInput, revokeEnrollmentToken, verifyEnrollmentToken } from "@/lib/enrollment/tokens";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.close();
});
afterEach(() => {
  vi.useRealTimers();
});

function foreignEcKey() {
  const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  return importPKCS8(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "ES256");
}

describe("enrollment tokens", () => {
  it("carries seed 000's claims and a URL pointing at /enroll", async () => {
    const group = await t.client.deviceGroup.create({ data: { name: "Engineering" } });
    const { id, jwt, url } = await createEnrollmentToken({ name: "Engineering BYOD", expiresIn: "7d", groupId: group.id, maxUses: 100 }, "admin@example.com");
    expect(url).toBe(`https://mdm.example.test/enroll?token=${jwt}`);
    const header = decodeProtectedHeader(jwt);
    expect(header).toMatchObject({ alg: "ES256", typ: ENROLLMENT_JWT_TYP });
    const claims = decodeJwt(jwt);
    expect(claims).toMatchObject({ name: "Engineering BYOD", group_id: group.id, max_uses: 100, jti: id });
    expect(typeof claims.sub).toBe("string");
    expect(claims.exp! - claims.iat!).toBe(7 * 24 * 3600);
    expect(claims.scep_profile).toBeUndefined();

    const verdict = await verifyEnrollmentToken(jwt);
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(verdict.token.groupId).toBe(group.id);

    const [row] = (await listEnrollmentTokens({ withLinks: true })).filter((r) => r.id === id);
    expect(row).toMatchObject({ name: "Engineering BYOD", groupName: "Engineering", maxUses: 100, useCount: 0, status: "active", url });
    // Sealed at rest: the stored column is not the JWT.
    const stored = await t.client.enrollmentToken.findUniqueOrThrow({ where: { id } });
    expect(stored.jwtEnc).not.toContain(jwt.split(".")[1]);
  });

  it("never-expiring tokens have no exp claim", async () => {
    const { jwt } = await createEnrollmentToken({ name: "Kiosk", expiresIn: "never" });
    expect(decodeJwt(jwt).exp).toBeUndefined();
    expect((await verifyEnrollmentToken(jwt)).ok).toBe(true);
  });

  it("validates input with a clear message", async () => {
    expect(() => parseTokenInput({ name: "", expiresIn: "7d" })).toThrow(/name/);
    expect(() => parseTokenInput({ name: "x", expiresIn: "8d" })).toThrow(/expiresIn/);
    expect(() => parseTokenInput({ name: "x", expiresIn: "7d", maxUses: -1 })).toThrow(/maxUses/);
    expect(parseTokenInput({ name: "x", expiresIn: { at: "2030-01-01T00:00:00Z" } }).expiresIn).toEqual({ at: new Date("2030-01-01T00:00:00Z") });
    await expect(createEnrollmentToken({ name: "x", expiresIn: { at: new Date(Date.now() - 1000) } })).rejects.toMatchObject({ status: 400 });
    await expect(createEnrollmentToken({ name: "x", expiresIn: "7d", groupId: "nope" })).rejects.toMatchObject({ status: 400 });
  });

  it("rejects missing, tampered, truncated and foreign-signed tokens with distinct reasons", async () => {
    const { jwt } = await createEnrollmentToken({ name: "Victim", expiresIn: "24h" });
    const [h, p, s] = jwt.split(".");
    expect(await verifyEnrollmentToken("")).toEqual({ ok: false, reason: "token_missing" });
    expect(await verifyEnrollmentToken("not-a-jwt")).toEqual({ ok: false, reason: "token_malformed" });
    expect(await verifyEnrollmentToken(jwt.slice(0, jwt.length - 12))).toEqual({ ok: false, reason: "token_malformed" });
    expect(await verifyEnrollmentToken(`${h}.${p}`)).toEqual({ ok: false, reason: "token_malformed" });
    expect(await verifyEnrollmentToken(jwt.slice(0, h.length + 20))).toEqual({ ok: false, reason: "token_malformed" });

    const claims = decodeJwt(jwt);
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, max_uses: 0, name: "Victim!" })).toString("base64url");
    expect(await verifyEnrollmentToken(`${h}.${tamperedPayload}.${s}`)).toEqual({ ok: false, reason: "token_bad_signature" });

    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: "ES256", typ: ENROLLMENT_JWT_TYP }).sign(await foreignEcKey());
    expect(await verifyEnrollmentToken(foreign)).toEqual({ ok: false, reason: "token_bad_signature" });

    const { privateKey: rsa } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const foreignRsa = await new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).sign(rsa);
    expect(await verifyEnrollmentToken(foreignRsa)).toEqual({ ok: false, reason: "token_bad_signature" });

    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${p}.`;
    expect((await verifyEnrollmentToken(unsigned)).ok).toBe(false);
  });

  it("reports expired, revoked, exhausted and unknown tokens with their jti", async () => {
    const expiring = await createEnrollmentToken({ name: "Short", expiresIn: "24h" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 25 * 3600_000);
    expect(await verifyEnrollmentToken(expiring.jwt)).toEqual({ ok: false, reason: "token_expired", tokenId: expiring.id });
    expect(await consumeEnrollmentUse(expiring.id)).toBe(false);
    vi.useRealTimers();

    const revoked = await createEnrollmentToken({ name: "Revoked", expiresIn: "7d" });
    const summary = await revokeEnrollmentToken(revoked.id);
    expect(summary.status).toBe("revoked");
    expect(await verifyEnrollmentToken(revoked.jwt)).toEqual({ ok: false, reason: "token_revoked", tokenId: revoked.id });
    expect(await consumeEnrollmentUse(revoked.id)).toBe(false);
    await expect(revokeEnrollmentToken("no-such-token")).rejects.toMatchObject({ status: 404 });

    const once = await createEnrollmentToken({ name: "Once", expiresIn: "7d", maxUses: 1 });
    expect(await consumeEnrollmentUse(once.id)).toBe(true);
    expect(await verifyEnrollmentToken(once.jwt)).toEqual({ ok: false, reason: "token_exhausted", tokenId: once.id });
    expect((await listEnrollmentTokens({ withLinks: true })).find((r) => r.id === once.id)?.status).toBe("exhausted");

    const gone = await createEnrollmentToken({ name: "Deleted", expiresIn: "7d" });
    await t.client.enrollmentToken.delete({ where: { id: gone.id } });
    expect(await verifyEnrollmentToken(gone.jwt)).toEqual({ ok: false, reason: "token_unknown", tokenId: gone.id });
  });

  it(`consumes uses atomically: 50 concurrent takes on max 10 succeed exactly 10 times (${process.env.TEST_DATABASE ?? "sqlite"})`, async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "Rush", expiresIn: "7d", maxUses: 10 });
    expect((await verifyEnrollmentToken(jwt)).ok).toBe(true);
    const results = await Promise.all(Array.from({ length: 50 }, () => consumeEnrollmentUse(id)));
    expect(results.filter(Boolean)).toHaveLength(10);
    expect((await t.client.enrollmentToken.findUniqueOrThrow({ where: { id } })).useCount).toBe(10);

    const unlimited = await createEnrollmentToken({ name: "Open", expiresIn: "7d", maxUses: 0 });
    const all = await Promise.all(Array.from({ length: 30 }, () => consumeEnrollmentUse(unlimited.id)));
    expect(all.every(Boolean)).toBe(true);
    expect((await t.client.enrollmentToken.findUniqueOrThrow({ where: { id: unlimited.id } })).useCount).toBe(30);
  });
});
