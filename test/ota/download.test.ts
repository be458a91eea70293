// The OTA download over real HTTP (the route handler the app ships): signed profiles that
// pass Apple's schemas and OpenSSL, challenge per SCEP profile type, every rejection with
// its status, page text and log reason (never a 500), and exactly max-uses profiles
// under 50 concurrent downloads.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SignJWT, decodeJwt, importPKCS8 } from "jose";
import { parse as parsePlist } from "plist";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { latestLogLine, loggedCount } from "@/test/helpers/logCount";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";
import { checkEnrollmentLink } from "@/lib/enrollment/otaService";
import { createEnrollmentToken, ENROLLMENT_JWT_TYP, revokeEnrollmentToken } from "@/lib/enrollment/tokens";
import { DEFAULT_OTA_SCEP_PROFILE_NAME } from "@/lib/enrollment/otaIdentity";
import type { REASONS } from "@/lib/log/reasons";
import { getCa } from "@/lib/pki/ca";
import { validateProfile } from "@/lib/profiles/appleSchema";
import { createScepProfile } from "@/lib/scep/profiles";
import { sha256Hex } from "@/lib/secrets/hash";
import { opensslVerify } from "./openssl";
import { translator } from "@/lib/i18n";

let t: TestDb;
const en = translator("en");
let server: RouteServer;
let dir: string;

