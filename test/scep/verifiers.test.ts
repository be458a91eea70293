// Every certificate the server writes, checked by three X.509 path verifiers nobody here
// wrote: OpenSSL (verify -x509_strict), Go's crypto/x509 (x509.Verify, test/verifiers/
// x509verify.go) and pyca/cryptography's RFC 5280 / Web PKI verifier (test/verifiers/
// pyca_verify.py). First under the built-in root, then under an imported root → intermediate
// made with OpenSSL, whose chain must travel in GetCACert, CertReps and profiles.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import type { RouteServer } from "@/test/helpers/routeServer";
import { createScepProfile } from "@/lib/scep/profiles";
import { getCa, importCa } from "@/lib/pki/ca";
import { getRa } from "@/lib/pki/ra";
import { getOcspResponder } from "@/lib/pki/ocspResponder";
import { getProfileSigner } from "@/lib/pki/profileSigner";
import { getProfileTrust } from "@/lib/pki/trust";
import { signData } from "@/lib/pki/cms";
import { ab, toPem } from "@/lib/pki/der";
import { certificateDer } from "@/lib/pki/x509";
import { buildCsr, buildPkiMessage, getScepCerts, postPkiOperation, scepEnroll, scepRenew, selfSigned } from "@/test/helpers/scepClient";
import { startScepServer, tempDir, tool } from "./tools";

const GO_SOURCE = path.resolve("test/verifiers/x509verify.go");
const PYCA_SCRIPT = path.resolve("test/verifiers/pyca_verify.py");
const CHALLENGE = "verifiers-static-secret";

let testDb: TestDb;
let server: RouteServer;
let url: string;
let dir: string;
let goBinary = "";
let goProblem = "";
let pycaProblem = "";

