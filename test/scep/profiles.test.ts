// SCEP profiles (admin CRUD, secrets handling) and challenge issuing/verification.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { createScepProfile, deleteScepProfile, getScepProfile, getScepProfileRow, listScepProfiles, resetNdesPassword, updateScepProfile } from "@/lib/scep/profiles";
import { challengeForEnrollment, issueNdesChallenge, NDES_MAX_UNUSED, verifyChallenge } from "@/lib/scep/challenge";
import { expandSubject, templateProblem } from "@/lib/scep/subject";
import { verifyPassword } from "@/lib/secrets/hash";
import { createEnrollmentToken, consumeEnrollmentUse } from "@/lib/enrollment/tokens";

let testDb: TestDb;
beforeAll(async () => {
  testDb = await createTestDb();
});
afterAll(async () => {
  await testDb.close();
});

describe("SCEP profiles", () => {
  it("creates a STATIC profile with a generated password, sealed at rest, URL without query string", async () => {
    const created = await createScepProfile({ name: "Static", challengeType: "STATIC" });
    expect(created.staticChallenge).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(created.profile.url).toBe(`https://mdm.example.test/scep/${created.profile.id}`);
    expect(created.profile.url).not.toContain("?");
    const row = await testDb.client.scepProfile.findUniqueOrThrow({ where: { id: created.profile.id } });
    expect(row.staticChallengeEnc).not.toContain(created.staticChallenge!);
    expect(row.keySize).toBe(2048);
    expect(await challengeForEnrollment(created.profile.id, {})).toBe(created.staticChallenge);
    expect(await verifyChallenge(row, created.staticChallenge!)).toMatchObject({ ok: true, source: "STATIC" });
    expect(await verifyChallenge(row, "wrong")).toMatchObject({ ok: false, reason: "scep_bad_challenge" });
    expect(await verifyChallenge(row, null)).toMatchObject({ ok: false, reason: "scep_bad_challenge" });
  });

  it("rejects bad input with a message naming the field", async () => {
    await expect(createScepProfile({ name: "x", challengeType: "OTHER" })).rejects.toMatchObject({ status: 400 });
    await expect(createScepProfile({ name: "x", challengeType: "STATIC", keySize: 1024 })).rejects.toMatchObject({ status: 400, message: /keySize/ });
    await expect(createScepProfile({ name: "x", challengeType: "STATIC", subjectTemplate: "CN=$FOO" })).rejects.toMatchObject({ message: /unknown variable \$FOO/ });
    await expect(createScepProfile({ name: "x", challengeType: "DYNAMIC", staticChallenge: "abcdefgh123" })).rejects.toMatchObject({ status: 400 });
    await expect(createScepProfile({ name: "Static", challengeType: "STATIC" })).rejects.toMatchObject({ status: 409 });
  });

  it("NDES: credentials shown once and hashed; reset gives a new password", async () => {
    const created = await createScepProfile({ name: "Ndes", challengeType: "NDES", ndesUsername: "jamf" });
    expect(created.ndesUsername).toBe("jamf");
    const row = await testDb.client.scepProfile.findUniqueOrThrow({ where: { id: created.profile.id } });
    expect(await verifyPassword(created.ndesPassword!, row.ndesPasswordHash)).toBe(true);
    expect(created.profile.challengeUrl).toBe(`https://mdm.example.test/ndes/${created.profile.id}`);
    expect(JSON.stringify(await getScepProfile(created.profile.id))).not.toContain(created.ndesPassword!);
    const reset = await resetNdesPassword(created.profile.id);
    const after = await testDb.client.scepProfile.findUniqueOrThrow({ where: { id: created.profile.id } });
    expect(await verifyPassword(reset.ndesPassword, after.ndesPasswordHash)).toBe(true);
    expect(await verifyPassword(created.ndesPassword!, after.ndesPasswordHash)).toBe(false);
  });

  it("NDES cache: five unused challenges, then full; one-time use", async () => {
    const created = await createScepProfile({ name: "Ndes2", challengeType: "NDES" });
    const row = (await getScepProfileRow(created.profile.id))!;
    const got: string[] = [];
    for (let i = 0; i < NDES_MAX_UNUSED; i++) {
      const r = await issueNdesChallenge(row.id);
      expect(r.ok).toBe(true);
      if (r.ok) got.push(r.challenge);
    }
    expect(got.every((c) => /^[A-Z0-9]{32}$/.test(c))).toBe(true);
    expect(await issueNdesChallenge(row.id)).toEqual({ ok: false, reason: "cache_full" });
    expect(await verifyChallenge(row, got[0])).toMatchObject({ ok: true, source: "NDES" });
    expect(await verifyChallenge(row, got[0])).toMatchObject({ ok: false, reason: "scep_challenge_replayed" });
    expect((await issueNdesChallenge(row.id)).ok).toBe(true);
  });

  it("DYNAMIC: single use, expires, bound to its profile", async () => {
    const a = await createScepProfile({ name: "Dyn", challengeType: "DYNAMIC" });
    const b = await createScepProfile({ name: "Dyn2", challengeType: "DYNAMIC" });
    const rowA = (await getScepProfileRow(a.profile.id))!;
    const rowB = (await getScepProfileRow(b.profile.id))!;
    const c1 = await challengeForEnrollment(a.profile.id, { tokenId: null });
    const c2 = await challengeForEnrollment(a.profile.id, {});
    expect(c1).not.toBe(c2);
    expect(await verifyChallenge(rowB, c1)).toMatchObject({ ok: false, reason: "scep_bad_challenge" });
    expect(await verifyChallenge(rowA, c1)).toMatchObject({ ok: true });
    expect(await verifyChallenge(rowA, c1)).toMatchObject({ ok: false, reason: "scep_challenge_replayed" });
    await testDb.client.scepChallenge.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) }, where: { usedAt: null, profileId: a.profile.id } });
    expect(await verifyChallenge(rowA, c2)).toMatchObject({ ok: false, reason: "scep_challenge_expired" });
  });

  it("prunes one-time challenges a week after they expired, never TOKEN claims", async () => {
    const p = await createScepProfile({ name: "Prune", challengeType: "DYNAMIC" });
    const old = await challengeForEnrollment(p.profile.id, {});
    await testDb.client.scepChallenge.updateMany({ where: { profileId: p.profile.id }, data: { expiresAt: new Date(Date.now() - 8 * 86_400_000) } });
    await testDb.client.scepChallenge.create({ data: { profileId: p.profile.id, hash: "token-claim-test", source: "TOKEN", tokenId: "t", expiresAt: new Date(0), usedAt: new Date(0) } });
    const recent = await challengeForEnrollment(p.profile.id, {});
    const rows = await testDb.client.scepChallenge.findMany({ where: { profileId: p.profile.id } });
    expect(rows.map((r) => r.source).sort()).toEqual(["DYNAMIC", "TOKEN"]);
    const row = (await getScepProfileRow(p.profile.id))!;
    expect(await verifyChallenge(row, old)).toMatchObject({ ok: false, reason: "scep_bad_challenge" });
    expect(await verifyChallenge(row, recent)).toMatchObject({ ok: true });
  });

  it("TOKEN: the JWT is the challenge, valid once per counted download, not consuming uses", async () => {
    const p = await createScepProfile({ name: "Tok", challengeType: "TOKEN" });
    const row = (await getScepProfileRow(p.profile.id))!;
    const token = await createEnrollmentToken({ name: "t", expiresIn: "24h", maxUses: 1, scepProfileId: p.profile.id });
    expect(await challengeForEnrollment(p.profile.id, { tokenId: token.id, tokenJwt: token.jwt })).toBe(token.jwt);
    // Not downloaded yet: nothing counted, so no certificate may be issued.
    expect(await verifyChallenge(row, token.jwt)).toMatchObject({ ok: false, reason: "scep_challenge_replayed" });
    expect(await consumeEnrollmentUse(token.id)).toBe(true);
    const ok = await verifyChallenge(row, token.jwt);
    expect(ok).toMatchObject({ ok: true, source: "TOKEN", tokenId: token.id });
    const t = await testDb.client.enrollmentToken.findUniqueOrThrow({ where: { id: token.id } });
    expect(t.useCount).toBe(1);
    expect(await verifyChallenge(row, token.jwt + "x")).toMatchObject({ ok: false, reason: "scep_bad_challenge" });
    // The one download is spent: no second certificate.
    expect(await verifyChallenge(row, token.jwt)).toMatchObject({ ok: false, reason: "scep_challenge_replayed" });
  });

  it("TOKEN: concurrent requests with the same JWT get one claim per download, no more", async () => {
    const p = await createScepProfile({ name: "Tok2", challengeType: "TOKEN" });
    const row = (await getScepProfileRow(p.profile.id))!;
    const token = await createEnrollmentToken({ name: "t2", expiresIn: "24h", maxUses: 2, scepProfileId: p.profile.id });
    expect(await consumeEnrollmentUse(token.id)).toBe(true);
    expect(await consumeEnrollmentUse(token.id)).toBe(true);
    const verdicts = await Promise.all(Array.from({ length: 6 }, () => verifyChallenge(row, token.jwt)));
    expect(verdicts.filter((v) => v.ok).length).toBe(2);
    expect(verdicts.filter((v) => !v.ok).every((v) => !v.ok && v.reason === "scep_challenge_replayed")).toBe(true);
  });

  it("lists, updates and deletes", async () => {
    const names = (await listScepProfiles()).map((p) => p.name);
    expect(names).toContain("Static");
    const p = (await listScepProfiles()).find((x) => x.name === "Dyn2")!;
    const updated = await updateScepProfile(p.id, { challengeType: "STATIC", validityDays: 30 });
    expect(updated.staticChallenge).toBeTruthy();
    expect(updated.profile.validityDays).toBe(30);
    await deleteScepProfile(p.id);
    expect(await getScepProfile(p.id)).toBeNull();
    await expect(deleteScepProfile(p.id)).rejects.toMatchObject({ status: 404 });
  });
});

