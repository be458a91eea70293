// Done-when: a fresh install refuses to hand out a profile (no placeholder topic); the admin
// generates the push CSR here, signs it with an MDM vendor certificate (a test vendor under a
// test "Apple" root, made by OpenSSL), "Apple" issues the push certificate for the CSR (a test
// CA, OpenSSL), the admin uploads it, and the same enrollment link then works with the
// certificate's topic in the profile, and pushes reach the APNs stand-in under that topic.
// The signed request is checked with OpenSSL and Python's plistlib, not with our code.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { checkEnrollmentLink } from "@/lib/enrollment/otaService";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { ApnsClient } from "@/lib/mdm/apns";
import { enqueueCommand } from "@/lib/mdm/commands";
import { pushesSettled, setPushSender } from "@/lib/mdm/push";
import { loadApnsCredentials } from "@/lib/settings/apnsCredentials";
import { createPushRequest, pendingPushRequest, vendorSignRequest } from "@/lib/mdm/pushCertificateRequest";
import { apnsStatus, readPkcs12Upload, uploadApnsCertificate } from "@/lib/mdm/apnsCertificate";
import { createApnsPki, startApnsStandIn, type ApnsPki } from "@/test/helpers/apnsStandIn";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { SimDevice } from "@/test/sim/device";
import { serveOtaEnrollment } from "./helpers";

let t: TestDb;
let server: RouteServer;
let pki: ApnsPki;
const labSetting = config().allowEnrollWithoutPush;

const file = (name: string) => path.join(pki.dir, name);
const read = (name: string) => fs.readFileSync(file(name), "utf8");
const run = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { cwd: pki.dir, input, stdio: ["pipe", "pipe", "pipe"] }).toString("utf8");

beforeAll(async () => {
  t = await createTestDb();
  server = await serveOtaEnrollment();
  pki = createApnsPki("com.apple.mgmt.External.unused");
  // A fresh install: the lab setting off, as in production.
  config().allowEnrollWithoutPush = false;
  // "Apple": a root, the WWDR intermediate, an MDM vendor (MDM CSR) certificate under it, and
  // the push certificate CA; all OpenSSL.
  fs.writeFileSync(file("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
  fs.writeFileSync(file("leaf.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
  pki.openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "root.key",
    "-out",
    "root.pem",
    "-days",
    "30",
    "-subj",
    "/CN=Test Apple Root CA/O=Test Apple",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  pki.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "wwdr.key", "-out", "wwdr.csr", "-subj", "/CN=Test WWDR CA/O=Test Apple"]);
  pki.openssl(["x509", "-req", "-in", "wwdr.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "2", "-days", "30", "-extfile", "ca.ext", "-out", "wwdr.pem"]);
  pki.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "vendor.key", "-out", "vendor.csr", "-subj", "/CN=MDM Vendor: Example Org/OU=TEAM123456/O=Example Org"]);
  pki.openssl(["x509", "-req", "-in", "vendor.csr", "-CA", "wwdr.pem", "-CAkey", "wwdr.key", "-set_serial", "3", "-days", "30", "-extfile", "leaf.ext", "-out", "vendor.pem"]);
  // As exported from Keychain Access: the vendor identity as a .p12 with a password.
  pki.openssl([
    "pkcs12",
    "-export",
    "-in",
    "vendor.pem",
    "-inkey",
    "vendor.key",
    "-out",
    "vendor.p12",
    "-passout",
    "pass:vendor-secret",
    "-keypbe",
    "PBE-SHA1-3DES",
    "-certpbe",
    "PBE-SHA1-3DES",
    "-macalg",
    "sha1",
  ]);
  pki.openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "apsca.key",
    "-out",
    "apsca.pem",
    "-days",
    "30",
    "-subj",
    "/CN=Test Apple Application Integration CA/O=Test Apple",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
});
afterAll(async () => {
  config().allowEnrollWithoutPush = labSetting;
  setPushSender(null);
  await server.close();
  await t.close();
  pki.cleanup();
});

/** "Apple's" answer: a push certificate for the CSR, subject UID = the topic. */
function applePushCertificate(csrPem: string, topic: string, name: string): string {
  fs.writeFileSync(file(`${name}.csr`), csrPem);
  pki.openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "apsca.pem",
    "-CAkey",
    "apsca.key",
    "-set_serial",
    String(crypto.randomInt(1000, 1_000_000)),
    "-days",
    "365",
    "-subj",
    `/UID=${topic}/CN=APSP:${topic.slice(-36)}/C=US`,
    "-extfile",
    "leaf.ext",
    "-out",
    `${name}.pem`,
  ]);
  return read(`${name}.pem`);
}

