// device-attest-01 end to end over real HTTP: a device stand-in (jose JWS, a P-256 "Secure
// Enclave" key, an Apple-shaped attestation chain from a test root configured as the trust
// anchor, a CSR made by OpenSSL) gets a certificate that OpenSSL verifies to our CA; each
// refusal the issue names has its own reason in the enrollment log.
import { execFileSync } from "node:child_process";
import crypto, { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acmeBoundDevice, createAcmeEnrollment } from "@/lib/acme/enrollment";
import { db } from "@/lib/db/client";
import { clearCaCache, getCa } from "@/lib/pki/ca";
import { toPem } from "@/lib/pki/der";
import { validatePayload } from "@/lib/profiles/appleSchema";
import { clearServerKeyCache } from "@/lib/secrets/serverKeys";
import { AcmeClient, appleAttestationObject, deviceAttestPayload, deviceKey, opensslCsr } from "@/test/helpers/acmeDeviceClient";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { makeAppleAttestationChain, makeTestAttestationRoot, type TestAttestationRoot } from "@/test/helpers/fakeAppleAttestation";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";

const PUBLIC_URL = process.env.PUBLIC_URL!;
let t: TestDb;
let server: RouteServer;
let root: TestAttestationRoot;
let caPem: string;

beforeAll(async () => {
  t = await createTestDb();
  clearServerKeyCache();
  clearCaCache();
  root = makeTestAttestationRoot();
  process.env.ATTESTATION_TEST_ROOTS_PEM = root.rootPem;
  caPem = toPem((await getCa()).certDer, "CERTIFICATE");
  server = await serveRouteImports({ "/acme/[...path]": import("@/app/acme/[...path]/route") });
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

const udid = () => `00008030-${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
const serial = () => `F${crypto.randomBytes(5).toString("hex").toUpperCase()}`;

async function logReasons(identifier: string): Promise<(string | null)[]> {
  const rows = await db().enrollmentLog.findMany({ where: { step: "acme", deviceIdentifier: identifier }, orderBy: { time: "asc" } });
  return rows.map((r) => r.reason);
}

async function lastLog(): Promise<{ reason: string | null; message: string }> {
  const row = await db().enrollmentLog.findFirst({ where: { step: "acme" }, orderBy: [{ time: "desc" }, { id: "desc" }] });
  return { reason: row!.reason, message: row!.message };
}

/** Account and order for the identifier; returns the client, the order and its challenge. */
async function orderFor(identifier: string) {
  const client = new AcmeClient(server.url, PUBLIC_URL);
  expect((await client.newAccount()).status).toBe(201);
  const order = await client.newOrder([{ type: "permanent-identifier", value: identifier }]);
  return { client, order, ...(order.status === 201 ? await client.firstChallenge(order) : { authzUrl: "", challenge: { type: "", url: "", token: "", status: "" } }) };
}

const PY_PERMANENT_ID = `
import sys
from cryptography import x509
cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
for o in san.get_values_for_type(x509.OtherName):
    print(o.type_id.dotted_string, o.value.hex())
`;

function openssl(args: string[], input?: Buffer): string {
  return execFileSync("openssl", args, { input }).toString();
}

describe("createAcmeEnrollment", () => {
  it("builds a com.apple.security.acme payload that Apple's schema accepts", async () => {
    const e = await createAcmeEnrollment({ udid: udid(), serialNumber: serial(), enrollmentRef: "token:abc", subject: "CN=Device,O=Example" });
    expect(validatePayload("com.apple.security.acme", e.payload, { os: "iOS" })).toEqual([]);
    expect(validatePayload("com.apple.security.acme", e.payload, { os: "macOS" })).toEqual([]);
    expect(e.payload).toMatchObject({
      DirectoryURL: `${PUBLIC_URL}/acme/directory`,
      ClientIdentifier: e.clientIdentifier,
      KeyType: "ECSECPrimeRandom",
      KeySize: 256,
      HardwareBound: true,
      Attest: true,
      Subject: [[["CN", "Device"]], [["O", "Example"]]],
    });
    expect(e.directoryUrl).toBe(`${PUBLIC_URL}/acme/directory`);
  });

  it("refuses an enrollment that names no device", async () => {
    await expect(createAcmeEnrollment({ enrollmentRef: "x" })).rejects.toThrow(/UDID or serial/);
  });
});

describe("device-attest-01", () => {
  it("issues a certificate bound to the attested key, UDID and serial (OpenSSL verifies it)", async () => {
    const device = { udid: udid(), serialNumber: serial() };
    const e = await createAcmeEnrollment({ ...device, subject: "CN=Attested Device" });
    const { client, order, authzUrl, challenge } = await orderFor(e.clientIdentifier);
    expect(order.status).toBe(201);
    expect(challenge.type).toBe("device-attest-01");
    expect(challenge.token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    const key = deviceKey();
    const answer = await client.post(challenge.url, deviceAttestPayload(root, challenge.token, { ...device, osVersion: "18.2", sepOsVersion: "22.3.1", publicKey: key.publicKey }));
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe("valid");
    expect((await client.post(authzUrl, "")).body.status).toBe("valid");
    const orderUrl = order.headers.get("location")!;
    expect((await client.post(orderUrl, "")).body.status).toBe("ready");

    const csr = opensslCsr(key.privateKey, "/CN=whatever the device asks");
    const fin = await client.post(order.body.finalize as string, { csr: csr.toString("base64url") });
    expect(fin.status).toBe(200);
    expect(fin.body.status).toBe("valid");
    const certRes = await client.post(fin.body.certificate as string, "");
    expect(certRes.status).toBe(200);
    expect(certRes.headers.get("content-type")).toBe("application/pem-certificate-chain");
    const leaf = new X509Certificate(certRes.text);
    // The attested key, our CA, the subject the enrollment chose, the identifier as PermanentIdentifier.
    expect(leaf.publicKey.export({ type: "spki", format: "der" }).equals(key.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
    expect(leaf.subject).toBe("CN=Attested Device");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "acme-verify-"));
    fs.writeFileSync(path.join(dir, "ca.pem"), caPem);
    fs.writeFileSync(path.join(dir, "leaf.pem"), certRes.text);
    expect(openssl(["verify", "-x509_strict", "-CAfile", path.join(dir, "ca.pem"), "-purpose", "sslclient", path.join(dir, "leaf.pem")])).toContain("OK");
    // pyca/cryptography's RFC 5280 / Web PKI client profile, as for SCEP identities.
    expect(execFileSync("python3", [path.resolve("test/verifiers/pyca_verify.py"), path.join(dir, "ca.pem"), "-", path.join(dir, "leaf.pem"), "client"]).toString()).toMatch(/^OK \d+/);
    const text = openssl(["x509", "-in", path.join(dir, "leaf.pem"), "-noout", "-text"]);
    expect(text).toMatch(/Subject Alternative Name:[\s\S]*othername:[^\n]*(1\.3\.6\.1\.5\.5\.7\.8\.3|Permanent Identifier)/i);
    // pyca/cryptography reads the otherName: PermanentIdentifier ::= SEQUENCE { identifierValue UTF8String } (RFC 4043).
    const py = execFileSync("python3", ["-c", PY_PERMANENT_ID, path.join(dir, "leaf.pem")])
      .toString()
      .trim();
    expect(py).toBe(`1.3.6.1.5.5.7.8.3 ${Buffer.concat([Buffer.from([0x30, e.clientIdentifier.length + 2, 0x0c, e.clientIdentifier.length]), Buffer.from(e.clientIdentifier)]).toString("hex")}`);
    fs.rmSync(dir, { recursive: true, force: true });

    const log = await db().enrollmentLog.findMany({ where: { step: "acme", deviceIdentifier: e.clientIdentifier, outcome: "OK" } });
    expect(log.map((l) => l.message).join("\n")).toMatch(new RegExp(`issued certificate [0-9a-f]+ .*serial ${device.serialNumber}, UDID ${device.udid}, OS 18.2, SEP OS 22.3.1`));
    // Authenticate can ask which device the certificate belongs to.
    expect(await acmeBoundDevice((fin.body.certificate as string).split("/").pop()!)).toEqual({
      udid: device.udid,
      serialNumber: device.serialNumber,
      attestedSerialNumber: device.serialNumber,
      attestedUdid: device.udid,
    });
    // The binding is spent: a second order for the same enrollment is refused.
    const again = await client.newOrder([{ type: "permanent-identifier", value: e.clientIdentifier }]);
    expect(again.body.type).toBe("urn:ietf:params:acme:error:rejectedIdentifier");
  });

  it("refuses an attestation whose freshness code is not SHA-256 of the token", async () => {
    const device = { udid: udid(), serialNumber: serial() };
    const e = await createAcmeEnrollment(device);
    const { client, challenge, order } = await orderFor(e.clientIdentifier);
    const key = deviceKey();
    // What a replay looks like: the freshness of some other challenge.
    const r = await client.post(
      challenge.url,
      deviceAttestPayload(root, challenge.token, { ...device, publicKey: key.publicKey, freshness: crypto.createHash("sha256").update("another-token").digest() }),
    );
    expect(r.body.status).toBe("invalid");
    expect((r.body.error as { type: string }).type).toBe("urn:ietf:params:acme:error:badAttestationStatement");
    expect(await logReasons(e.clientIdentifier)).toContain("acme_attestation_nonce");
    expect((await client.post(order.headers.get("location")!, "")).body.status).toBe("invalid");
  });

  it("refuses a chain that does not end at the configured root", async () => {
    const device = { udid: udid(), serialNumber: serial() };
    const e = await createAcmeEnrollment(device);
    const { client, challenge } = await orderFor(e.clientIdentifier);
    const otherRoot = makeTestAttestationRoot("Test Enterprise Attestation Root CA");
    const r = await client.post(challenge.url, deviceAttestPayload(otherRoot, challenge.token, { ...device, publicKey: deviceKey().publicKey }));
    expect(r.body.status).toBe("invalid");
    expect(await logReasons(e.clientIdentifier)).toContain("acme_attestation_chain");
  });

  it("refuses a device that is not in the inventory, and one that attests another serial", async () => {
    const unknown = serial();
    const { order } = await orderFor(unknown);
    expect(order.status).toBe(400);
    expect(order.headers.get("content-type")).toBe("application/problem+json");
    expect(order.body.type).toBe("urn:ietf:params:acme:error:rejectedIdentifier");
    expect((await lastLog()).reason).toBe("acme_not_in_inventory");

    const device = { udid: udid(), serialNumber: serial() };
    const e = await createAcmeEnrollment(device);
    const { client, challenge } = await orderFor(e.clientIdentifier);
    const r = await client.post(challenge.url, deviceAttestPayload(root, challenge.token, { udid: udid(), serialNumber: unknown, publicKey: deviceKey().publicKey }));
    expect(r.body.status).toBe("invalid");
    expect(await logReasons(e.clientIdentifier)).toContain("acme_identifier_mismatch");
  });

  it("refuses a CSR whose key is not the attested key", async () => {
    const device = { udid: udid(), serialNumber: serial() };
    const e = await createAcmeEnrollment(device);
    const { client, challenge, order } = await orderFor(e.clientIdentifier);
    const attested = deviceKey();
    expect((await client.post(challenge.url, deviceAttestPayload(root, challenge.token, { ...device, publicKey: attested.publicKey }))).body.status).toBe("valid");
    const other = deviceKey();
    const fin = await client.post(order.body.finalize as string, { csr: opensslCsr(other.privateKey, "/CN=x").toString("base64url") });
    expect(fin.status).toBe(400);
    expect(fin.body.type).toBe("urn:ietf:params:acme:error:badCSR");
    expect((await lastLog()).reason).toBe("acme_csr_key_mismatch");
    // And the order cannot be finalized afterwards with the right key either: a mismatch is an attack, not a typo.
    const retry = await client.post(order.body.finalize as string, { csr: opensslCsr(attested.privateKey, "/CN=x").toString("base64url") });
    expect(retry.body.type).toBe("urn:ietf:params:acme:error:orderNotReady");
  });

  it("accepts a Mac's attestation, whose UDID is its ProvisioningUDID, by the enrollment's serial number", async () => {
    const mac = { udid: udid(), serialNumber: serial() };
    const e = await createAcmeEnrollment(mac);
    expect(e.clientIdentifier).toBe(mac.serialNumber);
    const { client, challenge } = await orderFor(e.clientIdentifier);
    const r = await client.post(challenge.url, deviceAttestPayload(root, challenge.token, { serialNumber: mac.serialNumber, udid: udid(), publicKey: deviceKey().publicKey }));
    expect(r.body.status).toBe("valid");
  });

  it("uses the UDID when the enrollment knows only that, and then the attested UDID must match", async () => {
    const only = udid();
    const e = await createAcmeEnrollment({ udid: only });
    expect(e.clientIdentifier).toBe(only);
    const first = await orderFor(only);
    expect(
      (await first.client.post(first.challenge.url, deviceAttestPayload(root, first.challenge.token, { serialNumber: serial(), udid: udid(), publicKey: deviceKey().publicKey }))).body.status,
    ).toBe("invalid");
    expect(await logReasons(only)).toContain("acme_identifier_mismatch");
    const second = await orderFor(only);
    expect(
      (await second.client.post(second.challenge.url, deviceAttestPayload(root, second.challenge.token, { serialNumber: serial(), udid: only, publicKey: deviceKey().publicKey }))).body.status,
    ).toBe("valid");
  });

  it("issues to a pre-registered serial without an enrollment binding", async () => {
    const s = serial();
    await db().acmeRegisteredDevice.create({ data: { serialNumber: s } });
    const { client, challenge, order } = await orderFor(s);
    expect(order.status).toBe(201);
    const key = deviceKey("P-384");
    expect((await client.post(challenge.url, deviceAttestPayload(root, challenge.token, { serialNumber: s, udid: udid(), publicKey: key.publicKey }))).body.status).toBe("valid");
    const fin = await client.post(order.body.finalize as string, { csr: opensslCsr(key.privateKey, "/CN=x").toString("base64url") });
    expect(fin.body.status).toBe("valid");
  });

  it("answers hostile attestation objects with a problem, never a 500", async () => {
    const device = { udid: udid(), serialNumber: serial() };
    const e = await createAcmeEnrollment(device);
    // A well-formed statement in another attestation format.
    const other = appleAttestationObject(makeAppleAttestationChain(root, { ...device, freshness: Buffer.alloc(32), publicKey: deviceKey().publicKey }));
    other.write("tpm\u0000\u0000", other.indexOf("apple"), "latin1");
    for (const payload of [
      { attObj: other.toString("base64url") },
      {},
      { attObj: "" },
      { attObj: "!!" },
      { attObj: Buffer.from([0xbf, 0xff]).toString("base64url") },
      { attObj: "A".repeat(70_000) },
      { attObj: Buffer.from([0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f]).toString("base64url") },
    ]) {
      const { client, challenge } = await orderFor(e.clientIdentifier);
      const r = await client.post(challenge.url, payload);
      expect(r.status).toBeLessThan(500);
      expect(r.body.status).toBe("invalid");
    }
    expect(await logReasons(e.clientIdentifier)).toContain("acme_attestation_malformed");
  });
});