describe("subject templates", () => {
  const csr = [
    { type: "CN", value: "MacBook ma 00008030-001A2B3C4D5E802E" },
    { type: "O", value: "Whatever" },
  ];
  it("takes variables from the CSR by matching the template attribute", () => {
    expect(expandSubject("CN=$COMPUTERNAME ma $UDID", csr)).toEqual({
      ok: true,
      subject: "CN=MacBook ma 00008030-001A2B3C4D5E802E",
      parts: [{ type: "CN", value: "MacBook ma 00008030-001A2B3C4D5E802E" }],
    });
  });
  it("prefers the enrollment context, keeps the template's attributes only", () => {
    const r = expandSubject("CN=$EMAIL,O=Acme", [{ type: "CN", value: "evil@example.com" }, { type: "OU", value: "x" }], { EMAIL: "ann@example.com" });
    expect(r).toMatchObject({ ok: true, subject: "CN=ann@example.com,O=Acme" });
  });
  it("fails for unresolved variables and for subjects over 64 characters", () => {
    expect(expandSubject("CN=$UDID", [{ type: "O", value: "x" }])).toMatchObject({ ok: false, reason: "scep_subject_unresolved" });
    const long = expandSubject("CN=$UDID,O=Example Organisation", [{ type: "CN", value: "A".repeat(40) }]);
    expect(long).toMatchObject({ ok: false, reason: "scep_subject_too_long" });
  });
  it("validates templates", () => {
    expect(templateProblem("CN=$UDID")).toBeNull();
    expect(templateProblem("$UDID")).toMatch(/TYPE=value/);
    expect(templateProblem(`CN=${"x".repeat(70)}`)).toMatch(/64/);
  });
});
