// The CA, the profile signer and CMS signing/verification, checked against OpenSSL.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { clearServerKeyCache } from "@/lib/secrets/serverKeys";
import { clearCaCache, getCa, importCa, CaImportError } from "@/lib/pki/ca";
import { getProfileSigner } from "@/lib/pki/profileSigner";
import { CmsError, signData, verifySignedData } from "@/lib/pki/cms";
import { issueCertificate, listCertificates, lookupIssuedCertificate } from "@/lib/pki/certificates";
import { revokeCertificate } from "@/lib/pki/revocation";
import { toPem } from "@/lib/pki/der";
import { publicKeyInfoFromPem, generateRsaKeyPair } from "@/lib/pki/keys";

let testDb: TestDb;
let dir: string;

function openssl(args: string[], input?: Uint8Array): string {
  return execFileSync("openssl", args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

beforeAll(async () => {
  testDb = await createTestDb();
  clearServerKeyCache();
  clearCaCache();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pki-test-"));
});
afterAll(async () => {
  await testDb.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("CA", () => {
  it("creates one RSA-2048 self-signed CA, stores the key sealed, and returns the same one again", async () => {
    const ca = await getCa();
    const again = await getCa();
    expect(Buffer.from(again.certDer).equals(Buffer.from(ca.certDer))).toBe(true);
    const text = openssl(["x509", "-noout", "-text"], Buffer.from(ca.certPem));
    expect(text).toMatch(/Public-Key: \(2048 bit\)/);
    expect(text).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(text).toMatch(/CA:TRUE/);
    expect(text).toMatch(/Certificate Sign/);
    const row = await testDb.client.serverKey.findUniqueOrThrow({ where: { name: "ca" } });
    expect(row.encryptedKey.startsWith("v1.")).toBe(true);
    expect(row.encryptedKey).not.toContain("PRIVATE KEY");
    fs.writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
    expect(openssl(["verify", "-CAfile", path.join(dir, "ca.pem"), path.join(dir, "ca.pem")])).toMatch(/OK/);
  });

  it("issues certificates that openssl verifies against the CA, and records them", async () => {
    const keys = await generateRsaKeyPair(2048);
    const { serial, der } = await issueCertificate({
      publicKeyInfo: publicKeyInfoFromPem(keys.publicPem),
      subject: "CN=device-1,O=Example\\, Inc",
      validityDays: 30,
      keyUsage: 5,
    });
    const certPath = path.join(dir, "leaf.pem");
    fs.writeFileSync(certPath, toPem(der, "CERTIFICATE"));
    expect(openssl(["verify", "-CAfile", path.join(dir, "ca.pem"), certPath])).toMatch(/OK/);
    // Written order is DER order (like openssl -subj): CN first.
    expect(openssl(["x509", "-noout", "-subject", "-nameopt", "compat", "-in", certPath]).trim()).toBe("subject=/CN=device-1/O=Example, Inc");
    const text = openssl(["x509", "-noout", "-text", "-in", certPath]);
    expect(text).toMatch(/Digital Signature, Key Encipherment/);
    const row = await lookupIssuedCertificate(der);
    expect(row?.serial).toBe(serial);
    expect(row?.revokedAt).toBeNull();
    expect(Math.round((row!.notAfter.getTime() - Date.now()) / 86_400_000)).toBe(30);
    await revokeCertificate(serial, { reason: "lost" });
    expect((await lookupIssuedCertificate(der))?.revokedAt).toBeInstanceOf(Date);
    expect((await listCertificates({ revoked: true })).items.map((c) => c.serial)).toContain(serial);
  });

  it("refuses an import whose key does not match, or that is not a CA", async () => {
    const key = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const otherKeyPem = key.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const ca = await getCa();
    await expect(importCa(ca.certPem, otherKeyPem)).rejects.toBeInstanceOf(CaImportError);
    const keyPath = path.join(dir, "leafkey.pem");
    fs.writeFileSync(keyPath, otherKeyPem);
    const leafPem = openssl(["req", "-new", "-x509", "-key", keyPath, "-subj", "/CN=not a ca", "-days", "2", "-addext", "basicConstraints=critical,CA:FALSE"]);
    await expect(importCa(leafPem, otherKeyPem)).rejects.toThrow(/not a CA/);
    await expect(importCa("garbage", otherKeyPem)).rejects.toBeInstanceOf(CaImportError);
  });

  it("imports an admin CA and re-issues the profile signer under it", async () => {
    const before = await getProfileSigner();
    const keyPath = path.join(dir, "importkey.pem");
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keyPath]);
    const certPem = openssl([
      "req",
      "-new",
      "-x509",
      "-key",
      keyPath,
      "-subj",
      "/CN=Imported Root/O=Acme",
      "-days",
      "3650",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign,digitalSignature,keyEncipherment",
    ]);
    const imported = await importCa(certPem, fs.readFileSync(keyPath, "utf8"));
    expect(imported.cert.subject.typesAndValues.map((t) => String(t.value.valueBlock.value))).toContain("Imported Root");
    const after = await getProfileSigner();
    expect(Buffer.from(after.certDer).equals(Buffer.from(before.certDer))).toBe(false);
    expect(Buffer.from(after.chainDer[0]).equals(Buffer.from(imported.certDer))).toBe(true);
    fs.writeFileSync(path.join(dir, "imported.pem"), certPem);
    fs.writeFileSync(path.join(dir, "signer.pem"), toPem(after.certDer, "CERTIFICATE"));
    expect(openssl(["verify", "-CAfile", path.join(dir, "imported.pem"), path.join(dir, "signer.pem")])).toMatch(/OK/);
  });
});

describe("CMS", () => {
  it("signs data that openssl cms -verify accepts, attached and detached", async () => {
    const signer = await getProfileSigner();
    const ca = await getCa();
    fs.writeFileSync(path.join(dir, "current-ca.pem"), ca.certPem);
    const content = new TextEncoder().encode("<plist>hello</plist>");
    const attached = await signData(content, signer);
    const out = execFileSync("openssl", ["cms", "-verify", "-inform", "DER", "-CAfile", path.join(dir, "current-ca.pem"), "-purpose", "any"], { input: attached });
    expect(out.toString()).toBe("<plist>hello</plist>");
    const detached = await signData(content, signer, { detached: true });
    fs.writeFileSync(path.join(dir, "content.txt"), content);
    execFileSync(
      "openssl",
      ["cms", "-verify", "-inform", "DER", "-binary", "-content", path.join(dir, "content.txt"), "-CAfile", path.join(dir, "current-ca.pem"), "-purpose", "any", "-out", "/dev/null"],
      { input: detached },
    );
    const v = await verifySignedData(detached, content);
    expect(Buffer.from(v.signerCertDer).equals(Buffer.from(signer.certDer))).toBe(true);
    expect(Buffer.from((await verifySignedData(attached)).content).toString()).toBe("<plist>hello</plist>");
  });

  it("verifies what openssl signs (SHA-1 and SHA-256, RSA and ECDSA)", async () => {
    const content = path.join(dir, "body.bin");
    fs.writeFileSync(content, "check-in body");
    for (const [alg, md] of [
      ["RSA", "sha1"],
      ["RSA", "sha256"],
      ["EC", "sha256"],
    ] as const) {
      const key = path.join(dir, `k-${alg}-${md}.pem`);
      if (alg === "RSA") openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key]);
      else openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
      const cert = path.join(dir, `c-${alg}-${md}.pem`);
      openssl(["req", "-new", "-x509", "-key", key, "-subj", "/CN=device", "-days", "1", "-out", cert]);
      const sig = execFileSync("openssl", ["cms", "-sign", "-binary", "-md", md, "-in", content, "-signer", cert, "-inkey", key, "-outform", "DER"]);
      const v = await verifySignedData(new Uint8Array(sig), fs.readFileSync(content));
      expect(Buffer.from(v.content).toString()).toBe("check-in body");
      await expect(verifySignedData(new Uint8Array(sig), new TextEncoder().encode("check-in bodY"))).rejects.toBeInstanceOf(CmsError);
    }
  });

  it("throws CmsError for garbage, truncation, tampering and wrong content, never anything else", async () => {
    const signer = await getProfileSigner();
    const good = await signData(new TextEncoder().encode("payload"), signer);
    const cases: Uint8Array[] = [new Uint8Array(0), new TextEncoder().encode("not der at all"), good.subarray(0, good.length - 10), good.subarray(0, 40)];
    const tampered = good.slice();
    tampered[tampered.length - 5] ^= 0xff;
    cases.push(tampered);
    const body = good.slice();
    const at = Buffer.from(body).indexOf(Buffer.from("payload"));
    body[at] = 0x50;
    cases.push(body);
    for (let i = 0; i < 200; i++) {
      const fuzz = good.slice();
      fuzz[crypto.randomInt(fuzz.length)] = crypto.randomInt(256);
      cases.push(fuzz);
    }
    let rejected = 0;
    for (const c of cases) {
      try {
        await verifySignedData(c);
      } catch (err) {
        expect(err).toBeInstanceOf(CmsError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThanOrEqual(6);
    await expect(verifySignedData(await signData(new TextEncoder().encode("x"), signer, { detached: true }))).rejects.toThrow(/detached/);
  });
});

// pkijs must be importable in tests with the Node WebCrypto engine.
void pkijs;
