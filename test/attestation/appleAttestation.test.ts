import { execFileSync } from "node:child_process";
import crypto, { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AttestationError, type AttestationFailure, attestationRoots, verifyAppleAttestationChain } from "@/lib/attestation/appleAttestation";
import { APPLE_ENTERPRISE_ATTESTATION_ROOT_CA_PEM, APPLE_ENTERPRISE_ATTESTATION_ROOT_CA_SHA256 } from "@/lib/attestation/appleRoots";
import { derExtension, toPem } from "@/lib/pki/der";
import { ATTESTATION_OIDS, makeAppleAttestationChain, makeTestAttestationRoot, makeTestCertificate } from "../helpers/fakeAppleAttestation";

const root = makeTestAttestationRoot();
const deviceKey = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
const freshness = crypto.createHash("sha256").update(token).digest();
const device = { serialNumber: "C02XK1ABJG5J", udid: "00008030-001A2B3C4D5E6F70", osVersion: "17.4", sepOsVersion: "17.4", freshness, publicKey: deviceKey.publicKey };
const chain = () => makeAppleAttestationChain(root, device);
const opts = { roots: [root.root], expectedFreshness: freshness };

/** The verdict of a refused chain; with `reason`, the message must match it (so each case hits the check it means to). */
function failure(fn: () => unknown, reason?: RegExp): AttestationFailure {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof AttestationError)) throw new Error(`threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
    if (reason) expect(e.message).toMatch(reason);
    return e.failure;
  }
  throw new Error("did not throw");
}

describe("embedded Apple Enterprise Attestation Root CA", () => {
  afterEach(() => {
    delete process.env.ATTESTATION_TEST_ROOTS_PEM;
  });

  it("is the certificate with the published fingerprint, a self-signed P-384 CA valid until 2047", () => {
    const cert = new X509Certificate(APPLE_ENTERPRISE_ATTESTATION_ROOT_CA_PEM);
    expect(crypto.createHash("sha256").update(cert.raw).digest("hex")).toBe(APPLE_ENTERPRISE_ATTESTATION_ROOT_CA_SHA256);
    expect(cert.subject).toContain("CN=Apple Enterprise Attestation Root CA");
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2047);
  });

  it("is the default anchor; ATTESTATION_TEST_ROOTS_PEM replaces it", () => {
    expect(attestationRoots().map((r) => r.fingerprint256)).toEqual([new X509Certificate(APPLE_ENTERPRISE_ATTESTATION_ROOT_CA_PEM).fingerprint256]);
    // A stand-in chain does not verify against Apple's root.
    expect(failure(() => verifyAppleAttestationChain(chain(), { roots: attestationRoots(), expectedFreshness: freshness }))).toBe("attestation-chain");
    process.env.ATTESTATION_TEST_ROOTS_PEM = root.rootPem;
    expect(attestationRoots().map((r) => r.fingerprint256)).toEqual([root.root.fingerprint256]);
    expect(verifyAppleAttestationChain(chain(), { roots: attestationRoots(), expectedFreshness: freshness }).serialNumber).toBe(device.serialNumber);
  });
});

describe("verifyAppleAttestationChain", () => {
  it("returns the attested properties and key of a good chain", () => {
    const got = verifyAppleAttestationChain(chain(), opts);
    expect(got).toMatchObject({ serialNumber: device.serialNumber, udid: device.udid, osVersion: "17.4", sepOsVersion: "17.4" });
    expect(got.freshness?.equals(freshness)).toBe(true);
    expect(got.publicKeySpki.equals(deviceKey.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
    expect(got.bootSecurity).toBeUndefined();
  });

  it("reads the macOS boot security properties", () => {
    const c = makeAppleAttestationChain(root, { ...device, llbVersion: "10151.101.3", secureBootStatus: "Full Security", sipStatus: 0 });
    expect(verifyAppleAttestationChain(c, opts).bootSecurity).toEqual({ llbVersion: "10151.101.3", secureBootStatus: "Full Security", sipStatus: 0 });
  });

  it("accepts the root itself at the end of the chain, and no expected freshness", () => {
    expect(verifyAppleAttestationChain([...chain(), root.rootDer], { roots: [root.root] }).udid).toBe(device.udid);
  });

  it("refuses a freshness code that differs from the expected one (attestation-nonce)", () => {
    const other = crypto.createHash("sha256").update("another token").digest();
    expect(failure(() => verifyAppleAttestationChain(chain(), { ...opts, expectedFreshness: other }))).toBe("attestation-nonce");
    expect(failure(() => verifyAppleAttestationChain(chain(), { ...opts, expectedFreshness: freshness.subarray(0, 16) }))).toBe("attestation-nonce");
    const c = makeAppleAttestationChain(root, { ...device, freshness: undefined as unknown as Buffer });
    expect(failure(() => verifyAppleAttestationChain(c, opts))).toBe("attestation-nonce");
  });

  it("refuses a chain that does not end at a configured root (attestation-chain)", () => {
    const other = makeTestAttestationRoot("Test Enterprise Attestation Root CA");
    expect(failure(() => verifyAppleAttestationChain(chain(), { ...opts, roots: [other.root] }))).toBe("attestation-chain");
    expect(failure(() => verifyAppleAttestationChain(chain(), { ...opts, roots: [] }))).toBe("attestation-chain");
    // The leaf alone: its issuer is the intermediate, which is no root.
    expect(failure(() => verifyAppleAttestationChain([chain()[0]], opts))).toBe("attestation-chain");
    // A chain whose root the sender supplies is still not trusted.
    expect(failure(() => verifyAppleAttestationChain([...makeAppleAttestationChain(other, device), other.rootDer], opts))).toBe("attestation-chain");
  });

  it("refuses a leaf whose signature was altered (attestation-chain)", () => {
    const [leaf, inter] = chain();
    const bad = Buffer.from(leaf);
    bad[bad.length - 5] ^= 0x01;
    expect(failure(() => verifyAppleAttestationChain([bad, inter], opts), /not signed by/)).toBe("attestation-chain");
  });

  it("refuses an issuer that is not a CA or may not sign certificates (attestation-chain)", () => {
    const k = crypto.generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    for (const bad of [{ ca: false }, { ca: true, keyUsageByte: 0x80 }]) {
      const inter = makeTestCertificate({ subjectCn: "Rogue Sub CA", issuerCn: root.intermediateCn, publicKey: k.publicKey, signingKey: root.intermediateKey, ...bad });
      const leaf = makeTestCertificate({
        subjectCn: "leaf",
        issuerCn: "Rogue Sub CA",
        publicKey: deviceKey.publicKey,
        signingKey: k.privateKey,
        extensions: [derExtension(ATTESTATION_OIDS.freshness, freshness)],
      });
      expect(failure(() => verifyAppleAttestationChain([leaf, inter, root.intermediateDer], opts), /certificate 1 is not a CA/)).toBe("attestation-chain");
    }
  });

  it("refuses a chain longer than a pathLenConstraint allows (attestation-chain)", () => {
    // The intermediate has pathLen 0: a CA below it that signs the leaf breaks the limit.
    const k = crypto.generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    const sub = makeTestCertificate({ subjectCn: "Deeper CA", issuerCn: root.intermediateCn, publicKey: k.publicKey, signingKey: root.intermediateKey, ca: true });
    const leaf = makeTestCertificate({
      subjectCn: "leaf",
      issuerCn: "Deeper CA",
      publicKey: deviceKey.publicKey,
      signingKey: k.privateKey,
      extensions: [derExtension(ATTESTATION_OIDS.freshness, freshness)],
    });
    expect(failure(() => verifyAppleAttestationChain([leaf, sub, root.intermediateDer], opts), /allows 0 intermediates/)).toBe("attestation-chain");
  });

  it("refuses a leaf that is a CA or has an unknown critical extension (attestation-chain)", () => {
    const ca = makeTestCertificate({
      subjectCn: "leaf",
      issuerCn: root.intermediateCn,
      publicKey: deviceKey.publicKey,
      signingKey: root.intermediateKey,
      ca: true,
      extensions: [derExtension(ATTESTATION_OIDS.freshness, freshness)],
    });
    expect(failure(() => verifyAppleAttestationChain([ca, root.intermediateDer], opts), /leaf is a CA/)).toBe("attestation-chain");
    const crit = makeAppleAttestationChain(root, { ...device, extensions: [derExtension("1.3.6.1.4.1.99999.1", Buffer.from([0x05, 0x00]), true)] });
    expect(failure(() => verifyAppleAttestationChain(crit, opts), /critical extension/)).toBe("attestation-chain");
  });

  it("refuses an expired or not yet valid leaf, and checks dates against `now` (attestation-expired)", () => {
    const day = 24 * 3600_000;
    const expired = makeAppleAttestationChain(root, { ...device, notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() - day) });
    expect(failure(() => verifyAppleAttestationChain(expired, opts))).toBe("attestation-expired");
    const future = makeAppleAttestationChain(root, { ...device, notBefore: new Date(Date.now() + day) });
    expect(failure(() => verifyAppleAttestationChain(future, opts))).toBe("attestation-expired");
    expect(failure(() => verifyAppleAttestationChain(chain(), { ...opts, now: new Date(Date.now() + 400 * day) }))).toBe("attestation-expired");
  });

  it("answers malformed input with attestation-malformed, never another error", () => {
    const [leaf, inter] = chain();
    const cases: unknown[][] = [
      [],
      [Buffer.alloc(0)],
      [Buffer.from("not a certificate")],
      [leaf.subarray(0, leaf.length - 10), inter],
      [Buffer.concat([leaf, Buffer.from([0])]), inter],
      [Buffer.alloc(20_000, 0x30)],
      ["a string" as unknown],
      Array.from({ length: 6 }, () => leaf),
      [makeAppleAttestationChain(root, { ...device, serialNumber: "bad\u0000serial" })[0], inter],
      [makeAppleAttestationChain(root, { ...device, udid: "x".repeat(300) })[0], inter],
    ];
    for (const c of cases) expect(failure(() => verifyAppleAttestationChain(c as Buffer[], opts))).toBe("attestation-malformed");
    expect(failure(() => verifyAppleAttestationChain(undefined as unknown as Buffer[], opts))).toBe("attestation-malformed");
  });

  it("survives random corruption of every byte position with an AttestationError", () => {
    const [leaf, inter] = chain();
    const rnd = crypto.randomBytes(leaf.length);
    for (let i = 0; i < leaf.length; i++) {
      const bad = Buffer.from(leaf);
      bad[i] ^= rnd[i] || 1;
      try {
        verifyAppleAttestationChain([bad, inter], opts);
        // Only a flip inside the unsigned outer framing could leave it valid; it cannot here.
        throw new Error(`corruption at ${i} was accepted`);
      } catch (e) {
        expect(e).toBeInstanceOf(AttestationError);
      }
    }
  });
});

describe("the stand-in chain, as independent parsers see it", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-"));
  const [leaf, inter] = chain();
  fs.writeFileSync(path.join(dir, "leaf.pem"), toPem(leaf, "CERTIFICATE"));
  fs.writeFileSync(path.join(dir, "inter.pem"), toPem(inter, "CERTIFICATE"));
  fs.writeFileSync(path.join(dir, "root.pem"), root.rootPem);

  it("OpenSSL verifies it to the test root and shows Apple's OIDs with the device's values", () => {
    const verified = execFileSync("openssl", ["verify", "-CAfile", path.join(dir, "root.pem"), "-untrusted", path.join(dir, "inter.pem"), path.join(dir, "leaf.pem")]).toString();
    expect(verified).toContain(": OK");
    const text = execFileSync("openssl", ["x509", "-in", path.join(dir, "leaf.pem"), "-noout", "-text"]).toString();
    for (const oid of [ATTESTATION_OIDS.serialNumber, ATTESTATION_OIDS.udid, ATTESTATION_OIDS.osVersion, ATTESTATION_OIDS.sepOsVersion, ATTESTATION_OIDS.freshness]) {
      expect(text).toContain(oid);
    }
    expect(text).toContain(device.serialNumber);
    expect(text).toContain(device.udid);
  });

  it("pyca/cryptography reads the same extension values", () => {
    const script = `
import sys, json
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier
leaf = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
inter = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
leaf.verify_directly_issued_by(inter)
out = {}
for oid in sys.argv[3:]:
    out[oid] = leaf.extensions.get_extension_for_oid(ObjectIdentifier(oid)).value.value.hex()
print(json.dumps(out))
`;
    const oids = [ATTESTATION_OIDS.serialNumber, ATTESTATION_OIDS.udid, ATTESTATION_OIDS.sepOsVersion, ATTESTATION_OIDS.freshness];
    const out = JSON.parse(execFileSync("python3", ["-c", script, path.join(dir, "leaf.pem"), path.join(dir, "inter.pem"), ...oids]).toString());
    expect(Buffer.from(out[ATTESTATION_OIDS.serialNumber], "hex").toString()).toBe(device.serialNumber);
    expect(Buffer.from(out[ATTESTATION_OIDS.udid], "hex").toString()).toBe(device.udid);
    expect(Buffer.from(out[ATTESTATION_OIDS.sepOsVersion], "hex").toString()).toBe("17.4");
    expect(out[ATTESTATION_OIDS.freshness]).toBe(freshness.toString("hex"));
  });
});
