// Certificates our CA signs: signCertificate's DER against pkijs's own signing.
import crypto from "node:crypto";
import * as asn1js from "asn1js";
import { describe, expect, it } from "vitest";
import { ab } from "./der";
import { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem } from "./keys";
import { nameFromString } from "./names";
import { buildCertificate, certificateDer, EKU, isSignedBy, keyIdentifier, KU, signCertificate, type CertificateTemplate } from "./x509";

async function template(publicPem: string): Promise<CertificateTemplate> {
  const info = publicKeyInfoFromPem(publicPem);
  return {
    subject: nameFromString("CN=device-1,O=Open Enroll"),
    issuer: nameFromString("CN=Test Root,O=Open Enroll"),
    publicKeyInfo: info,
    notBefore: new Date("2026-01-01T00:00:00Z"),
    notAfter: new Date("2027-01-01T00:00:00Z"),
    keyUsageBits: [KU.digitalSignature, KU.keyEncipherment],
    extKeyUsage: [EKU.clientAuth],
    issuerKeyId: keyIdentifier(info),
    serial: new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8]),
  };
}

describe("signCertificate", () => {
  it("re-encodes to the DER it returns, which OpenSSL verifies with the CA key", async () => {
    const ca = await generateRsaKeyPair(2048);
    const subject = await generateRsaKeyPair(2048);
    const caKey = await importSigningKey(ca.privatePem);
    const { cert, der } = await signCertificate(await template(subject.publicPem), caKey);
    expect(Buffer.from(certificateDer(cert))).toEqual(Buffer.from(der));
    const x509 = new crypto.X509Certificate(Buffer.from(der));
    expect(x509.verify(crypto.createPublicKey(ca.privatePem))).toBe(true);
  });

  it("writes sha256WithRSAEncryption with a NULL parameter in the TBS signature and the outer signatureAlgorithm (RFC 4055 §5)", async () => {
    const ca = await generateRsaKeyPair(2048);
    const subject = await generateRsaKeyPair(2048);
    const { der } = await signCertificate(await template(subject.publicPem), await importSigningKey(ca.privatePem));
    // SEQUENCE { OID 1.2.840.113549.1.1.11, NULL }, written out by hand from RFC 4055.
    const pinned = "300d06092a864886f70d01010b0500";
    const hex = Buffer.from(der).toString("hex");
    expect(hex.split(pinned).length - 1).toBe(2);
    const outer = asn1js.fromBER(ab(der)).result as asn1js.Sequence;
    const [tbs, sigAlg] = outer.valueBlock.value as asn1js.Sequence[];
    expect(Buffer.from(sigAlg.toBER(false)).toString("hex")).toBe(pinned);
    const tbsFields = tbs.valueBlock.value;
    expect(Buffer.from(tbsFields[2].toBER(false)).toString("hex")).toBe(pinned); // [0] version, serial, signature
  });

  it("signs with an ECDSA key (DER signature, ecdsa-with-SHA256) that pkijs verifies", async () => {
    const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1", privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const issuerKey = await importSigningKey(privateKey);
    const publicPem = crypto.createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
    const t = await template(publicPem);
    const cert = await buildCertificate({ ...t, issuer: t.subject }, issuerKey);
    expect(cert.signatureAlgorithm.algorithmId).toBe("1.2.840.10045.4.3.2");
    expect(await isSignedBy(cert, cert)).toBe(true);
    expect(asn1js.fromBER(cert.signatureValue.valueBlock.valueHexView).offset).toBeGreaterThan(0); // DER SEQUENCE { r, s }
  });
});
