// SCEP profiles (admin CRUD, secrets handling) and challenge issuing/verification.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { createScepProfile, deleteScepProfile, getScepProfile, getScepProfileRow, listScepProfiles, resetNdesPassword, updateScepProfile } from "@/lib/scep/profiles";
import { challengeForEnrollment, issueNdesChallenge, verifyChallenge } from "@/lib/scep/challenge";
import { expandSubject, templateProblem } from "@/lib/scep/subject";
import { verifyPassword } from "@/lib/secrets/hash";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";

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
    expect(created.profile.ndesCacheSize).toBe(5);
    for (let i = 0; i < 5; i++) {
      const r = await issueNdesChallenge(row.id);
      expect(r.ok).toBe(true);
      if (r.ok) got.push(r.challenge);
    }
    // NDES's own format: 16 uppercase hexadecimal characters.
    expect(got.every((c) => /^[A-F0-9]{16}$/.test(c))).toBe(true);
    expect(await issueNdesChallenge(row.id)).toEqual({ ok: false, reason: "cache_full", cacheSize: 5 });
    expect(await verifyChallenge(row, got[0])).toMatchObject({ ok: true, source: "NDES" });
    expect(await verifyChallenge(row, got[0])).toMatchObject({ ok: false, reason: "scep_challenge_replayed" });
    expect((await issueNdesChallenge(row.id)).ok).toBe(true);
  });

  it("NDES cache size: per profile, up to hundreds, validated", async () => {
    const big = await createScepProfile({ name: "NdesMass", challengeType: "NDES", ndesCacheSize: 300 });
    expect(big.profile.ndesCacheSize).toBe(300);
    for (let i = 0; i < 300; i++) expect((await issueNdesChallenge(big.profile.id)).ok).toBe(true);
    expect(await issueNdesChallenge(big.profile.id)).toMatchObject({ ok: false, reason: "cache_full", cacheSize: 300 });
    // A partial update changes only what it names.
    const updated = await updateScepProfile(big.profile.id, { ndesCacheSize: 2 });
    expect(updated.profile).toMatchObject({ ndesCacheSize: 2, subjectTemplate: big.profile.subjectTemplate, validityDays: big.profile.validityDays });
    for (const bad of [0, -1, 1001, 2.5]) {
      await expect(createScepProfile({ name: `NdesBad${bad}`, challengeType: "NDES", ndesCacheSize: bad })).rejects.toMatchObject({ status: 400, message: /ndesCacheSize/ });
    }
  });

  it("STATIC: weak passwords are refused when set, generated ones stay the default", async () => {
    for (const weak of ["short-pw", "Password123!", "P@ssw0rd2024", "secretsecret", "123456789012", "abcdefghijkl", "aaaaaaaaaaaaaaaa", "Welcome2024!", "qwertyuiop12"]) {
      await expect(createScepProfile({ name: `weak-${weak}`, challengeType: "STATIC", staticChallenge: weak }), weak).rejects.toMatchObject({
        status: 400,
        message: /staticChallenge: the static password/,
      });
    }
    const strong = await createScepProfile({ name: "strong", challengeType: "STATIC", staticChallenge: "lantern-orbit-quartz-7" });
    expect(strong.staticChallenge).toBe("lantern-orbit-quartz-7");
    await expect(updateScepProfile(strong.profile.id, { staticChallenge: "changeme" })).rejects.toMatchObject({ status: 400 });
    const generated = await updateScepProfile(strong.profile.id, { rotateStaticChallenge: true });
    expect(generated.staticChallenge).toMatch(/^[A-Za-z0-9]{24}$/);
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

  it("prunes one-time challenges (TOKEN ones too) a week after they expired", async () => {
    const p = await createScepProfile({ name: "Prune", challengeType: "DYNAMIC" });
    const old = await challengeForEnrollment(p.profile.id, {});
    await testDb.client.scepChallenge.create({ data: { profileId: p.profile.id, hash: "token-challenge-test", source: "TOKEN", tokenId: "t", expiresAt: new Date(0), usedAt: new Date(0) } });
    await testDb.client.scepChallenge.create({ data: { profileId: p.profile.id, hash: "renewal-test", source: "RENEWAL:01", expiresAt: new Date(0) } });
    await testDb.client.scepChallenge.updateMany({ where: { profileId: p.profile.id }, data: { expiresAt: new Date(Date.now() - 8 * 86_400_000) } });
    const recent = await challengeForEnrollment(p.profile.id, {});
    const rows = await testDb.client.scepChallenge.findMany({ where: { profileId: p.profile.id } });
    expect(rows.map((r) => r.source).sort()).toEqual(["DYNAMIC", "RENEWAL:01"]);
    const row = (await getScepProfileRow(p.profile.id))!;
    expect(await verifyChallenge(row, old)).toMatchObject({ ok: false, reason: "scep_bad_challenge" });
    expect(await verifyChallenge(row, recent)).toMatchObject({ ok: true });
  });

  it("TOKEN: a short one-time challenge per download, bound to the token, fits PKCS#9 (255)", async () => {
    const p = await createScepProfile({ name: "Tok", challengeType: "TOKEN" });
    const other = await createScepProfile({ name: "TokOther", challengeType: "TOKEN" });
    const row = (await getScepProfileRow(p.profile.id))!;
    const token = await createEnrollmentToken({ name: "t", expiresIn: "24h", maxUses: 2, scepProfileId: p.profile.id });
    // The JWT is far too long for challengePassword; the challenge is not the JWT and not derived from it.
    expect(token.jwt.length).toBeGreaterThan(255);
    const c1 = await challengeForEnrollment(p.profile.id, { tokenId: token.id });
    const c2 = await challengeForEnrollment(p.profile.id, { tokenId: token.id });
    for (const c of [c1, c2]) {
      expect(c.length).toBeLessThanOrEqual(255);
      expect(c).not.toContain(token.jwt.slice(0, 20));
    }
    expect(c1).not.toBe(c2);
    await expect(challengeForEnrollment(p.profile.id, {})).rejects.toMatchObject({ status: 400 });
    // The JWT itself is no challenge.
    expect(await verifyChallenge(row, token.jwt)).toMatchObject({ ok: false, reason: "scep_bad_challenge" });
    expect(await verifyChallenge((await getScepProfileRow(other.profile.id))!, c1)).toMatchObject({ ok: false, reason: "scep_bad_challenge" });
    expect(await verifyChallenge(row, c1)).toMatchObject({ ok: true, source: "TOKEN", tokenId: token.id });
    expect(await verifyChallenge(row, c1)).toMatchObject({ ok: false, reason: "scep_challenge_replayed", tokenId: token.id });
    const t = await testDb.client.enrollmentToken.findUniqueOrThrow({ where: { id: token.id } });
    expect(t.useCount).toBe(0); // SCEP takes no use: the download counted it
    // The token is resolved server-side: a revoked token's challenge no longer enrolls, and the log says why.
    await testDb.client.enrollmentToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } });
    expect(await verifyChallenge(row, c2)).toMatchObject({ ok: false, reason: "scep_challenge_revoked", tokenId: token.id });
  });

  it("TOKEN: the challenge expires with its token", async () => {
    const p = await createScepProfile({ name: "TokExp", challengeType: "TOKEN" });
    const row = (await getScepProfileRow(p.profile.id))!;
    const token = await createEnrollmentToken({ name: "t-exp", expiresIn: "24h", maxUses: 1, scepProfileId: p.profile.id });
    const c = await challengeForEnrollment(p.profile.id, { tokenId: token.id });
    const stored = await testDb.client.scepChallenge.findFirstOrThrow({ where: { tokenId: token.id, source: "TOKEN" } });
    expect(stored.expiresAt.getTime()).toBe((await testDb.client.enrollmentToken.findUniqueOrThrow({ where: { id: token.id } })).expiresAt!.getTime());
    await testDb.client.enrollmentToken.update({ where: { id: token.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await verifyChallenge(row, c)).toMatchObject({ ok: false, reason: "scep_challenge_expired" });
  });

  it("TOKEN: concurrent requests with the same challenge: one certificate", async () => {
    const p = await createScepProfile({ name: "Tok2", challengeType: "TOKEN" });
    const row = (await getScepProfileRow(p.profile.id))!;
    const token = await createEnrollmentToken({ name: "t2", expiresIn: "24h", maxUses: 2, scepProfileId: p.profile.id });
    const c = await challengeForEnrollment(p.profile.id, { tokenId: token.id });
    const verdicts = await Promise.all(Array.from({ length: 6 }, () => verifyChallenge(row, c)));
    expect(verdicts.filter((v) => v.ok).length).toBe(1);
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
    const r = expandSubject(
      "CN=$EMAIL,O=Acme",
      [
        { type: "CN", value: "evil@example.com" },
        { type: "OU", value: "x" },
      ],
      { EMAIL: "ann@example.com" },
    );
    expect(r).toMatchObject({ ok: true, subject: "CN=ann@example.com,O=Acme" });
  });
  it("fails for unresolved variables", () => {
    expect(expandSubject("CN=$UDID", [{ type: "O", value: "x" }])).toMatchObject({ ok: false, reason: "scep_subject_unresolved" });
  });
  it("limits each attribute value to its X.520 upper bound, not the whole written subject", () => {
    // 40 + 20 characters of values, 66 written with "CN=" and ",O=": valid (each value fits).
    expect(expandSubject("CN=$UDID,O=Example Organisation", [{ type: "CN", value: "A".repeat(40) }])).toMatchObject({ ok: true });
    // ub-common-name is 64: exactly 64 is valid, 65 is not.
    expect(expandSubject("CN=$UDID", [{ type: "CN", value: "B".repeat(64) }])).toMatchObject({ ok: true, subject: `CN=${"B".repeat(64)}` });
    const over = expandSubject("CN=$UDID", [{ type: "CN", value: "B".repeat(65) }]);
    expect(over).toMatchObject({ ok: false, reason: "scep_subject_too_long" });
    expect(!over.ok && over.detail).toMatch(/65 characters; the limit for CN is 64/);
    // Characters, not UTF-16 units: 64 emoji are 64 characters.
    expect(expandSubject("CN=$UDID", [{ type: "CN", value: "😀".repeat(64) }])).toMatchObject({ ok: true });
    // L and ST allow 128, C exactly 2.
    expect(
      expandSubject("CN=$UDID,L=$COMPUTERNAME", [
        { type: "CN", value: "x" },
        { type: "L", value: "L".repeat(128) },
      ]),
    ).toMatchObject({ ok: true });
    expect(
      expandSubject("CN=$UDID,C=$COMPUTERNAME", [
        { type: "CN", value: "x" },
        { type: "C", value: "USA" },
      ]),
    ).toMatchObject({ ok: false, reason: "scep_subject_too_long" });
  });
  it("counts the $PROFILE_IDENTIFIER a redistribution adds (seed 002)", () => {
    const template = "CN=$COMPUTERNAME ma $UDID $PROFILE_IDENTIFIER";
    const udid = "00008030-001A2B3C4D5E802E";
    const fits = expandSubject(template, [], { COMPUTERNAME: "Mac", UDID: udid, PROFILE_IDENTIFIER: "A".repeat(64 - `Mac ma ${udid} `.length) });
    expect(fits).toMatchObject({ ok: true });
    expect(fits.ok && [...fits.parts[0].value].length).toBe(64);
    const over = expandSubject(template, [], { COMPUTERNAME: "Mac", UDID: udid, PROFILE_IDENTIFIER: "A".repeat(65 - `Mac ma ${udid} `.length) });
    expect(over).toMatchObject({ ok: false, reason: "scep_subject_too_long" });
  });
  it("validates templates: fixed text over a bound is refused at save, per field", async () => {
    expect(templateProblem("CN=$UDID")).toBeNull();
    expect(templateProblem("$UDID")).toMatch(/TYPE=value/);
    expect(templateProblem(`CN=${"x".repeat(64)}`)).toBeNull();
    expect(templateProblem(`CN=${"x".repeat(65)}`)).toMatch(/CN has 65 characters .* limit for CN is 64/);
    // Variables do not count toward the fixed text; the fixed text around them does.
    expect(templateProblem(`CN=$UDID ${"x".repeat(63)}`)).toBeNull();
    expect(templateProblem(`CN=$UDID,O=${"o".repeat(65)}`)).toMatch(/O has 65 .* limit for O is 64/);
    expect(templateProblem(`CN=$UDID,L=${"l".repeat(128)}`)).toBeNull();
    await expect(createScepProfile({ name: "too-long-fixed", challengeType: "DYNAMIC", subjectTemplate: `CN=$UDID ${"x".repeat(70)}` })).rejects.toMatchObject({
      status: 400,
      message: /^subjectTemplate: the fixed text of CN has 71 characters/,
    });
  });
});