const publicUrl = () => config().publicUrl;
const TOPIC = `com.apple.mgmt.External.${crypto.randomUUID()}`;

describe("push setup from a fresh install", () => {
  let link: string;
  let tokenId: string;

  it("refuses the enrollment link while there is no push certificate: page, profile download (503) and log", async () => {
    const token = await createEnrollmentToken({ name: "First", expiresIn: "7d", maxUses: 3 });
    link = token.url;
    tokenId = token.id;
    expect((await apnsStatus()).topic).toBeNull();
    const jwt = new URL(link).searchParams.get("token");
    expect(await checkEnrollmentLink(jwt)).toEqual({ ok: false, reason: "push_not_configured" });
    const res = await fetch(`${server.url}/enroll/profile`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: jwt ?? "" }).toString(),
    });
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/not ready to enroll devices: the administrator must add an APNs certificate/);
    const line = await t.client.enrollmentLog.findFirstOrThrow({ where: { tokenId, step: "ota.profile" } });
    expect(line).toMatchObject({ outcome: "ERROR", reason: "push_not_configured" });
    // Nothing was used up.
    expect((await t.client.enrollmentToken.findUniqueOrThrow({ where: { id: tokenId } })).useCount).toBe(0);
  });

  it("generates the CSR, signs it with the vendor certificate in Apple's format, installs Apple's certificate, and the same link works", async () => {
    const request = await createPushRequest();
    fs.writeFileSync(file("push.csr.pem"), request.csrPem);
    expect(`${run("openssl", ["req", "-in", "push.csr.pem", "-noout", "-verify"])}`).toBeDefined();
    // The key stays sealed: no PEM key in the settings table.
    const row = await t.client.setting.findUniqueOrThrow({ where: { key: "apns.request" } });
    expect(row.value).not.toMatch(/PRIVATE KEY/);
    expect((JSON.parse(row.value) as { keyEnc: string }).keyEnc).toMatch(/^v1\./);

    const vendor = readPkcs12Upload(fs.readFileSync(file("vendor.p12")), "vendor-secret");
    expect(() => readPkcs12Upload(fs.readFileSync(file("vendor.p12")), "wrong")).toThrow(/Wrong password/);
    if (!vendor.keyPem) throw new Error("no key in the vendor .p12");
    const signed = vendorSignRequest(request.csrDer, [...vendor.certPems, read("root.pem"), read("wwdr.pem")], vendor.keyPem);
    expect(signed.warnings).toEqual([]);

    // What identity.apple.com receives: base64 of an XML plist with the three keys.
    fs.writeFileSync(file("request.b64"), signed.request);
    const fields = JSON.parse(run("python3", ["-c", "import base64,plistlib,sys,json; d=plistlib.loads(base64.b64decode(open('request.b64').read())); print(json.dumps(d))"])) as Record<
      string,
      string
    >;
    expect(Object.keys(fields).sort()).toEqual(["PushCertCertificateChain", "PushCertRequestCSR", "PushCertSignature"]);
    const csrDer = Buffer.from(fields.PushCertRequestCSR, "base64");
    expect(csrDer.equals(Buffer.from(request.csrDer))).toBe(true);
    fs.writeFileSync(file("csr.der"), csrDer);
    fs.writeFileSync(file("sig.bin"), Buffer.from(fields.PushCertSignature, "base64"));
    run("openssl", ["x509", "-in", "vendor.pem", "-pubkey", "-noout", "-out", "vendor.pub"]);
    expect(run("openssl", ["dgst", "-sha256", "-verify", "vendor.pub", "-signature", "sig.bin", "csr.der"])).toMatch(/Verified OK/);
    // The chain: vendor certificate first, then WWDR, then the root; PEM lines of 64 characters.
    const chain = fields.PushCertCertificateChain;
    const blocks: string[] = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    expect(blocks).toHaveLength(3);
    for (const line of chain.split("\n").filter((l) => l && !l.startsWith("-----"))) expect(line.length).toBeLessThanOrEqual(64);
    const subjects = blocks.map((b) => new crypto.X509Certificate(b).subject.split("\n").find((l) => l.startsWith("CN=")));
    expect(subjects).toEqual(["CN=MDM Vendor: Example Org", "CN=Test WWDR CA", "CN=Test Apple Root CA"]);
    fs.writeFileSync(file("chain-vendor.pem"), blocks[0]);
    fs.writeFileSync(file("chain-wwdr.pem"), blocks[1]);
    fs.writeFileSync(file("chain-root.pem"), blocks[2]);
    expect(run("openssl", ["verify", "-CAfile", "chain-root.pem", "-untrusted", "chain-wwdr.pem", "chain-vendor.pem"])).toMatch(/OK/);

    // A certificate for some other key is not this server's: refused, nothing installed.
    pki.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "stray.key", "-out", "stray.csr", "-subj", "/CN=stray"]);
    const stray = applePushCertificate(read("stray.csr"), TOPIC, "stray-push");
    await expect(uploadApnsCertificate({ cert: stray })).rejects.toMatchObject({ code: "apns_key_mismatch" });
    expect((await apnsStatus()).certificate).toBeNull();

    // Apple answers the request with the push certificate; the admin uploads the .pem alone.
    const pushPem = applePushCertificate(run("openssl", ["req", "-inform", "DER", "-in", "csr.der"]), TOPIC, "push");
    const info = await uploadApnsCertificate({ cert: pushPem });
    expect(info).toMatchObject({ topic: TOPIC, strandedDevices: 0 });
    expect(await pendingPushRequest()).toBeNull();
    const status = await apnsStatus();
    expect(status).toMatchObject({ topic: TOPIC, expired: false, expiresSoon: false, labWithoutPush: false });
    const uid = run("openssl", ["x509", "-in", "push.pem", "-noout", "-subject", "-nameopt", "RFC2253"]).match(/UID=([^,\n]+)/)?.[1];
    expect(uid).toBe(TOPIC);

    // The same link now hands out a profile whose push topic is the certificate's UID.
    const jwt = new URL(link).searchParams.get("token");
    expect(await checkEnrollmentLink(jwt)).toMatchObject({ ok: true });
    const sim = new SimDevice({ rewriteUrl: (u) => u.replace(publicUrl(), server.url) });
    await sim.enrollOta(link);
    expect(sim.topic).toBe(uid);
    const device = await t.client.device.findUniqueOrThrow({ where: { identifier: sim.udid } });
    expect(device.topic).toBe(TOPIC);

    // And pushes go out under that certificate: the stand-in trusts "Apple's" CA, checks the UID.
    const apns = await startApnsStandIn({ pki, requireClientCert: true, clientCa: read("apsca.pem") });
    const creds = await loadApnsCredentials();
    if (creds?.kind !== "certificate") throw new Error("no certificate stored");
    const client = new ApnsClient({ baseUrl: apns.url, auth: creds, ca: pki.pem["ca.pem"] });
    setPushSender(client);
    await enqueueCommand(device.id, "DeviceInformation", { Queries: ["DeviceName"] });
    await pushesSettled();
    expect(apns.seen).toHaveLength(1);
    expect(apns.seen[0]).toMatchObject({ clientUid: TOPIC, headers: expect.objectContaining({ "apns-topic": TOPIC }) });
    expect(JSON.parse(apns.seen[0].body)).toEqual({ mdm: device.pushMagic });
    setPushSender(null);
    await client.close();
    await apns.close();
  });

  it("renews under the same topic freely, but a new topic needs the admin's word that devices re-enroll", async () => {
    // Renewal: a new request, Apple's certificate with the same topic.
    const renewal = await createPushRequest();
    const renewed = applePushCertificate(renewal.csrPem, TOPIC, "renewed");
    expect(await uploadApnsCertificate({ cert: renewed })).toMatchObject({ topic: TOPIC, strandedDevices: 0 });

    // Another topic, as a .p12 exported with a password: refused while a device is enrolled under the old one.
    const other = `com.apple.mgmt.External.${crypto.randomUUID()}`;
    pki.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.csr", "-subj", "/CN=other"]);
    applePushCertificate(read("other.csr"), other, "other");
    pki.openssl(["pkcs12", "-export", "-in", "other.pem", "-inkey", "other.key", "-out", "other.p12", "-passout", "pass:p12-secret"]);
    const p12 = fs.readFileSync(file("other.p12"));
    await expect(uploadApnsCertificate({ p12, password: "nope" })).rejects.toMatchObject({ code: "invalid_p12" });
    await expect(uploadApnsCertificate({ p12, password: "p12-secret" })).rejects.toMatchObject({
      status: 409,
      code: "apns_topic_change",
      message: expect.stringMatching(/1 enrolled device could no longer be woken/),
    });
    expect((await apnsStatus()).topic).toBe(TOPIC);
    const replaced = await uploadApnsCertificate({ p12, password: "p12-secret", confirmTopicChange: true });
    expect(replaced).toMatchObject({ topic: other, strandedDevices: 1, previousTopic: TOPIC });
    expect((await apnsStatus()).topic).toBe(other);
  });
});
