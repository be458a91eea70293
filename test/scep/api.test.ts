// The SCEP profile and certificate admin API over real HTTP: roles, answers (SCEP URL,
// static password, NDES password once), inventory filters and revocation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAdminApi, type AdminApi } from "@/test/helpers/adminApi";
import { lookupIssuedCertificate } from "@/lib/pki/certificates";
import { scepEnroll } from "@/test/helpers/scepClient";

let api: AdminApi;
let adminKey: string;
let readKey: string;

beforeAll(async () => {
  api = await startAdminApi("scep", {
    "/api/v1/scep-profiles": import("@/app/api/v1/scep-profiles/route"),
    "/api/v1/scep-profiles/[id]": import("@/app/api/v1/scep-profiles/[id]/route"),
    "/api/v1/scep-profiles/[id]/ndes-password": import("@/app/api/v1/scep-profiles/[id]/ndes-password/route"),
    "/api/v1/certificates": import("@/app/api/v1/certificates/route"),
    "/api/v1/certificates/[serial]/revoke": import("@/app/api/v1/certificates/[serial]/revoke/route"),
    "/scep/[id]": import("@/app/scep/[id]/route"),
  });
  ({ adminKey, readKey } = api);
});
afterAll(async () => {
  await api?.close();
});

const call: AdminApi["call"] = (path, key, init) => api.call(path, key, init);

interface ProfileAnswer {
  profile: { id: string; url: string; challengeUrl: string | null; challengeType: string };
  staticChallenge?: string;
  ndesUsername?: string;
  ndesPassword?: string;
}

