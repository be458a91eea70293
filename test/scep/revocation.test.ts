// Published revocation, checked by programs nobody here wrote: the CRL from GET /ca.crl with
// `openssl verify -crl_check` and pyca/cryptography, the OCSP responder on a real HTTP port
// with `openssl ocsp` (POST, nonce) and GET, pyca's OCSP parser; plus hostile OCSP input.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { clearServerKeyCache } from "@/lib/secrets/serverKeys";
import { clearCaCache, getCa } from "@/lib/pki/ca";
import { toPem } from "@/lib/pki/der";
import { inheritRevocation, revokeCertificate } from "@/lib/pki/revocation";
import { bindCertificateToDevice, issueCertificate, lookupIssuedCertificate } from "@/lib/pki/certificates";
import { generateRsaKeyPair, publicKeyInfoFromPem } from "@/lib/pki/keys";
import { getOcspResponder } from "@/lib/pki/ocspResponder";
import { refreshCrl } from "@/lib/pki/crl";
import { createScepProfile } from "@/lib/scep/profiles";
import { challengeForEnrollment } from "@/lib/scep/challenge";
import { createEnrollmentToken, revokeEnrollmentToken } from "@/lib/enrollment/tokens";
import * as pkijs from "pkijs";
import { ab } from "@/lib/pki/der";
import { MessageType, PkiStatus } from "@/lib/scep/message";
import { buildPkiMessage, getScepCerts, postPkiOperation, readCertRep, scepEnroll, scepRenew, selfSigned, type ScepIdentity } from "@/test/helpers/scepClient";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";
import { config } from "@/lib/config";
import { tempDir, tool } from "./tools";

let t: TestDb;
let server: RouteServer;
let dir: string;
let caPath: string;
let url: string;

const CHALLENGE = "revocation-test-secret";

