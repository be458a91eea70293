// SCEP at the byte level with the pkijs client: transports (GET/POST), ciphers, RenewalReq,
// revocation, and hostile input (garbage, truncation, oversize, fuzzing) that must get a
// 4xx or a CertRep FAILURE, never a 500.
import crypto from "node:crypto";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggedCount } from "@/test/helpers/logCount";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile } from "@/lib/scep/profiles";
import { challengeForEnrollment } from "@/lib/scep/challenge";
import fs from "node:fs";
import path from "node:path";
import { getCa } from "@/lib/pki/ca";
import { getRa } from "@/lib/pki/ra";
import { lookupIssuedCertificate } from "@/lib/pki/certificates";
import { revokeCertificate } from "@/lib/pki/revocation";
import { ab, toPem } from "@/lib/pki/der";
import { AES_128_CBC, DES_EDE3_CBC } from "@/lib/scep/envelope";
import { MessageType, PkiStatus } from "@/lib/scep/message";
import { LIMITS } from "@/lib/http/body";
import { buildCsr, buildPkiMessage, getScepCerts, postPkiOperation, readCertRep, scepEnroll, scepRenew, selfSigned, ScepClientError } from "@/test/helpers/scepClient";
import { startScepServer, tempDir, tool } from "./tools";

let testDb: TestDb;
let server: RouteServer;
let url: string;
const CHALLENGE = "protocol-test-secret";

beforeAll(async () => {
  testDb = await createTestDb();
  server = await startScepServer();
  // Renewal window as long as the validity: RenewalReq is allowed right after issuance.
  const p = await createScepProfile({ name: "proto", challengeType: "STATIC", staticChallenge: CHALLENGE, subjectTemplate: "CN=$UDID,O=Proto", validityDays: 30, renewalWindowDays: 30 });
  url = `${server.url}/scep/${p.profile.id}`;
});
afterAll(async () => {
  await server?.close();
  await testDb?.close();
});

function keys() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

async function validRequest(subject = "CN=UDID-P,O=x", challenge: string | null = CHALLENGE) {
  const k = keys();
  const { raDer } = await getScepCerts(url);
  const csrDer = await buildCsr(subject, k.privatePem, k.publicPem, challenge);
  const signerCertDer = await selfSigned(subject, k.privatePem, k.publicPem);
  const req = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: k.privatePem });
  return { req, raDer, signerCertDer, k };
}

async function scepLogs() {
  return testDb.client.enrollmentLog.findMany({ where: { step: "scep" }, orderBy: { time: "asc" } });
}