describe("/api/v1/scep-profiles", () => {
  it("creates (Admin) and lists with the SCEP URL; the static password to Admins only, never to Read-only", async () => {
    const res = await call("/api/v1/scep-profiles", adminKey, {
      method: "POST",
      body: JSON.stringify({ name: "Devices", challengeType: "STATIC", subjectTemplate: "CN=$UDID,O=Acme", keySize: 2048, keyUsage: 5, validityDays: 180 }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as ProfileAnswer;
    expect(created.profile.url).toBe(`https://mdm.example.test/scep/${created.profile.id}`);
    expect(created.staticChallenge).toMatch(/^\S{24}$/);

    const listed = (await (await call("/api/v1/scep-profiles", adminKey)).json()) as { scepProfiles: Array<{ id: string; url: string; staticChallenge?: string }> };
    const mine = listed.scepProfiles.find((p) => p.id === created.profile.id)!;
    expect(mine.url).toBe(created.profile.url);
    expect(mine.staticChallenge).toBe(created.staticChallenge);
    expect(JSON.stringify(listed)).not.toContain("staticChallengeEnc");
    // The static password enrolls devices: a Read-only caller sees the profile without it, in the list and alone.
    const readList = await (await call("/api/v1/scep-profiles", readKey)).text();
    const readOne = await (await call(`/api/v1/scep-profiles/${created.profile.id}`, readKey)).text();
    for (const body of [readList, readOne]) {
      expect(body).toContain(created.profile.url);
      expect(body).not.toContain(created.staticChallenge!);
      expect(body).not.toContain("staticChallenge");
    }
    expect(((await (await call(`/api/v1/scep-profiles/${created.profile.id}`, adminKey)).json()) as { staticChallenge?: string }).staticChallenge).toBe(created.staticChallenge);
  });

  it("NDES: the password is in the create answer once, never in reads; reset gives a new one", async () => {
    const res = await call("/api/v1/scep-profiles", adminKey, { method: "POST", body: JSON.stringify({ name: "Jamf NDES", challengeType: "NDES" }) });
    const created = (await res.json()) as ProfileAnswer;
    expect(created.ndesPassword).toBeTruthy();
    expect(created.profile.challengeUrl).toBe(`https://mdm.example.test/ndes/${created.profile.id}`);
    const read = await (await call(`/api/v1/scep-profiles/${created.profile.id}`, readKey)).text();
    expect(read).not.toContain(created.ndesPassword!);
    expect(read).not.toContain("ndesPasswordHash");
    const reset = (await (await call(`/api/v1/scep-profiles/${created.profile.id}/ndes-password`, adminKey, { method: "POST" })).json()) as { ndesPassword: string };
    expect(reset.ndesPassword).not.toBe(created.ndesPassword);
  });

  it("NDES password cache size: set on create, changed by PATCH alone, validated", async () => {
    const res = await call("/api/v1/scep-profiles", adminKey, { method: "POST", body: JSON.stringify({ name: "Mass NDES", challengeType: "NDES", ndesCacheSize: 300 }) });
    const created = (await res.json()) as ProfileAnswer & { profile: { ndesCacheSize: number; subjectTemplate: string } };
    expect(res.status, JSON.stringify(created)).toBe(201);
    expect(created.profile.ndesCacheSize).toBe(300);
    const patched = await call(`/api/v1/scep-profiles/${created.profile.id}`, adminKey, { method: "PATCH", body: JSON.stringify({ ndesCacheSize: 500 }) });
    expect(((await patched.json()) as { profile: { ndesCacheSize: number; subjectTemplate: string } }).profile).toMatchObject({ ndesCacheSize: 500, subjectTemplate: created.profile.subjectTemplate });
    for (const ndesCacheSize of [0, 1001, "5"]) {
      const bad = await call("/api/v1/scep-profiles", adminKey, { method: "POST", body: JSON.stringify({ name: "Bad NDES", challengeType: "NDES", ndesCacheSize }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/^ndesCacheSize: /);
    }
  });

  it("refuses weak static passwords and subject templates whose fixed text is over a bound, naming the field", async () => {
    const weak = await call("/api/v1/scep-profiles", adminKey, { method: "POST", body: JSON.stringify({ name: "Weak", challengeType: "STATIC", staticChallenge: "Password2024!" }) });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as { message: string }).message).toMatch(/^staticChallenge: the static password is a common word or password/);
    const long = await call("/api/v1/scep-profiles", adminKey, { method: "POST", body: JSON.stringify({ name: "Long", challengeType: "DYNAMIC", subjectTemplate: `CN=$UDID,O=${"o".repeat(65)}` }) });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { message: string }).message).toMatch(/^subjectTemplate: the fixed text of O has 65 characters .* limit for O is 64/);
  });

  it("enforces roles and validates input", async () => {
    expect((await call("/api/v1/scep-profiles", readKey, { method: "POST", body: JSON.stringify({ name: "x", challengeType: "STATIC" }) })).status).toBe(403);
    const bad = await call("/api/v1/scep-profiles", adminKey, { method: "POST", body: JSON.stringify({ name: "x", challengeType: "STATIC", keySize: 1024 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/keySize/);
    expect((await call("/api/v1/scep-profiles", adminKey, { method: "POST", body: "{not json" })).status).toBe(400);
    expect((await call("/api/v1/scep-profiles/nope", readKey)).status).toBe(404);
  });

  it("updates and deletes", async () => {
    const created = (await (await call("/api/v1/scep-profiles", adminKey, { method: "POST", body: JSON.stringify({ name: "Temp", challengeType: "DYNAMIC" }) })).json()) as ProfileAnswer;
    const patched = await call(`/api/v1/scep-profiles/${created.profile.id}`, adminKey, { method: "PATCH", body: JSON.stringify({ validityDays: 7, subjectTemplate: "CN=$SERIALNUMBER" }) });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { profile: { validityDays: number } }).profile.validityDays).toBe(7);
    expect((await call(`/api/v1/scep-profiles/${created.profile.id}`, adminKey, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/scep-profiles/${created.profile.id}`, readKey)).status).toBe(404);
  });
});

describe("/api/v1/certificates", () => {
  it("lists issued certificates with filters and revokes one (Admin), which lookupIssuedCertificate reports", async () => {
    const created = (await (
      await call("/api/v1/scep-profiles", adminKey, { method: "POST", body: JSON.stringify({ name: "Inventory", challengeType: "STATIC", staticChallenge: "inventory-secret" }) })
    ).json()) as ProfileAnswer;
    const id = await scepEnroll({ url: `${api.server.url}/scep/${created.profile.id}`, challenge: "inventory-secret", subject: "CN=UDID-INV" });
    const row = (await lookupIssuedCertificate(id.certDer))!;

    const list = (await (await call(`/api/v1/certificates?profileId=${created.profile.id}`, readKey)).json()) as {
      total: number;
      items: Array<{ serial: string; subject: string; revokedAt: string | null; der?: unknown }>;
    };
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ serial: row.serial, subject: "CN=UDID-INV", revokedAt: null });
    expect(list.items[0].der).toBeUndefined();
    expect((await call("/api/v1/certificates?revoked=maybe", readKey)).status).toBe(400);

    expect((await call(`/api/v1/certificates/${row.serial}/revoke`, readKey, { method: "POST" })).status).toBe(403);
    const revoked = await call(`/api/v1/certificates/${row.serial}/revoke`, adminKey, { method: "POST", body: JSON.stringify({ reason: "device lost" }) });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { certificate: { revocationReason: string } }).certificate.revocationReason).toBe("device lost");
    expect((await lookupIssuedCertificate(id.certDer))?.revokedAt).toBeInstanceOf(Date);
    const onlyRevoked = (await (await call("/api/v1/certificates?revoked=true", readKey)).json()) as { items: Array<{ serial: string }> };
    expect(onlyRevoked.items.map((c) => c.serial)).toEqual([row.serial]);
    expect((await call("/api/v1/certificates/ffff/revoke", adminKey, { method: "POST" })).status).toBe(404);
  });
});
