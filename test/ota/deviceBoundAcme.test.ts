// Done-when, end to end through the real handlers: an iPhone stand-in enrolls over OTA with the
// Profile Service phase (attributes signed by OpenSSL under a stand-in Apple device CA), gets an
// enrollment profile whose MDM identity is Apple's ACME payload, obtains its identity from our ACME
// server with device-attest-01 (attestation from the test attestation root, CSR by OpenSSL),
// checks in with that certificate, and the device shows as hardware-attested. The certificate is
// bound to the UDID: another UDID presenting it is refused.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attestationForCertificate } from "@/lib/acme/admin";
import { config } from "@/lib/config";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { getDeviceDetail } from "@/lib/inventory/deviceDetail";
import { verifySignedData } from "@/lib/pki/cms";
import { fromPem } from "@/lib/pki/der";
import { isPlistDict, parsePlistStrict, type PlistDict } from "@/lib/plist/plist";
import { validateProfile } from "@/lib/profiles/appleSchema";
import { AcmeClient, deviceAttestPayload, deviceKey, opensslCsr } from "@/test/helpers/acmeDeviceClient";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { makeTestAttestationRoot, type TestAttestationRoot } from "@/test/helpers/fakeAppleAttestation";
import { makeDeviceIdentity, makeTestDeviceCa, postDeviceAttributes, readProfileService, signDeviceAttributes, type TestDeviceCa } from "@/test/helpers/fakeProfileService";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";
import { randomUdid } from "@/test/mdm/helpers";
import { SimDevice } from "@/test/sim/device";

let t: TestDb;
let server: RouteServer;
let deviceCa: TestDeviceCa;
let attestRoot: TestAttestationRoot;
const publicUrl = () => config().publicUrl;
const rewrite = (u: string) => u.replace(publicUrl(), server.url);

beforeAll(async () => {
  t = await createTestDb();
  deviceCa = makeTestDeviceCa();
  attestRoot = makeTestAttestationRoot();
  process.env.PROFILE_SERVICE_TEST_CA_PEM = deviceCa.caPem;
  process.env.ATTESTATION_TEST_ROOTS_PEM = attestRoot.rootPem;
  server = await serveRouteImports({
    "/enroll/profile": import("@/app/enroll/profile/route"),
    "/enroll/device/[binding]": import("@/app/enroll/device/[binding]/route"),
    "/acme/[...path]": import("@/app/acme/[...path]/route"),
    "/mdm/checkin": import("@/app/mdm/checkin/route"),
    "/mdm/connect": import("@/app/mdm/connect/route"),
  });
});
afterAll(async () => {
  delete process.env.PROFILE_SERVICE_TEST_CA_PEM;
  delete process.env.ATTESTATION_TEST_ROOTS_PEM;
  await server.close();
  await t.close();
});

