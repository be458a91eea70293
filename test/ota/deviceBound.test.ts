// Device-bound OTA enrollment (Apple's Profile Service): the link serves a Profile Service
// profile, the device stand-in answers with attributes signed by OpenSSL's CMS encoder under a
// stand-in for Apple's iPhone Device CA, and gets the enrollment profile made for its UDID; its
// SCEP certificate is bound to that UDID, so an Authenticate from another UDID is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { makeDeviceIdentity, makeTestDeviceCa, postDeviceAttributes, readProfileService, signDeviceAttributes, type TestDeviceCa } from "@/test/helpers/fakeProfileService";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";
import { scepEnroll as defaultScepEnroll } from "@/test/helpers/scepClient";
import { SimDevice, type SimIdentity } from "@/test/sim/device";
import { randomUdid } from "@/test/mdm/helpers";

let t: TestDb;
let server: RouteServer;
let ca: TestDeviceCa;
const publicUrl = () => config().publicUrl;

beforeAll(async () => {
  t = await createTestDb();
  ca = makeTestDeviceCa();
  process.env.PROFILE_SERVICE_TEST_CA_PEM = ca.caPem;
  server = await serveRouteImports({
    "/enroll/profile": import("@/app/enroll/profile/route"),
    "/enroll/device/[binding]": import("@/app/enroll/device/[binding]/route"),
    "/scep/[id]": import("@/app/scep/[id]/route"),
    "/mdm/checkin": import("@/app/mdm/checkin/route"),
    "/mdm/connect": import("@/app/mdm/connect/route"),
  });
});
afterAll(async () => {
  delete process.env.PROFILE_SERVICE_TEST_CA_PEM;
  await server.close();
  await t.close();
});

const rewrite = (u: string) => u.replace(publicUrl(), server.url);

interface Phone {
  udid: string;
  serial: string;
  product: string;
  version: string;
}
const phone = (over: Partial<Phone> = {}): Phone => ({ udid: randomUdid(), serial: `F${Math.random().toString(36).slice(2, 8).toUpperCase()}Q1G`, product: "iPhone15,2", version: "21E236", ...over });