describe("GetCACaps / GetCACert / CA download", () => {
  it("advertises what Apple and RFC 8894 clients look for", async () => {
    const res = await fetch(`${url}?operation=GetCACaps`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    const caps = (await res.text()).split("\n");
    for (const cap of ["POSTPKIOperation", "SHA-256", "AES", "SCEPStandard", "Renewal"]) expect(caps).toContain(cap);
  });

  it("GetCACert returns RA + CA as a degenerate PKCS#7 (application/x-x509-ca-ra-cert) that OpenSSL reads; /ca and /ca.pem serve the CA", async () => {
    const ca = await getCa();
    const ra = await getRa();
    const res = await fetch(`${url}?operation=GetCACert&message=ignored`);
    expect(res.headers.get("content-type")).toBe("application/x-x509-ca-ra-cert");
    const bundle = Buffer.from(await res.arrayBuffer());
    // OpenSSL's reading of the PKCS#7, not ours: RA first, then the CA.
    const dir = tempDir("getcacert-");
    fs.writeFileSync(path.join(dir, "bundle.p7"), bundle);
    const certs = (await tool("openssl", ["pkcs7", "-inform", "DER", "-in", path.join(dir, "bundle.p7"), "-print_certs"])).stdout;
    const blocks = [...certs.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => Buffer.from(m[0].replace(/-----[^-]+-----|\s/g, ""), "base64"));
    expect(blocks.map((b) => b.toString("hex"))).toEqual([Buffer.from(ra.certDer).toString("hex"), Buffer.from(ca.certDer).toString("hex")]);
    // The RA is issued by the CA, can sign and encipher, and is not a CA.
    fs.writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
    fs.writeFileSync(path.join(dir, "ra.pem"), toPem(ra.certDer, "CERTIFICATE"));
    expect((await tool("openssl", ["verify", "-x509_strict", "-CAfile", path.join(dir, "ca.pem"), path.join(dir, "ra.pem")])).stdout.trim()).toBe(`${path.join(dir, "ra.pem")}: OK`);
    const text = (await tool("openssl", ["x509", "-noout", "-text", "-in", path.join(dir, "ra.pem")])).stdout;
    expect(text).toMatch(/Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    expect(text).toMatch(/CA:FALSE/);
    fs.rmSync(dir, { recursive: true, force: true });
    const der = await fetch(`${server.url}/ca`);
    expect(der.headers.get("content-type")).toBe("application/pkix-cert");
    expect(Buffer.from(await der.arrayBuffer()).equals(Buffer.from(ca.certDer))).toBe(true);
    for (const u of [`${server.url}/ca.pem`, `${server.url}/ca?format=pem`]) {
      const pem = await fetch(u);
      expect(await pem.text()).toBe(ca.certPem);
    }
  });

  it("unknown profile: 404 and a scep_profile_not_found line; unknown operation: 400", async () => {
    expect((await fetch(`${server.url}/scep/nope?operation=GetCACert`)).status).toBe(404);
    expect((await fetch(`${server.url}/scep/nope?operation=PKIOperation`, { method: "POST", body: "x" })).status).toBe(404);
    expect((await scepLogs()).some((l) => l.reason === "scep_profile_not_found")).toBe(true);
    expect((await fetch(`${url}?operation=GetNextCACert`)).status).toBe(400);
    expect((await fetch(url)).status).toBe(400);
  });
});

describe("PKIOperation", () => {
  it("enrolls over POST with AES-256, AES-128 and DES-EDE3 envelopes; the answer uses the client's cipher", async () => {
    for (const cipherOid of [undefined, AES_128_CBC, DES_EDE3_CBC]) {
      const id = await scepEnroll({ url, challenge: CHALLENGE, subject: "CN=UDID-C,O=ignored", cipherOid });
      const cert = pkijs.Certificate.fromBER(ab(id.certDer));
      expect(cert.subject.typesAndValues.map((t) => String(t.value.valueBlock.value))).toEqual(["UDID-C", "Proto"]);
      expect(await cert.verify((await getCa()).cert)).toBe(true);
    }
  });

  it("enrolls over GET with the message in the query (base64, '+' possibly decoded to space)", async () => {
    const { req, raDer, signerCertDer, k } = await validRequest();
    const b64 = Buffer.from(req.body).toString("base64");
    const res = await fetch(`${url}?operation=PKIOperation&message=${b64.replace(/\+/g, " ").replace(/\//g, "%2F").replace(/=/g, "%3D")}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-pki-message");
    const rep = readCertRep(new Uint8Array(await res.arrayBuffer()), raDer, signerCertDer, k.privatePem);
    expect(rep.pkiStatus).toBe(PkiStatus.SUCCESS);
    expect(rep.transactionId).toBe(req.transactionId);
    expect(Buffer.from(rep.recipientNonce!).equals(Buffer.from(req.senderNonce))).toBe(true);
  });

  it("a missing challenge is a CertRep FAILURE badRequest over HTTP 200 with the reason logged", async () => {
    const { req, raDer, signerCertDer, k } = await validRequest("CN=U", null);
    const res = await postPkiOperation(url, req.body);
    expect(res.status).toBe(200);
    const rep = readCertRep(res.body, raDer, signerCertDer, k.privatePem);
    expect(rep).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badRequest", certDer: null });
    // The client reads the reason's public title; the details are for the admin's log only.
    expect(rep.failInfoText).toBe("Wrong SCEP challenge");
    const log = (await scepLogs()).at(-1)!;
    expect(log).toMatchObject({ outcome: "ERROR", reason: "scep_bad_challenge" });
    expect(log.message).toMatch(/no challenge/);
  });

  it("a request whose signature does not verify gets FAILURE badMessageCheck", async () => {
    const { req, raDer, signerCertDer, k } = await validRequest();
    const tampered = req.body.slice();
    tampered[tampered.length - 3] ^= 0x55; // inside the signature value
    const res = await postPkiOperation(url, tampered);
    expect(res.status).toBe(200);
    expect(readCertRep(res.body, raDer, signerCertDer, k.privatePem)).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badMessageCheck" });
    expect((await scepLogs()).at(-1)).toMatchObject({ reason: "scep_bad_message" });
  });

  it("a CSR with a broken self-signature gets FAILURE badMessageCheck and scep_csr_invalid", async () => {
    const k = keys();
    const { raDer } = await getScepCerts(url);
    const csr = await buildCsr("CN=broken", k.privatePem, k.publicPem, CHALLENGE);
    // The signature is the last element: flipping its last byte keeps the DER valid.
    const forged = csr.slice();
    forged[forged.length - 1] ^= 0x01;
    const signerCertDer = await selfSigned("CN=broken", k.privatePem, k.publicPem);
    const req = await buildPkiMessage({ csrDer: forged, recipientCertDer: raDer, signerCertDer, signerKeyPem: k.privatePem });
    const rep = readCertRep((await postPkiOperation(url, req.body)).body, raDer, signerCertDer, k.privatePem);
    expect(rep, rep.failInfoText ?? "").toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badMessageCheck" });
    expect((await scepLogs()).at(-1)).toMatchObject({ reason: "scep_csr_invalid" });
  });

  it("an envelope for another CA gets FAILURE badMessageCheck", async () => {
    const k = keys();
    const other = keys();
    const otherCa = await selfSigned("CN=Other CA", other.privatePem, other.publicPem);
    const csrDer = await buildCsr("CN=x", k.privatePem, k.publicPem, CHALLENGE);
    const signerCertDer = await selfSigned("CN=x", k.privatePem, k.publicPem);
    const req = await buildPkiMessage({ csrDer, recipientCertDer: otherCa, signerCertDer, signerKeyPem: k.privatePem });
    const rep = readCertRep((await postPkiOperation(url, req.body)).body, (await getScepCerts(url)).raDer, signerCertDer, k.privatePem);
    expect(rep).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badMessageCheck" });
  });

  it("a request signed with an EC key gets FAILURE badAlg before anything is issued", async () => {
    const rsa = keys();
    const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256", privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const { raDer } = await getScepCerts(url);
    const csrDer = await buildCsr("CN=ec-signed", rsa.privatePem, rsa.publicPem, CHALLENGE);
    const signerCertDer = await selfSigned("CN=ec-signed", ec.privateKey, ec.publicKey);
    const req = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: ec.privateKey });
    const before = await testDb.client.certificate.count();
    const rep = readCertRep((await postPkiOperation(url, req.body)).body, raDer, signerCertDer, ec.privateKey);
    expect(rep).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badAlg" });
    expect(await testDb.client.certificate.count()).toBe(before);
  });

  it("GetCertInitial for an unknown transaction gets FAILURE badCertId; GetCert gets FAILURE badRequest", async () => {
    const k = keys();
    const { raDer } = await getScepCerts(url);
    const csrDer = await buildCsr("CN=x", k.privatePem, k.publicPem, CHALLENGE);
    const signerCertDer = await selfSigned("CN=x", k.privatePem, k.publicPem);
    const poll = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: k.privatePem, messageType: MessageType.CertPoll });
    expect(readCertRep((await postPkiOperation(url, poll.body)).body, raDer, signerCertDer, k.privatePem)).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badCertId" });
    expect((await scepLogs()).at(-1)).toMatchObject({ reason: "scep_unknown_transaction" });
    const getCert = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: k.privatePem, messageType: MessageType.GetCert });
    expect(readCertRep((await postPkiOperation(url, getCert.body)).body, raDer, signerCertDer, k.privatePem)).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badRequest" });
  });
});

describe("subject from the enrollment context", () => {
  it("a DYNAMIC challenge issued for a signed-in user fills $EMAIL from the user, not from the request", async () => {
    const user = await testDb.client.user.create({ data: { identifier: "ann@example.com" } });
    const p = await createScepProfile({ name: "user-bound", challengeType: "DYNAMIC", subjectTemplate: "CN=$EMAIL,OU=$UDID" });
    const challenge = await challengeForEnrollment(p.profile.id, { userId: user.id });
    const id = await scepEnroll({ url: `${server.url}/scep/${p.profile.id}`, challenge, subject: "CN=mallory@example.com,OU=UDID-U1" });
    const row = await lookupIssuedCertificate(id.certDer);
    expect(row).toMatchObject({ subject: "CN=ann@example.com,OU=UDID-U1", userId: user.id });
    const log = (await scepLogs()).at(-1)!;
    expect(log.userIdentifier).toBe("ann@example.com");
  });
});

describe("RenewalReq", () => {
  it("renews with the old certificate, records renewedFromSerial; revoked or foreign certificates are refused", async () => {
    const first = await scepEnroll({ url, challenge: CHALLENGE, subject: "CN=UDID-R" });
    const renewed = await scepRenew({ url, current: { certDer: first.certDer, privateKeyPem: first.privateKeyPem }, subject: "CN=UDID-R" });
    const oldRow = await lookupIssuedCertificate(first.certDer);
    const newRow = await lookupIssuedCertificate(renewed.certDer);
    expect(newRow?.renewedFromSerial).toBe(oldRow?.serial);
    expect(newRow?.subject).toBe("CN=UDID-R,O=Proto");

    // The renewed subject comes from the certificate being renewed, not from the new CSR.
    const renamed = await scepRenew({ url, current: { certDer: renewed.certDer, privateKeyPem: renewed.privateKeyPem }, subject: "CN=SOMEONE-ELSE" });
    expect((await lookupIssuedCertificate(renamed.certDer))?.subject).toBe("CN=UDID-R,O=Proto");

    await revokeCertificate(newRow!.serial, { reason: "test" });
    const refused = scepRenew({ url, current: { certDer: renewed.certDer, privateKeyPem: renewed.privateKeyPem }, subject: "CN=UDID-R" });
    await expect(refused).rejects.toMatchObject({ failInfo: "badRequest" });
    expect((await scepLogs()).at(-1)).toMatchObject({ reason: "scep_renewal_rejected" });

    // A RenewalReq signed with a self-signed certificate is not a renewal.
    const k = keys();
    const self = await selfSigned("CN=UDID-R", k.privatePem, k.publicPem);
    await expect(scepRenew({ url, current: { certDer: self, privateKeyPem: k.privatePem }, subject: "CN=UDID-R" })).rejects.toBeInstanceOf(ScepClientError);
    expect((await scepLogs()).at(-1)).toMatchObject({ reason: "scep_renewal_rejected" });
  });
});

describe("hostile input", () => {
  async function post(body: Uint8Array | string, query = "operation=PKIOperation"): Promise<number> {
    const res = await fetch(`${url}?${query}`, { method: "POST", body: typeof body === "string" ? body : Buffer.from(body) });
    await res.arrayBuffer();
    return res.status;
  }

  it("garbage, empty and truncated bodies get 400 and a scep_bad_message line", async () => {
    const { req } = await validRequest();
    const before = await loggedCount({ step: "scep", reason: "scep_bad_message" });
    expect(await post("hello, I am not CMS")).toBe(400);
    expect(await post(new Uint8Array(0))).toBe(400);
    expect(await post(new Uint8Array(crypto.randomBytes(4096)))).toBe(400);
    for (const cut of [1, 10, 100, req.body.length - 1, Math.floor(req.body.length / 2)]) {
      expect(await post(req.body.subarray(0, cut))).toBe(400);
    }
    // Each refusal is counted (repeats of one message fold into its line).
    expect((await loggedCount({ step: "scep", reason: "scep_bad_message" })) - before).toBe(8);
    expect((await fetch(`${url}?operation=PKIOperation&message=***`)).status).toBe(400);
    expect((await fetch(`${url}?operation=PKIOperation`)).status).toBe(400);
  });

  it("oversized requests get 413 and a body_too_large line", async () => {
    expect(await post(new Uint8Array(LIMITS.scep + 1))).toBe(413);
    expect((await scepLogs()).at(-1)).toMatchObject({ reason: "body_too_large" });
    // The HTTP server may refuse the URL itself (431) before our limit (413) applies.
    const huge = "A".repeat(LIMITS.scep * 2);
    expect([413, 431]).toContain((await fetch(`${url}?operation=PKIOperation&message=${huge}`)).status);
  });

  it("randomly mutated requests never produce a 500", async () => {
    const { req } = await validRequest();
    const statuses = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const m = req.body.slice();
      const flips = 1 + crypto.randomInt(4);
      for (let j = 0; j < flips; j++) m[crypto.randomInt(m.length)] = crypto.randomInt(256);
      const status = await post(m);
      statuses.add(status);
      expect([200, 400]).toContain(status);
    }
  });
});