describe("device-bound OTA enrollment with an attested ACME identity", () => {
  it("enrolls an iPhone 14 Pro on iOS 17.4 end to end and shows it hardware-attested", async () => {
    const iphone = { udid: randomUdid(), serialNumber: `F${crypto.randomBytes(4).toString("hex").toUpperCase()}Q1G`, product: "iPhone15,2", build: "21E236" };
    const { jwt, id: tokenId } = await createEnrollmentToken({ name: "Attested iPhones", expiresIn: "7d", requireAttestation: true, maxUses: 1 });

    // Phase one: the Profile Service profile; phase two: the signed attributes.
    const dl = await fetch(`${server.url}/enroll/profile`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token: jwt }).toString() });
    const ps = await readProfileService(new Uint8Array(await dl.arrayBuffer()));
    const attrs = { UDID: iphone.udid, SERIAL: iphone.serialNumber, PRODUCT: iphone.product, VERSION: iphone.build, DEVICE_NAME: "Attested iPhone", CHALLENGE: ps.challenge };
    const res = await postDeviceAttributes(rewrite(ps.url), signDeviceAttributes(attrs, makeDeviceIdentity(iphone.udid, deviceCa), deviceCa));
    expect(res.status).toBe(200);

    // The enrollment profile: schema-valid, its MDM identity is the ACME payload naming this device.
    const top = parsePlistStrict((await verifySignedData(new Uint8Array(await res.arrayBuffer()))).content) as PlistDict;
    expect(validateProfile(top, { os: "iOS", userEnrollment: false })).toEqual([]);
    const payloads = (top.PayloadContent as PlistDict[]).filter(isPlistDict);
    const acme = payloads.find((p) => p.PayloadType === "com.apple.security.acme")!;
    const mdm = payloads.find((p) => p.PayloadType === "com.apple.mdm")!;
    expect(payloads.some((p) => p.PayloadType === "com.apple.security.scep")).toBe(false);
    expect(mdm.IdentityCertificateUUID).toBe(acme.PayloadUUID);
    expect(acme).toMatchObject({ ClientIdentifier: iphone.serialNumber, HardwareBound: true, Attest: true, KeyType: "ECSECPrimeRandom" });
    expect(await t.client.deviceBinding.findFirstOrThrow({ where: { tokenId } })).toMatchObject({ identityKind: "acme", udid: iphone.udid, appleSigned: true });

    // The device's ACME client: account, order for its permanent identifier, device-attest-01, finalize.
    const client = new AcmeClient(server.url, publicUrl());
    await client.directory();
    expect(rewrite(String(acme.DirectoryURL))).toBe(`${server.url}/acme/directory`);
    expect((await client.newAccount()).status).toBe(201);
    const order = await client.newOrder([{ type: "permanent-identifier", value: String(acme.ClientIdentifier) }]);
    expect(order.status).toBe(201);
    const { challenge } = await client.firstChallenge(order);
    expect(challenge.type).toBe("device-attest-01");
    const key = deviceKey("P-256");
    const attested = await client.post(
      challenge.url,
      deviceAttestPayload(attestRoot, challenge.token, { serialNumber: iphone.serialNumber, udid: iphone.udid, osVersion: "17.4", sepOsVersion: "17.4", publicKey: key.publicKey }),
    );
    expect(attested.body.status).toBe("valid");
    const fin = await client.post(order.body.finalize as string, { csr: opensslCsr(key.privateKey, `/CN=${iphone.serialNumber}`).toString("base64url") });
    expect(fin.body.status).toBe("valid");
    const chain = await client.post(fin.body.certificate as string, "");
    const certDer = fromPem(chain.text, ["CERTIFICATE"]);
    const certRow = await t.client.certificate.findFirstOrThrow({ where: { der: new Uint8Array(certDer) } });
    expect(certRow.boundUdid).toBe(iphone.udid);

    // The profile installed elsewhere: another UDID presenting this identity is refused.
    const identity = { certDer, privateKeyPem: key.privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
    const urls = { checkInUrl: rewrite(String(mdm.CheckInURL)), serverUrl: rewrite(String(mdm.ServerURL)), topic: String(mdm.Topic) };
    const impostor = new SimDevice({ udid: randomUdid(), ...urls });
    await impostor.useIdentity(identity);
    expect((await impostor.authenticate()).status).toBe(401);
    expect((await t.client.enrollmentLog.findFirst({ where: { reason: "checkin_udid_mismatch" }, orderBy: { time: "desc" } }))?.message).toContain(iphone.udid);

    // The iPhone checks in with its attested identity (EC P-256, signed check-ins).
    const sim = new SimDevice({ udid: iphone.udid, serialNumber: iphone.serialNumber, productName: iphone.product, osVersion: "17.4", buildVersion: iphone.build, ...urls });
    await sim.useIdentity(identity);
    await sim.enrollMdm();
    const device = await t.client.device.findUniqueOrThrow({ where: { identifier: iphone.udid } });
    expect(device).toMatchObject({ tokenId, certSerial: certRow.serial, serialNumber: iphone.serialNumber });
    expect((await t.client.enrollmentToken.findUniqueOrThrow({ where: { id: tokenId } })).useCount).toBe(1);

    // Hardware-attested: on the device record (device page card, API) and on the certificate line.
    const detail = await getDeviceDetail(device.id);
    expect(detail.attestation).toMatchObject({ status: "verified", source: "acme", serialNumber: iphone.serialNumber, udid: iphone.udid, osVersion: "17.4", sepOsVersion: "17.4" });
    expect(await attestationForCertificate(certRow.serial)).toMatchObject({ serialNumber: iphone.serialNumber, udid: iphone.udid });
    expect(detail.log.map((l) => l.message).join("\n")).toContain(`Hardware-attested: identity certificate ${certRow.serial} was issued through ACME device-attest-01`);
  });
});