async function phaseOne(jwt: string): Promise<{ url: string; challenge: string; attributes: string[]; top: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/enroll/profile`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token: jwt }).toString() });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/x-apple-aspen-config");
  return readProfileService(new Uint8Array(await res.arrayBuffer()));
}

function answer(ps: { url: string; challenge: string }, p: Phone, opts: { signer?: "apple" | "self"; challenge?: string } = {}): Promise<Response> {
  const identity = makeDeviceIdentity(p.udid, opts.signer === "self" ? null : ca);
  const body = signDeviceAttributes(
    { UDID: p.udid, SERIAL: p.serial, PRODUCT: p.product, VERSION: p.version, DEVICE_NAME: "Pat's iPhone", CHALLENGE: opts.challenge ?? ps.challenge },
    identity,
    opts.signer === "self" ? null : ca,
  );
  return postDeviceAttributes(rewrite(ps.url), body);
}

async function lastLog(step: string) {
  return t.client.enrollmentLog.findFirst({ where: { step }, orderBy: [{ time: "desc" }, { id: "desc" }] });
}

describe("device-bound OTA enrollment (Profile Service)", () => {
  it("serves a Profile Service profile asking for UDID, SERIAL, PRODUCT, VERSION, DEVICE_NAME", async () => {
    const { jwt, id } = await createEnrollmentToken({ name: "Bound", expiresIn: "7d", deviceBound: true });
    const ps = await phaseOne(jwt);
    expect(ps.top.PayloadType).toBe("Profile Service");
    expect(ps.attributes).toEqual(["UDID", "SERIAL", "PRODUCT", "VERSION", "DEVICE_NAME"]);
    expect(ps.url).toMatch(new RegExp(`^${publicUrl()}/enroll/device/[a-z0-9]+$`));
    expect(ps.challenge.length).toBeGreaterThanOrEqual(40);
    expect((await lastLog("ota.profile"))?.message).toContain("Profile Service profile served");
    // One use is held by the download, as for one-phase links.
    expect((await t.client.enrollmentToken.findUniqueOrThrow({ where: { id } })).claimedCount).toBe(1);
  });

  it("enrolls a device that cannot attest by SCEP: profile made for its UDID, certificate bound to it, Authenticate accepted; another UDID with that certificate is refused", async () => {
    const { jwt, id: tokenId } = await createEnrollmentToken({ name: "Bound iPhones", expiresIn: "7d", deviceBound: true, maxUses: 1 });
    // An iPhone 7 (A10) on iOS 16: it cannot attest, so its identity comes by SCEP.
    const p = phone({ product: "iPhone9,1", version: "20H330" });
    const ps = await phaseOne(jwt);
    const res = await answer(ps, p);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-apple-aspen-config");
    const binding = await t.client.deviceBinding.findFirstOrThrow({ where: { tokenId } });
    expect(binding).toMatchObject({ udid: p.udid, serialNumber: p.serial, product: p.product, version: p.version, appleSigned: true, identityKind: "scep" });
    const made = await lastLog("ota.device");
    expect(made).toMatchObject({ outcome: "OK", deviceIdentifier: p.udid });

    let identity: SimIdentity | null = null;
    const sim = new SimDevice({
      udid: p.udid,
      serialNumber: p.serial,
      productName: p.product,
      rewriteUrl: rewrite,
      scepEnroll: async (o) => {
        const issued = await defaultScepEnroll(o);
        identity = { certDer: issued.certDer, privateKeyPem: issued.privateKeyPem };
        return issued;
      },
    });
    const profile = await sim.installDownloadedProfile(new Uint8Array(await res.arrayBuffer()));
    const scep = (profile.PayloadContent as Record<string, unknown>[]).find((x) => x.PayloadType === "com.apple.security.scep")!;
    // The subject names the device's real UDID, not a per-download reference.
    expect(JSON.stringify((scep.PayloadContent as Record<string, unknown>).Subject)).toContain(p.udid);
    const cert = await t.client.certificate.findFirstOrThrow({ where: { enrollmentTokenId: tokenId } });
    expect(cert.boundUdid).toBe(p.udid);
    // The profile (and so the identity) moved to another device, which authenticates first: refused, with the reason and the fix.
    const other = new SimDevice({ udid: randomUdid(), rewriteUrl: rewrite, checkInUrl: sim.checkInUrl, serverUrl: sim.serverUrl, topic: sim.topic });
    await other.useIdentity(identity!);
    const refused = await other.authenticate();
    expect(refused.status).toBe(401);
    const line = await t.client.enrollmentLog.findFirst({ where: { reason: "checkin_udid_mismatch" }, orderBy: { time: "desc" } });
    expect(line?.message).toContain(`issued for UDID ${p.udid}`);
    expect(await t.client.device.findUnique({ where: { identifier: other.udid } })).toBeNull();

    // The device it was made for enrolls with it.
    await sim.enrollMdm();
    expect(await t.client.device.findUniqueOrThrow({ where: { identifier: p.udid } })).toMatchObject({ tokenId, certSerial: cert.serial });
  });

  it("records a signer that does not chain to Apple's device CA (warning) and still makes the profile", async () => {
    const { jwt, id: tokenId } = await createEnrollmentToken({ name: "Bound Macs", expiresIn: "7d", deviceBound: true });
    const p = phone({ product: "Mac14,2", version: "23E224", udid: "5B0E8E5C-6C2A-4C7B-9B43-1D2F3A4B5C6D" });
    const res = await answer(await phaseOne(jwt), p, { signer: "self" });
    expect(res.status).toBe(200);
    expect(await t.client.deviceBinding.findFirstOrThrow({ where: { tokenId } })).toMatchObject({ appleSigned: false, udid: p.udid });
    const line = await lastLog("ota.device");
    expect(line).toMatchObject({ outcome: "WARNING" });
    expect(line?.message).toContain("NOT signed by a certificate from Apple's device CA");
  });

  it("refuses a wrong challenge, a replayed answer, garbage and an unknown step, each with its reason and never a 500", async () => {
    const { jwt } = await createEnrollmentToken({ name: "Bound 2", expiresIn: "7d", deviceBound: true });
    const ps = await phaseOne(jwt);
    const p = phone();
    const wrong = await answer(ps, p, { challenge: "not-the-challenge" });
    expect(wrong.status).toBe(403);
    expect((await lastLog("ota.device"))?.reason).toBe("profile_service_challenge");
    expect((await answer(ps, p)).status).toBe(200);
    const replay = await answer(ps, p);
    expect(replay.status).toBe(410);
    expect((await lastLog("ota.device"))?.message).toContain("repeats a step already answered");
    for (const body of [new Uint8Array(0), new TextEncoder().encode("<plist>not signed</plist>"), new Uint8Array(70_000).fill(0x30)]) {
      const r = await postDeviceAttributes(rewrite(ps.url), body);
      expect(r.status).toBe(400);
      expect((await lastLog("ota.device"))?.reason).toBe("profile_service_malformed");
    }
    const unknown = await postDeviceAttributes(`${server.url}/enroll/device/cunknownbinding000000000`, new Uint8Array([0x30, 0x00]));
    expect(unknown.status).toBe(404);
  });

  it("require attestation: refuses a model that cannot attest with a clear page and log line, and gives the held use back", async () => {
    const { jwt, id: tokenId } = await createEnrollmentToken({ name: "Attested only", expiresIn: "7d", requireAttestation: true, maxUses: 1 });
    expect((await t.client.enrollmentToken.findUniqueOrThrow({ where: { id: tokenId } })).deviceBound).toBe(true);
    // iPhone9,1 is an iPhone 7 (A10 Fusion): it cannot attest.
    const res = await answer(await phaseOne(jwt), phone({ product: "iPhone9,1", version: "20H330" }));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("This device cannot use this link");
    const line = await lastLog("ota.device");
    expect(line).toMatchObject({ reason: "attestation_required", outcome: "ERROR" });
    expect(line?.message).toContain("iPhone9,1 predates the chips that attest");
    expect((await t.client.enrollmentToken.findUniqueOrThrow({ where: { id: tokenId } })).claimedCount).toBe(0);
    // An iPhone that can attest is not refused on these grounds.
    const ok = await answer(await phaseOne(jwt), phone({ product: "iPhone15,2", version: "21E236" }));
    expect(ok.status).toBe(200);
  });

  it("keeps one-phase links as they were: the download is the enrollment profile", async () => {
    const { jwt } = await createEnrollmentToken({ name: "Classic", expiresIn: "7d" });
    const res = await fetch(`${server.url}/enroll/profile`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token: jwt }).toString() });
    expect(res.status).toBe(200);
    await expect(readProfileService(new Uint8Array(await res.arrayBuffer()))).rejects.toThrow("not a Profile Service profile");
  });
});