beforeAll(async () => {
  t = await createTestDb();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ota-dl-"));
  server = await serveRouteImports({ "/enroll/profile": import("@/app/enroll/profile/route") });
});
afterAll(async () => {
  await server.close();
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Dict = Record<string, unknown>;

const download = (token: string | null, method: "POST" | "GET" = "POST") =>
  method === "POST"
    ? fetch(`${server.url}/enroll/profile`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: token === null ? "" : new URLSearchParams({ token }).toString() })
    : fetch(`${server.url}/enroll/profile?token=${encodeURIComponent(token ?? "")}`);

async function lastLog(step: string) {
  return latestLogLine({ step });
}

async function profileOf(res: Response): Promise<{ top: Dict; signed: Buffer }> {
  const signed = Buffer.from(await res.arrayBuffer());
  const content = opensslVerify(signed, (await getCa()).certPem, dir);
  return { top: parsePlist(content.toString("utf8")) as Dict, signed };
}

describe("OTA profile download", () => {
  it("serves a signed, schema-valid profile and reserves one use (default SCEP profile, dynamic challenge)", async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "Field iPhones", expiresIn: "7d", maxUses: 3 });
    const res = await download(jwt);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-apple-aspen-config");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="[a-z0-9-]+\.mobileconfig"$/);
    const { top } = await profileOf(res);
    expect(validateProfile(top, { os: "iOS", userEnrollment: false })).toEqual([]);
    expect(validateProfile(top, { os: "macOS", userEnrollment: false })).toEqual([]);

    const [root, scep, mdm] = top.PayloadContent as Dict[];
    expect(Buffer.from(root.PayloadContent as Uint8Array).equals(Buffer.from((await getCa()).certDer))).toBe(true);
    const defaultProfile = await t.client.scepProfile.findUniqueOrThrow({ where: { name: DEFAULT_OTA_SCEP_PROFILE_NAME } });
    expect(defaultProfile.challengeType).toBe("DYNAMIC");
    const sc = scep.PayloadContent as Dict;
    expect(sc.URL).toBe(`https://mdm.example.test/scep/${defaultProfile.id}`);
    // CAFingerprint pins the root: SHA-1, the hash length Apple's SCEP client recognises besides MD5.
    expect(Buffer.from(sc.CAFingerprint as Uint8Array).toString("hex")).toBe(
      crypto
        .createHash("sha1")
        .update((await getCa()).rootDer)
        .digest("hex"),
    );
    expect(sc.Subject).toEqual([[["CN", expect.stringMatching(/^OTA-[0-9A-F]{12}$/)]]]);
    // The one-time challenge is stored hashed and linked to the token.
    const challenge = await t.client.scepChallenge.findUniqueOrThrow({ where: { hash: sha256Hex(sc.Challenge as string) } });
    expect(challenge.tokenId).toBe(id);
    expect(mdm).toMatchObject({
      // The token travels as a signed enrollment reference, whatever the challenge type.
      ServerURL: expect.stringMatching(new RegExp(`^https://mdm\\.example\\.test/mdm/connect\\?e=t\\.${id}\\.[A-Za-z0-9_-]{22}$`)),
      CheckInURL: expect.stringMatching(new RegExp(`^https://mdm\\.example\\.test/mdm/checkin\\?e=t\\.${id}\\.[A-Za-z0-9_-]{22}$`)),
      IdentityCertificateUUID: scep.PayloadUUID,
      AccessRights: 8191,
      SignMessage: true,
      CheckOutWhenRemoved: true,
    });
    expect(mdm.Topic).toMatch(/^com\.apple\.mgmt\./);

    // A download reserves a use; it is spent only when a device enrolls (test/ota/useCounting.test.ts).
    expect(await t.client.enrollmentToken.findUniqueOrThrow({ where: { id } })).toMatchObject({ useCount: 0, claimedCount: 1 });
    expect(res.headers.get("set-cookie")).toMatch(new RegExp(`^oe_dl_${id}=[A-Za-z0-9_-]{32}; Path=/enroll; Max-Age=3600; HttpOnly; SameSite=Lax; Secure$`));
    expect(await lastLog("ota.profile")).toMatchObject({ outcome: "OK", tokenId: id });
    expect(await lastLog("ota.challenge")).toMatchObject({ outcome: "OK", tokenId: id });
    // GET works too (scripted use); without the first download's cookie it reserves another use.
    expect((await download(jwt, "GET")).status).toBe(200);
    expect(await t.client.enrollmentToken.findUniqueOrThrow({ where: { id } })).toMatchObject({ useCount: 0, claimedCount: 2 });

    // The default SCEP profile is created once, not per download.
    expect(await t.client.scepProfile.count({ where: { name: DEFAULT_OTA_SCEP_PROFILE_NAME } })).toBe(1);
  });

  it("embeds the challenge each SCEP profile type prescribes: static password, the JWT itself", async () => {
    const stat = await createScepProfile({ name: "Static", challengeType: "STATIC", staticChallenge: "correct-horse-battery", subjectTemplate: "CN=$UDID,O=Acme" });
    const a = await createEnrollmentToken({ name: "Static token", expiresIn: "24h", scepProfileId: stat.profile.id });
    const pa = await profileOf(await download(a.jwt));
    const scepA = (pa.top.PayloadContent as Dict[])[1].PayloadContent as Dict;
    expect(scepA.Challenge).toBe("correct-horse-battery");
    expect(scepA.Subject).toEqual([[["CN", expect.stringMatching(/^OTA-/)]], [["O", "Acme"]]]);
    expect(scepA.URL).toBe(`https://mdm.example.test/scep/${stat.profile.id}`);

    const tok = await createScepProfile({ name: "Token", challengeType: "TOKEN", keySize: 4096, nonExportable: false, allowAllAppsAccess: true });
    const b = await createEnrollmentToken({ name: "Token token", expiresIn: "24h", scepProfileId: tok.profile.id });
    const pb = await profileOf(await download(b.jwt));
    expect(validateProfile(pb.top)).toEqual([]);
    const scepB = (pb.top.PayloadContent as Dict[])[1].PayloadContent as Dict;
    expect(scepB).toMatchObject({ Keysize: 4096, KeyIsExtractable: true, AllowAllAppsAccess: true });
    // PKCS#9 challengePassword is at most 255 characters: not the JWT, a value bound to it server-side.
    expect(String(scepB.Challenge).length).toBeLessThanOrEqual(255);
    expect(scepB.Challenge).not.toBe(b.jwt);
  });

  it("refuses bad links with the reason's status, the user's message and a log line; never a 500", async () => {
    const good = await createEnrollmentToken({ name: "Target", expiresIn: "24h" });
    const [h, p, s] = good.jwt.split(".");
    const claims = decodeJwt(good.jwt);
    const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", typ: ENROLLMENT_JWT_TYP })
      .sign(await importPKCS8(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "ES256"));
    const revoked = await createEnrollmentToken({ name: "Revoked", expiresIn: "24h" });
    await revokeEnrollmentToken(revoked.id);
    const expiring = await createEnrollmentToken({ name: "Expiring", expiresIn: "24h" });

    const cases: Array<[string, string | null, keyof typeof REASONS, number, string | null]> = [
      ["missing", null, "token_missing", 400, null],
      ["truncated", good.jwt.slice(0, -20), "token_malformed", 400, null],
      ["garbage", "%%%not-a-token", "token_malformed", 400, null],
      ["tampered", `${h}.${Buffer.from(JSON.stringify({ ...claims, max_uses: 1000 })).toString("base64url")}.${s}`, "token_bad_signature", 403, null],
      ["foreign key", foreign, "token_bad_signature", 403, null],
      ["revoked", revoked.jwt, "token_revoked", 410, revoked.id],
    ];
    void p;
    for (const [label, token, reason, status, tokenId] of cases) {
      const res = await download(token);
      expect(res.status, label).toBe(status);
      expect(res.headers.get("content-type"), label).toMatch(/^text\/html/);
      const html = await res.text();
      // Plain words for the person (issue 17), the reason code for whoever helps them.
      expect(html, label).toContain(`<h1>${en(`error.${reason}.title`)}</h1>`);
      expect(html, label).toContain(`reason: <code>${reason}</code>`);
      if (token) expect(html, label).not.toContain(token);
      const line = await lastLog("ota.profile");
      expect(line, label).toMatchObject({ outcome: "ERROR", reason, tokenId });
      if (token) expect(line?.message, label).not.toContain(token);

      const page = await checkEnrollmentLink(token);
      expect(page, label).toEqual({ ok: false, reason });
      expect(await lastLog("ota.verify"), label).toMatchObject({ outcome: "ERROR", reason, tokenId });
    }

    const ok = await checkEnrollmentLink(good.jwt);
    expect(ok).toMatchObject({ ok: true, tokenName: "Target", usesLeft: null });
    expect(await lastLog("ota.verify")).toMatchObject({ outcome: "OK", tokenId: good.id });

    // Last: log lines written "in the future" sort after everything else.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 2 * 86400_000);
      const res = await download(expiring.jwt);
      expect(res.status).toBe(410);
      const expired = await res.text();
      expect(expired).toContain("This link has expired");
      expect(expired).toContain(en("error.token_expired.body"));
      expect(await lastLog("ota.profile")).toMatchObject({ reason: "token_expired", tokenId: expiring.id });
      expect(await checkEnrollmentLink(expiring.jwt)).toEqual({ ok: false, reason: "token_expired" });
    } finally {
      vi.useRealTimers();
    }
    // None of these consumed anything.
    expect(await t.client.enrollmentToken.findUniqueOrThrow({ where: { id: revoked.id } })).toMatchObject({ useCount: 0, claimedCount: 0 });
  });

  it(`serves exactly max-uses profiles to 50 concurrent downloads (${process.env.TEST_DATABASE ?? "sqlite"})`, async () => {
    const { id, jwt } = await createEnrollmentToken({ name: "Launch day", expiresIn: "24h", maxUses: 10 });
    const responses = await Promise.all(Array.from({ length: 50 }, () => download(jwt)));
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(statuses.filter((x) => x === 200)).toHaveLength(10);
    expect(statuses.filter((x) => x === 410)).toHaveLength(40);
    expect(await t.client.enrollmentToken.findUniqueOrThrow({ where: { id } })).toMatchObject({ useCount: 0, claimedCount: 10 });
    expect(await t.client.enrollmentReservation.count({ where: { tokenId: id } })).toBe(10);
    expect(await t.client.enrollmentLog.count({ where: { step: "ota.profile", tokenId: id, outcome: "OK" } })).toBe(10);
    expect(await loggedCount({ step: "ota.profile", tokenId: id, reason: "token_exhausted" })).toBe(40);
    expect(await t.client.scepChallenge.count({ where: { tokenId: id } })).toBe(10);
  });
});
