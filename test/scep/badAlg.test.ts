// badAlg (RFC 8894 3.2.1.4.5) for algorithms we do not support: content encryption (an
// envelope OpenSSL encrypts with Camellia), digest and CSR signature algorithms. CertRep
// failure texts and HTTP error bodies carry the reason's public title only: no parser or
// exception messages, stack traces or paths.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile } from "@/lib/scep/profiles";
import { signData } from "@/lib/pki/cms";
import { importSigningKey } from "@/lib/pki/keys";
import { toPem } from "@/lib/pki/der";
import { REASONS } from "@/lib/log/reasons";
import { MessageType, PkiStatus, SCEP_OID } from "@/lib/scep/message";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { buildCsr, buildPkiMessage, getScepCerts, postPkiOperation, readCertRep, selfSigned } from "@/test/helpers/scepClient";
import { startScepServer, tempDir, tool } from "./tools";

let t: TestDb;
let server: RouteServer;
let url: string;
const CHALLENGE = "badalg-test-secret-42";

beforeAll(async () => {
  t = await createTestDb();
  server = await startScepServer();
  const p = await createScepProfile({ name: "badalg", challengeType: "STATIC", staticChallenge: CHALLENGE });
  url = `${server.url}/scep/${p.profile.id}`;
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

/** Replaces one DER byte sequence by another of the same length (every occurrence). */
function patch(der: Uint8Array, from: number[], to: number[]): Uint8Array {
  const out = Buffer.from(der);
  const needle = Buffer.from(from);
  let at = out.indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  while (at >= 0) {
    Buffer.from(to).copy(out, at);
    at = out.indexOf(needle, at + 1);
  }
  return new Uint8Array(out);
}

const lastLog = () => t.client.enrollmentLog.findFirstOrThrow({ where: { step: "scep" }, orderBy: { time: "desc" } });
const PUBLIC_TITLES = new Set<string>(Object.values(REASONS).map((r) => r.title));

function expectPublicText(text: string | null) {
  expect(PUBLIC_TITLES.has(text ?? "")).toBe(true);
  expect(text).not.toMatch(/Error|at \w+ \(|\/work\/|node_modules|\.ts\b|OID|\d+\.\d+\.\d+/);
}

describe("badAlg", () => {
  it("an envelope encrypted with Camellia-256-CBC (by OpenSSL) gets FAILURE badAlg", async () => {
    const { raDer } = await getScepCerts(url);
    const dir = tempDir("badalg-");
    const csrDer = await buildCsr("CN=camellia", privateKey, publicKey, CHALLENGE);
    fs.writeFileSync(path.join(dir, "csr.der"), csrDer);
    fs.writeFileSync(path.join(dir, "ra.pem"), toPem(raDer, "CERTIFICATE"));
    const enc = await tool("openssl", [
      "cms",
      "-encrypt",
      "-binary",
      "-outform",
      "DER",
      "-camellia-256-cbc",
      "-in",
      path.join(dir, "csr.der"),
      "-out",
      path.join(dir, "env.der"),
      path.join(dir, "ra.pem"),
    ]);
    expect(enc.code, enc.stderr).toBe(0);
    const envelope = new Uint8Array(fs.readFileSync(path.join(dir, "env.der")));
    const signerCertDer = await selfSigned("CN=camellia", privateKey, publicKey);
    const attributes = [
      new pkijs.Attribute({ type: SCEP_OID.messageType, values: [new asn1js.PrintableString({ value: MessageType.PKCSReq })] }),
      new pkijs.Attribute({ type: SCEP_OID.transactionID, values: [new asn1js.PrintableString({ value: crypto.randomBytes(16).toString("hex") })] }),
      new pkijs.Attribute({ type: SCEP_OID.senderNonce, values: [new asn1js.OctetString({ valueHex: crypto.randomBytes(16) })] }),
    ];
    const body = await signData(envelope, { certDer: signerCertDer, chainDer: [], privateKey: await importSigningKey(privateKey) }, { attributes });
    const rep = readCertRep((await postPkiOperation(url, body)).body, raDer, signerCertDer, privateKey);
    expect(rep).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badAlg", certDer: null });
    expectPublicText(rep.failInfoText);
    const log = await lastLog();
    expect(log.reason).toBe("scep_unsupported_algorithm");
    expect(log.message).toMatch(/content encryption algorithm 1\.2\.392\.200011\.61\.1\.1\.1\.4/);
  });

  it("an unknown digest algorithm in the SignerInfo gets FAILURE badAlg", async () => {
    const { raDer } = await getScepCerts(url);
    const csrDer = await buildCsr("CN=digest", privateKey, publicKey, CHALLENGE);
    const signerCertDer = await selfSigned("CN=digest", privateKey, publicKey);
    const req = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: privateKey });
    // id-sha256 (2.16.840.1.101.3.4.2.1) -> 2.16.840.1.101.3.4.2.99, outside the signed attributes.
    const sha256 = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    const body = patch(req.body, sha256, [...sha256.slice(0, -1), 0x63]);
    const rep = readCertRep((await postPkiOperation(url, body)).body, raDer, signerCertDer, privateKey);
    expect(rep).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badAlg" });
    expectPublicText(rep.failInfoText);
    expect(await lastLog()).toMatchObject({ reason: "scep_unsupported_algorithm" });
  });

  it("a CSR signed with an unknown signature algorithm gets FAILURE badAlg", async () => {
    const { raDer } = await getScepCerts(url);
    const csr = await buildCsr("CN=csr-alg", privateKey, publicKey, CHALLENGE);
    // sha256WithRSAEncryption (1.2.840.113549.1.1.11) -> 1.2.840.113549.1.1.99 in the CSR's signatureAlgorithm.
    const sha256Rsa = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    const csrDer = patch(csr, sha256Rsa, [...sha256Rsa.slice(0, -1), 0x63]);
    const signerCertDer = await selfSigned("CN=csr-alg", privateKey, publicKey);
    const req = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: privateKey });
    const rep = readCertRep((await postPkiOperation(url, req.body)).body, raDer, signerCertDer, privateKey);
    expect(rep).toMatchObject({ pkiStatus: PkiStatus.FAILURE, failInfo: "badAlg" });
    expect(await lastLog()).toMatchObject({ reason: "scep_unsupported_algorithm" });
  });
});

describe("no internal details to the client", () => {
  it("CertRep failure texts are the reason's title; the log keeps the detail", async () => {
    const { raDer } = await getScepCerts(url);
    const signerCertDer = await selfSigned("CN=details", privateKey, publicKey);
    const wrong = await buildPkiMessage({ csrDer: await buildCsr("CN=details", privateKey, publicKey, "not-the-challenge"), recipientCertDer: raDer, signerCertDer, signerKeyPem: privateKey });
    const rep = readCertRep((await postPkiOperation(url, wrong.body)).body, raDer, signerCertDer, privateKey);
    expect(rep.failInfoText).toBe(REASONS.scep_bad_challenge.title);
    expect((await lastLog()).message).toMatch(/does not match the SCEP profile's static challenge/);
  });

  it("HTTP error bodies for unparseable messages name no parser detail", async () => {
    for (const body of [Buffer.from("garbage"), Buffer.from([0x30, 0x82, 0xff, 0xff, 0x06]), Buffer.alloc(300, 0x30)]) {
      const res = await fetch(`${url}?operation=PKIOperation`, { method: "POST", body });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: "bad_scep_message", message: "not a SCEP PKIMessage (RFC 8894 3.2)" });
    }
  });
});