beforeAll(async () => {
  t = await createTestDb();
  clearServerKeyCache();
  clearCaCache();
  server = await serveRouteImports({
    "/scep/[id]": import("@/app/scep/[id]/route"),
    "/ca": import("@/app/ca/route"),
    "/ca.crl": import("@/app/ca.crl/route"),
    "/ocsp": import("@/app/ocsp/route"),
    "/ocsp/[...request]": import("@/app/ocsp/[...request]/route"),
  });
  dir = tempDir("revocation-");
  caPath = path.join(dir, "ca.pem");
  fs.writeFileSync(caPath, (await getCa()).certPem);
  const p = await createScepProfile({ name: "revocation", challengeType: "STATIC", staticChallenge: CHALLENGE, subjectTemplate: "CN=$UDID", validityDays: 30, renewalWindowDays: 30 });
  url = `${server.url}/scep/${p.profile.id}`;
});
afterAll(async () => {
  await server.close();
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeCert(name: string, id: ScepIdentity): string {
  const file = path.join(dir, `${name}.pem`);
  fs.writeFileSync(file, toPem(id.certDer, "CERTIFICATE"));
  return file;
}

async function downloadCrl(): Promise<{ der: Buffer; pemPath: string; derPath: string }> {
  const res = await fetch(`${server.url}/ca.crl`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/pkix-crl");
  const der = Buffer.from(await res.arrayBuffer());
  const derPath = path.join(dir, `crl-${Date.now()}.der`);
  const pemPath = `${derPath}.pem`;
  fs.writeFileSync(derPath, der);
  fs.writeFileSync(pemPath, toPem(der, "X509 CRL"));
  return { der, pemPath, derPath };
}

async function serialOf(certPath: string): Promise<string> {
  return (await tool("openssl", ["x509", "-noout", "-serial", "-in", certPath])).stdout
    .trim()
    .replace(/^serial=/, "")
    .toLowerCase();
}

const PYCA = `
import json, sys, datetime
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
ca = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
crl = x509.load_der_x509_crl(open(sys.argv[2], "rb").read())
out = {"crl_signature_valid": crl.is_signature_valid(ca.public_key()),
       "crl_issuer_matches": crl.issuer == ca.subject,
       "crl_number": crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number,
       "crl_next_update_after_this": crl.next_update_utc > crl.last_update_utc,
       "revoked": {}}
for r in crl:
    try:
        reason = r.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
    except x509.ExtensionNotFound:
        reason = None
    out["revoked"][format(r.serial_number, "x")] = reason
out["ocsp"] = []
for f in sys.argv[3:]:
    resp = ocsp.load_der_ocsp_response(open(f, "rb").read())
    item = {"status": resp.response_status.name}
    if resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL:
        responder = resp.certificates[0]
        responder.public_key().verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), resp.signature_hash_algorithm)
        ca.public_key().verify(responder.signature, responder.tbs_certificate_bytes, padding.PKCS1v15(), responder.signature_hash_algorithm)
        eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        single = next(resp.responses)
        item.update({"count": len(list(resp.responses)),
                     "cert_status": single.certificate_status.name,
                     "serial": format(single.serial_number, "x"),
                     "revocation_reason": single.revocation_reason.name if single.revocation_reason else None,
                     "revoked_at": single.revocation_time_utc.isoformat() if single.revocation_time_utc else None,
                     "responder_ocsp_signing": x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in eku,
                     "responder_nocheck": responder.extensions.get_extension_for_class(x509.OCSPNoCheck) is not None,
                     "responder_key_hash_matches": resp.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(responder.public_key()).digest,
                     "next_update_after_this": single.next_update_utc > single.this_update_utc})
    out["ocsp"].append(item)
print(json.dumps(out))
`;

describe("CRL and OCSP", () => {
  let good: ScepIdentity;
  let a: ScepIdentity;
  let b: ScepIdentity;
  let goodPath: string;
  let aPath: string;
  let bPath: string;

  beforeAll(async () => {
    good = await scepEnroll({ url, challenge: CHALLENGE, subject: "CN=UDID-GOOD" });
    a = await scepEnroll({ url, challenge: CHALLENGE, subject: "CN=UDID-A" });
    b = await scepRenew({ url, current: a, subject: "CN=UDID-A" });
    [goodPath, aPath, bPath] = [writeCert("good", good), writeCert("a", a), writeCert("b", b)];
  });

  it("issued certificates name the CRL and the OCSP responder", async () => {
    const text = (await tool("openssl", ["x509", "-noout", "-text", "-in", goodPath])).stdout;
    expect(text).toMatch(new RegExp(`X509v3 CRL Distribution Points:[\\s\\S]*URI:${config().publicUrl}/ca\\.crl`));
    expect(text).toContain(`OCSP - URI:${config().publicUrl}/ocsp`);
    expect(text).toContain(`CA Issuers - URI:${config().publicUrl}/ca`);
  });

  it("before any revocation: openssl verify -crl_check and openssl ocsp say good", async () => {
    const crl = await downloadCrl();
    const v = await tool("openssl", ["verify", "-crl_check", "-CAfile", caPath, "-CRLfile", crl.pemPath, bPath]);
    expect(v.stdout + v.stderr).toContain(`${bPath}: OK`);
    const o = await tool("openssl", ["ocsp", "-issuer", caPath, "-cert", bPath, "-url", `${server.url}/ocsp`, "-CAfile", caPath]);
    expect(o.stdout + o.stderr).toContain("Response verify OK");
    expect(o.stdout).toContain(`${bPath}: good`);
  });

  it("A revoked (key compromise): the CRL and the responder report A and its renewal B revoked, the other certificate good", async () => {
    const before = (await downloadCrl()).der;
    await revokeCertificate(await serialOf(aPath), { reason: "lost", code: "keyCompromise" });
    const crl = await downloadCrl();
    expect(crl.der.equals(before)).toBe(false);

    for (const revoked of [aPath, bPath]) {
      const v = await tool("openssl", ["verify", "-crl_check", "-CAfile", caPath, "-CRLfile", crl.pemPath, revoked]);
      expect(v.code).not.toBe(0);
      expect(v.stdout + v.stderr).toContain("certificate revoked");
    }
    const ok = await tool("openssl", ["verify", "-crl_check", "-CAfile", caPath, "-CRLfile", crl.pemPath, goodPath]);
    expect(ok.stdout + ok.stderr).toContain(`${goodPath}: OK`);
    const crlText = (await tool("openssl", ["crl", "-inform", "DER", "-in", crl.derPath, "-noout", "-text"])).stdout;
    expect(crlText).toMatch(/Version 2/);
    expect(crlText).toMatch(/X509v3 CRL Number:\s*\n\s*\d+/);
    expect(crlText).toMatch(/Next Update: /);
    expect(crlText).toMatch(/Key Compromise/);
    expect(crlText).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    // GnuTLS checks the CRL's signature against the CA.
    const gv = await tool("certtool", ["--verify-crl", "--load-ca-certificate", caPath, "--infile", crl.pemPath]);
    expect(gv.code, gv.stdout + gv.stderr).toBe(0);
    expect(gv.stdout + gv.stderr).toMatch(/Verification output: Verified/);

    // POST with a nonce (openssl's default), against our responder on a real port.
    const o = await tool("openssl", [
      "ocsp",
      "-issuer",
      caPath,
      "-cert",
      bPath,
      "-cert",
      goodPath,
      "-url",
      `${server.url}/ocsp`,
      "-CAfile",
      caPath,
      "-resp_text",
      "-respout",
      path.join(dir, "post.der"),
    ]);
    expect(o.stdout + o.stderr).toContain("Response verify OK");
    expect(o.stdout).toContain(`${bPath}: revoked`);
    expect(o.stdout).toContain(`${goodPath}: good`);
    expect(o.stdout).toMatch(/Reason: keyCompromise/);
    expect(o.stdout).toMatch(/OCSP Nonce:/);

    // GET /ocsp/<url-encoded base64> (RFC 6960 A.1), request built by openssl.
    const reqPath = path.join(dir, "req.der");
    await tool("openssl", ["ocsp", "-issuer", caPath, "-cert", aPath, "-no_nonce", "-reqout", reqPath]);
    const res = await fetch(`${server.url}/ocsp/${encodeURIComponent(fs.readFileSync(reqPath).toString("base64"))}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/ocsp-response");
    const getPath = path.join(dir, "get.der");
    fs.writeFileSync(getPath, Buffer.from(await res.arrayBuffer()));
    const g = await tool("openssl", ["ocsp", "-respin", getPath, "-issuer", caPath, "-cert", aPath, "-CAfile", caPath, "-no_nonce"]);
    expect(g.stdout + g.stderr).toContain("Response verify OK");
    expect(g.stdout).toContain(`${aPath}: revoked`);

    // GnuTLS asks too (its own request encoding and response verification).
    for (const [cert, status] of [
      [bPath, "revoked"],
      [goodPath, "good"],
    ] as const) {
      const gt = await tool("ocsptool", [`--ask=${server.url}/ocsp`, "--load-issuer", caPath, "--load-cert", cert, "--load-trust", caPath, "--nonce"]);
      expect(gt.stdout + gt.stderr).toMatch(new RegExp(`Certificate Status: ${status}`));
      expect(gt.stdout + gt.stderr).toContain("Verifying OCSP Response: Success.");
    }

    // A serial this CA never issued: unknown.
    const u = await tool("openssl", ["ocsp", "-issuer", caPath, "-serial", "0x1234567890abcdef", "-url", `${server.url}/ocsp`, "-CAfile", caPath, "-respout", path.join(dir, "unknown.der")]);
    expect(u.stdout + u.stderr).toContain("Response verify OK");
    expect(u.stdout).toMatch(/0x1234567890ABCDEF: unknown/i);

    // pyca/cryptography parses and checks both.
    const py = await tool("python3", ["-c", PYCA, caPath, crl.derPath, path.join(dir, "post.der"), getPath, path.join(dir, "unknown.der")]);
    expect(py.code, py.stderr).toBe(0);
    const out = JSON.parse(py.stdout) as {
      crl_signature_valid: boolean;
      crl_issuer_matches: boolean;
      crl_number: number;
      crl_next_update_after_this: boolean;
      revoked: Record<string, string | null>;
      ocsp: {
        status: string;
        cert_status?: string;
        serial?: string;
        revocation_reason?: string | null;
        responder_ocsp_signing?: boolean;
        responder_nocheck?: boolean;
        responder_key_hash_matches?: boolean;
        next_update_after_this?: boolean;
      }[];
    };
    expect(out).toMatchObject({ crl_signature_valid: true, crl_issuer_matches: true, crl_next_update_after_this: true });
    // sha256WithRSAEncryption with its NULL parameter (RFC 4055 5), in the TBSCertList and outside it, and in the BasicOCSPResponse.
    const SHA256_RSA_NULL = Buffer.from("300d06092a864886f70d01010b0500", "hex");
    const count = (buf: Buffer) => buf.toString("hex").split(SHA256_RSA_NULL.toString("hex")).length - 1;
    expect(count(crl.der)).toBe(2);
    expect(count(fs.readFileSync(path.join(dir, "post.der")))).toBeGreaterThanOrEqual(1);
    expect(out.crl_number).toBeGreaterThan(1);
    const [sa, sb, sg] = [await serialOf(aPath), await serialOf(bPath), await serialOf(goodPath)];
    expect(out.revoked[sa.replace(/^0+/, "")]).toBe("key_compromise");
    expect(out.revoked[sb.replace(/^0+/, "")]).toBe("key_compromise");
    expect(Object.keys(out.revoked)).not.toContain(sg.replace(/^0+/, ""));
    // openssl's POST asked about B first.
    expect(out.ocsp[0]).toMatchObject({
      status: "SUCCESSFUL",
      count: 2,
      cert_status: "REVOKED",
      revocation_reason: "key_compromise",
      responder_ocsp_signing: true,
      responder_nocheck: true,
      responder_key_hash_matches: true,
      next_update_after_this: true,
    });
    expect(out.ocsp[1]).toMatchObject({ status: "SUCCESSFUL", cert_status: "REVOKED", serial: sa.replace(/^0+/, "") });
    expect(out.ocsp[2]).toMatchObject({ status: "SUCCESSFUL", cert_status: "UNKNOWN" });
  });

  it("the CRL number grows with every revocation; a certificate revoked as superseded carries that reason", async () => {
    const n = async () => Number(/X509v3 CRL Number:\s*\n\s*(\d+)/.exec((await tool("openssl", ["crl", "-inform", "DER", "-in", (await downloadCrl()).derPath, "-noout", "-text"])).stdout)![1]);
    const first = await n();
    const c = await scepEnroll({ url, challenge: CHALLENGE, subject: "CN=UDID-C" });
    const cPath = writeCert("c", c);
    await revokeCertificate(await serialOf(cPath), { code: "superseded" });
    expect(await n()).toBeGreaterThan(first);
    const o = await tool("openssl", ["ocsp", "-issuer", caPath, "-cert", cPath, "-url", `${server.url}/ocsp`, "-CAfile", caPath, "-resp_text"]);
    expect(o.stdout).toContain(`${cPath}: revoked`);
    expect(o.stdout).toMatch(/Reason: superseded/);
  });

  it("malformed OCSP requests get malformedRequest (HTTP 200), never a 500", async () => {
    const MALFORMED = "30030a0101";
    const bodies: Buffer[] = [
      Buffer.from("garbage"),
      Buffer.alloc(0),
      Buffer.from([0x30, 0x82, 0xff, 0xff]),
      Buffer.from("3000", "hex"),
      Buffer.from("30023000", "hex"),
      Buffer.alloc(64 * 1024, 0x30),
    ];
    const reqDer = fs.readFileSync(path.join(dir, "req.der"));
    bodies.push(reqDer.subarray(0, reqDer.length - 3), Buffer.concat([reqDer, Buffer.from([0])]));
    for (const body of bodies) {
      const res = await fetch(`${server.url}/ocsp`, { method: "POST", headers: { "content-type": "application/ocsp-request" }, body: new Uint8Array(body) });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).toString("hex")).toBe(MALFORMED);
    }
    // A path that does not percent-decode is refused at the edge, before any route (issue 18).
    expect((await fetch(`${server.url}/ocsp/%%%`)).status).toBe(400);
    for (const p of ["!!!!", "AAAA", encodeURIComponent(Buffer.from("garbage").toString("base64")), "x".repeat(12_000)]) {
      const res = await fetch(`${server.url}/ocsp/${p}`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).toString("hex")).toBe(MALFORMED);
    }
    const res = await fetch(`${server.url}/ocsp`);
    expect(Buffer.from(await res.arrayBuffer()).toString("hex")).toBe(MALFORMED);
    // Random mutations of a valid request: an OCSPResponse every time.
    for (let i = 0; i < 200; i++) {
      const m = Buffer.from(reqDer);
      m[Math.floor(Math.random() * m.length)] ^= 1 << Math.floor(Math.random() * 8);
      const r = await fetch(`${server.url}/ocsp`, { method: "POST", body: new Uint8Array(m) });
      expect(r.status).toBe(200);
      // OCSPResponse: SEQUENCE { ENUMERATED successful(0) | malformedRequest(1), ... }
      const bytes = Buffer.from(await r.arrayBuffer());
      expect(bytes[0]).toBe(0x30);
      const p = bytes[1] & 0x80 ? 2 + (bytes[1] & 0x7f) : 2;
      expect([bytes[p], bytes[p + 1]]).toEqual([0x0a, 0x01]);
      expect([0, 1]).toContain(bytes[p + 2]);
    }
  });

  it("the scheduled refresh rebuilds the CRL once it is a day old, long before nextUpdate", async () => {
    await downloadCrl(); // current
    const row = async () => t.client.revocationList.findFirstOrThrow({ orderBy: { number: "desc" } });
    const before = await row();
    expect(before.nextUpdate!.getTime() - before.thisUpdate!.getTime()).toBe(7 * 86_400_000);
    expect(await refreshCrl(new Date(before.thisUpdate!.getTime() + 3600_000))).toBe(false);
    expect((await row()).number).toBe(before.number);
    const later = new Date(before.thisUpdate!.getTime() + 25 * 3600_000);
    expect(await refreshCrl(later)).toBe(true);
    const after = await row();
    expect(after.number).toBe(before.number + 1);
    expect(after.thisUpdate!.getTime()).toBe(later.getTime());
    // Seen from now, that one is from the future: the route replaces it.
    await downloadCrl();
    expect((await row()).number).toBe(after.number + 1);
  });

  it("a renewal issued while its parent was being revoked inherits the revocation", async () => {
    const key = async () => publicKeyInfoFromPem((await generateRsaKeyPair(2048)).publicPem);
    const parent = await issueCertificate({ publicKeyInfo: await key(), subject: "CN=UDID-RACE", validityDays: 30, keyUsage: 5 });
    await revokeCertificate(parent.serial, { code: "keyCompromise" });
    // The renewal was authorized before the revocation and inserted after its cascade ran.
    const child = await issueCertificate({ publicKeyInfo: await key(), subject: "CN=UDID-RACE", validityDays: 30, keyUsage: 5, renewedFromSerial: parent.serial });
    expect(await inheritRevocation(child.serial)).toBe(true);
    expect(await t.client.certificate.findUniqueOrThrow({ where: { serial: child.serial } })).toMatchObject({ revocationCode: 1 });
    // A superseded parent passes nothing on.
    const superseded = await issueCertificate({ publicKeyInfo: await key(), subject: "CN=UDID-RACE2", validityDays: 30, keyUsage: 5 });
    const successor = await issueCertificate({ publicKeyInfo: await key(), subject: "CN=UDID-RACE2", validityDays: 30, keyUsage: 5, renewedFromSerial: superseded.serial });
    await revokeCertificate(superseded.serial, { code: "superseded" });
    expect(await inheritRevocation(successor.serial)).toBe(false);
    expect((await t.client.certificate.findUniqueOrThrow({ where: { serial: successor.serial } })).revokedAt).toBeNull();
  });

  it("a revoked certificate cannot be bound to a device", async () => {
    const row = (await lookupIssuedCertificate(b.certDer))!;
    expect(row.revokedAt).not.toBeNull();
    const device = await t.client.device.create({ data: { identifier: "UDID-BIND" } });
    await expect(bindCertificateToDevice(row.serial, device.id)).rejects.toMatchObject({ status: 400, code: "certificate_revoked" });
    expect((await t.client.device.findUniqueOrThrow({ where: { id: device.id } })).certSerial).toBeNull();
    const fine = (await lookupIssuedCertificate(good.certDer))!;
    await bindCertificateToDevice(fine.serial, device.id);
    expect((await t.client.device.findUniqueOrThrow({ where: { id: device.id } })).certSerial).toBe(fine.serial);
  });

  it("the responder certificate is rotated before it expires", async () => {
    const current = await getOcspResponder();
    const later = await getOcspResponder(current.cert.notAfter.value.getTime() - 5 * 86_400_000);
    expect(Buffer.from(later.certDer).equals(Buffer.from(current.certDer))).toBe(false);
    const row = await t.client.serverKey.findUniqueOrThrow({ where: { name: "ocsp-responder" } });
    expect(row.encryptedKey).not.toContain("PRIVATE KEY");
  });
});

describe("revoking an OTA token", () => {
  it("kills the one-time challenges handed out with it: no certificate, a scep_challenge_revoked line", async () => {
    const p = await createScepProfile({ name: "token-challenges", challengeType: "DYNAMIC", subjectTemplate: "CN=$UDID" });
    const doomed = await createEnrollmentToken({ name: "Doomed", expiresIn: "7d", scepProfileId: p.profile.id });
    const other = await createEnrollmentToken({ name: "Other", expiresIn: "7d", scepProfileId: p.profile.id });
    const scep = `${server.url}/scep/${p.profile.id}`;
    // Downloaded before the revocation, used after it.
    const pending = await challengeForEnrollment(p.profile.id, { tokenId: doomed.id });
    const unaffected = await challengeForEnrollment(p.profile.id, { tokenId: other.id });
    await revokeEnrollmentToken(doomed.id);

    await expect(scepEnroll({ url: scep, challenge: pending, subject: "CN=UDID-LATE" })).rejects.toMatchObject({ failInfo: "badRequest" });
    const line = await t.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep" }, orderBy: [{ time: "desc" }, { id: "desc" }] });
    expect(line).toMatchObject({ outcome: "ERROR", reason: "scep_challenge_revoked", tokenId: doomed.id });
    expect(line.message).toContain(`enrollment token ${doomed.id}, revoked at`);
    expect(await t.client.certificate.count({ where: { enrollmentTokenId: doomed.id } })).toBe(0);
    // Its stored challenges ended with the token; another token's still works.
    expect(await t.client.scepChallenge.count({ where: { tokenId: doomed.id, expiresAt: { gt: new Date() } } })).toBe(0);
    await scepEnroll({ url: scep, challenge: unaffected, subject: "CN=UDID-FINE" });
    expect(await t.client.certificate.count({ where: { enrollmentTokenId: other.id } })).toBe(1);
  });
});

describe("SCEP GetCRL (RFC 8894)", () => {
  const issuerAndSerial = (certDer: Uint8Array) => {
    const cert = pkijs.Certificate.fromBER(ab(certDer));
    return new Uint8Array(new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }).toSchema().toBER(false));
  };

  it("answers with the current CRL in a degenerate SignedData, encrypted to the requester; OpenSSL opens it", async () => {
    const me = await scepEnroll({ url, challenge: CHALLENGE, subject: "CN=UDID-GETCRL" });
    const { raDer } = await getScepCerts(url);
    const req = await buildPkiMessage({ csrDer: issuerAndSerial(me.certDer), recipientCertDer: raDer, signerCertDer: me.certDer, signerKeyPem: me.privateKeyPem, messageType: MessageType.GetCRL });
    const res = await postPkiOperation(url, req.body);
    expect(res.status).toBe(200);
    const [repPath, envPath, sdPath, mePath, keyPath] = ["rep.der", "env.der", "sd.der", "me.pem", "me.key"].map((f) => path.join(dir, f));
    fs.writeFileSync(repPath, res.body);
    fs.writeFileSync(mePath, toPem(me.certDer, "CERTIFICATE"));
    fs.writeFileSync(keyPath, me.privateKeyPem);
    const verified = await tool("openssl", ["cms", "-verify", "-inform", "DER", "-in", repPath, "-CAfile", caPath, "-binary", "-out", envPath]);
    expect(verified.stderr).toContain("Verification successful");
    const opened = await tool("openssl", ["cms", "-decrypt", "-inform", "DER", "-in", envPath, "-recip", mePath, "-inkey", keyPath, "-binary", "-out", sdPath]);
    expect(opened.code, opened.stderr).toBe(0);
    const printed = await tool("openssl", ["pkcs7", "-inform", "DER", "-in", sdPath, "-print_certs", "-text", "-noout"]);
    expect(printed.stdout).toMatch(/Certificate Revocation List \(CRL\):/);
    expect(printed.stdout).toMatch(/X509v3 CRL Number/);
    // The same CRL as /ca.crl.
    const crl = await downloadCrl();
    const fromScep = await tool("openssl", ["pkcs7", "-inform", "DER", "-in", sdPath, "-print_certs"]);
    const crlPem = fs.readFileSync(crl.pemPath, "utf8").trim();
    expect(fromScep.stdout).toContain(crlPem.split("\n").slice(1, 3).join("\n"));

    // A certificate of another CA: FAILURE badCertId.
    const k = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const foreign = await selfSigned("CN=elsewhere", k.privateKey, k.publicKey);
    const bad = await buildPkiMessage({ csrDer: issuerAndSerial(foreign), recipientCertDer: raDer, signerCertDer: foreign, signerKeyPem: k.privateKey, messageType: MessageType.GetCRL });
    const rep = readCertRep((await postPkiOperation(url, bad.body)).body, raDer, foreign, k.privateKey);
    expect(rep).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badCertId" });
  });
});