beforeAll(async () => {
  testDb = await createTestDb();
  server = await startScepServer();
  const p = await createScepProfile({
    name: "verifiers",
    challengeType: "STATIC",
    staticChallenge: CHALLENGE,
    subjectTemplate: "CN=$UDID,O=Verifiers",
    keyUsage: 5,
    validityDays: 30,
    renewalWindowDays: 30,
  });
  url = `${server.url}/scep/${p.profile.id}`;
  dir = tempDir("verifiers-");
  // Go: stdlib only, built into the temp folder with the local toolchain (no downloads).
  goBinary = path.join(dir, "x509verify");
  const built = await tool("go", ["build", "-o", goBinary, GO_SOURCE], { env: { GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod", GOCACHE: path.join(dir, "gocache"), GOPATH: path.join(dir, "gopath") } });
  if (built.code !== 0) goProblem = `go build failed: ${built.stderr}`;
  const py = await tool("python3", ["-c", "import cryptography.x509.verification"]);
  if (py.code !== 0) pycaProblem = `pyca/cryptography with x509.verification is missing: ${py.stderr.trim().split("\n").pop()}`;
}, 180_000);
afterAll(async () => {
  await server?.close();
  await testDb?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function pemFile(name: string, ders: Uint8Array[]): string {
  const file = path.join(dir, `${++n}-${name}.pem`);
  fs.writeFileSync(file, ders.map((d) => toPem(d, "CERTIFICATE")).join(""));
  return file;
}

/** Runs the three verifiers on one certificate; returns their outputs (each must say OK). */
async function verifyEverywhere(name: string, leaf: Uint8Array, roots: Uint8Array[], intermediates: Uint8Array[], usage: "client" | "any") {
  expect(goProblem, goProblem).toBe("");
  expect(pycaProblem, pycaProblem).toBe("");
  const leafFile = pemFile(name, [leaf]);
  const rootsFile = pemFile(`${name}-roots`, roots);
  const interFile = intermediates.length ? pemFile(`${name}-intermediates`, intermediates) : null;

  const opensslArgs = ["verify", "-x509_strict", "-CAfile", rootsFile, ...(interFile ? ["-untrusted", interFile] : []), ...(usage === "client" ? ["-purpose", "sslclient"] : []), leafFile];
  const o = await tool("openssl", opensslArgs);
  expect(o.stdout.trim(), `OpenSSL on ${name}: ${o.stdout}${o.stderr}`).toBe(`${leafFile}: OK`);

  const g = await tool(goBinary, ["-roots", rootsFile, ...(interFile ? ["-intermediates", interFile] : []), "-leaf", leafFile, "-usage", usage]);
  expect(g.stdout.trim(), `Go x509.Verify on ${name}: ${g.stdout}${g.stderr}`).toMatch(/^OK \d+$/);

  const p = await tool("python3", [PYCA_SCRIPT, rootsFile, interFile ?? "-", leafFile, usage]);
  expect(p.stdout.trim(), `pyca/cryptography on ${name}: ${p.stdout}${p.stderr}`).toMatch(/^OK \d+$/);
}

async function enrollAndRenew(subject: string) {
  const device = await scepEnroll({ url, challenge: CHALLENGE, subject });
  const renewed = await scepRenew({ url, current: { certDer: device.certDer, privateKeyPem: device.privateKeyPem }, subject });
  return { device: device.certDer, renewed: renewed.certDer };
}

describe("certificates under the built-in root", () => {
  it("CA, RA, OCSP responder, profile signer, a SCEP device certificate and its renewal pass OpenSSL -x509_strict, Go x509.Verify and pyca's verifier", async () => {
    const ca = await getCa();
    const ra = await getRa();
    const signer = await getProfileSigner();
    const { device, renewed } = await enrollAndRenew("CN=UDID-VERIFY-1,O=x");
    await verifyEverywhere("ca", ca.certDer, [ca.certDer], [], "any");
    await verifyEverywhere("ra", ra.certDer, [ca.certDer], [], "any");
    await verifyEverywhere("ocsp-responder", (await getOcspResponder()).certDer, [ca.certDer], [], "any");
    await verifyEverywhere("profile-signer", signer.certDer, [ca.certDer], [], "any");
    await verifyEverywhere("device", device, [ca.certDer], [], "client");
    await verifyEverywhere("renewed", renewed, [ca.certDer], [], "client");
  }, 120_000);
});

describe("an imported subordinate CA (root → intermediate made with OpenSSL)", () => {
  let rootDer: Uint8Array;
  let interDer: Uint8Array;

  beforeAll(async () => {
    const sub = path.join(dir, "imported");
    fs.mkdirSync(sub);
    const f = (x: string) => path.join(sub, x);
    const run = async (args: string[]) => {
      const r = await tool("openssl", args);
      if (r.code !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
    };
    fs.writeFileSync(f("inter.ext"), "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n");
    await run([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      f("root.key"),
      "-out",
      f("root.pem"),
      "-subj",
      "/CN=Acme Offline Root/O=Acme",
      "-days",
      "3650",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await run(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f("inter.key"), "-out", f("inter.csr"), "-subj", "/CN=Acme Issuing CA 1/O=Acme"]);
    await run([
      "x509",
      "-req",
      "-in",
      f("inter.csr"),
      "-CA",
      f("root.pem"),
      "-CAkey",
      f("root.key"),
      "-CAcreateserial",
      "-out",
      f("inter.pem"),
      "-days",
      "1825",
      "-sha256",
      "-extfile",
      f("inter.ext"),
    ]);
    const interPem = fs.readFileSync(f("inter.pem"), "utf8");
    const rootPem = fs.readFileSync(f("root.pem"), "utf8");
    const imported = await importCa(interPem + rootPem, fs.readFileSync(f("inter.key"), "utf8"));
    interDer = imported.certDer;
    rootDer = imported.rootDer;
    expect(Buffer.from(rootDer).equals(Buffer.from(rootPem.replace(/-----[^-]+-----|\s/g, ""), "base64"))).toBe(true);
  }, 120_000);

  it("refuses a subordinate without its chain, naming what to add", async () => {
    const sub = path.join(dir, "imported");
    await expect(importCa(fs.readFileSync(path.join(sub, "inter.pem"), "utf8"), fs.readFileSync(path.join(sub, "inter.key"), "utf8"))).rejects.toThrow(
      /issuer certificates up to the self-signed root/,
    );
  });

  it("GetCACert answers RA, intermediate, root; the RA is re-issued by the intermediate", async () => {
    const ra = await getRa();
    const certs = await getScepCerts(url);
    expect(certs.all.map((c) => Buffer.from(c).toString("hex"))).toEqual([ra.certDer, interDer, rootDer].map((c) => Buffer.from(c).toString("hex")));
    expect(Buffer.from(certs.caDer).equals(Buffer.from(interDer))).toBe(true);
  });

  it("CertReps carry the chain: signed by the RA, with the intermediate and root in the certificates", async () => {
    const k = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const { raDer } = await getScepCerts(url);
    const csrDer = await buildCsr("CN=UDID-CHAIN,O=x", k.privateKey, k.publicKey, CHALLENGE);
    const signerCertDer = await selfSigned("CN=UDID-CHAIN,O=x", k.privateKey, k.publicKey);
    const req = await buildPkiMessage({ csrDer, recipientCertDer: raDer, signerCertDer, signerKeyPem: k.privateKey });
    const res = await postPkiOperation(url, req.body);
    const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(ab(res.body)).content });
    const carried = (sd.certificates ?? []).map((c) => Buffer.from(certificateDer(c as pkijs.Certificate)).toString("hex"));
    expect(carried).toEqual([raDer, interDer, rootDer].map((c) => Buffer.from(c).toString("hex")));
  });

  it("RA, profile signer, device and renewed certificates verify to the root through the intermediate in all three verifiers", async () => {
    const ra = await getRa();
    const signer = await getProfileSigner();
    const { device, renewed } = await enrollAndRenew("CN=UDID-VERIFY-2,O=x");
    await verifyEverywhere("sub-ra", ra.certDer, [rootDer], [interDer], "any");
    await verifyEverywhere("sub-profile-signer", signer.certDer, [rootDer], [interDer], "any");
    await verifyEverywhere("sub-device", device, [rootDer], [interDer], "client");
    await verifyEverywhere("sub-renewed", renewed, [rootDer], [interDer], "client");
  }, 120_000);

  it("profiles trust the root (not the intermediate), pin it with CAFingerprint, and their signature verifies with only the root", async () => {
    const trust = await getProfileTrust();
    expect(Buffer.from(trust.rootDer).equals(Buffer.from(rootDer))).toBe(true);
    // The public download is that root too.
    expect(Buffer.from(await (await fetch(`${server.url}/ca`)).arrayBuffer()).equals(Buffer.from(rootDer))).toBe(true);
    // OpenSSL's SHA-1 fingerprint of the root, as Apple's SCEP client compares it.
    const rootFile = pemFile("fp-root", [rootDer]);
    const fp = (await tool("openssl", ["x509", "-noout", "-fingerprint", "-sha1", "-in", rootFile])).stdout.trim().replace(/^.*=/, "").replace(/:/g, "").toLowerCase();
    expect(Buffer.from(trust.caFingerprint).toString("hex")).toBe(fp);
    const signed = await signData(Buffer.from("<plist/>"), await getProfileSigner());
    const signedFile = path.join(dir, "profile.der");
    fs.writeFileSync(signedFile, signed);
    const v = await tool("openssl", ["cms", "-verify", "-inform", "DER", "-in", signedFile, "-CAfile", rootFile, "-purpose", "any", "-out", "/dev/null"]);
    expect(v.code, v.stderr).toBe(0);
  });
});
