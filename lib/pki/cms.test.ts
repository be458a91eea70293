// CMS SignedData: what signData writes and what verifySignedData accepts or refuses.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { CmsError, OID, parseSignedData, parseSignedDataFull, signData, signerDigestHash, verifySignedData, verifySignedDataDigest, type ParsedSignedData } from "./cms";
import { ab, bytesEqual } from "./der";
import { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem } from "./keys";
import { nameFromString } from "./names";
import { buildCertificate, certificateDer, keyIdentifier, KU } from "./x509";

async function identity(subject: string) {
  const keys = await generateRsaKeyPair(2048);
  const info = publicKeyInfoFromPem(keys.publicPem);
  const privateKey = await importSigningKey(keys.privatePem);
  const cert = await buildCertificate(
    {
      subject: nameFromString(subject),
      issuer: nameFromString(subject),
      publicKeyInfo: info,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsageBits: [KU.digitalSignature],
      issuerKeyId: keyIdentifier(info),
    },
    privateKey,
  );
  return { certDer: certificateDer(cert), chainDer: [] as Uint8Array[], privateKey, privatePem: keys.privatePem };
}

const id = await identity("CN=CMS Test,O=Open Enroll");

describe("ab", () => {
  it("copies only the view's bytes, not the Buffer pool behind a small Buffer", () => {
    const small = Buffer.from("hello");
    expect(small.buffer.byteLength).toBeGreaterThan(5); // pool-backed
    expect(new Uint8Array(ab(small))).toEqual(new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f]));
  });
});

describe("signData", () => {
  it("encapsulates exactly the content it was given, also from a pooled Buffer", async () => {
    const content = Buffer.from("<plist>small</plist>");
    const der = await signData(content, id);
    const parsed = parseSignedData(der);
    expect(Buffer.from(parsed.eContent!)).toEqual(content);
    const { content: verified, signerCertDer } = await verifySignedData(der);
    expect(Buffer.from(verified)).toEqual(content);
    expect(Buffer.from(signerCertDer)).toEqual(Buffer.from(id.certDer));
  });
});

describe("verifySignedData", () => {
  const body = Buffer.from("<plist><dict><key>MessageType</key><string>Authenticate</string></dict></plist>");

  it("accepts a detached signature over the given content and returns the signer certificate", async () => {
    const sig = await signData(body, id, { detached: true });
    const r = await verifySignedData(sig, body);
    expect(Buffer.from(r.signerCertDer)).toEqual(Buffer.from(id.certDer));
  });

  it("refuses other content (messageDigest), a flipped signature bit, and a missing detached content", async () => {
    const sig = await signData(body, id, { detached: true });
    await expect(verifySignedData(sig, Buffer.from("other"))).rejects.toThrow(/message digest/);
    const tampered = new Uint8Array(sig);
    tampered[tampered.length - 5] ^= 1; // inside the signature value, the last field
    await expect(verifySignedData(tampered, body)).rejects.toThrow(/does not verify/);
    await expect(verifySignedData(sig)).rejects.toThrow(/detached/);
  });

  it("refuses garbage and trailing bytes with CmsError", async () => {
    const sig = await signData(body, id, { detached: true });
    await expect(verifySignedData(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(CmsError);
    await expect(verifySignedData(new Uint8Array([...sig, 0]), body)).rejects.toBeInstanceOf(CmsError);
  });
});

function plain(p: ParsedSignedData) {
  const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString("hex") : null);
  return {
    eContentType: p.eContentType,
    eContent: hex(p.eContent),
    signerCertDer: hex(p.signerCertDer),
    digestOid: p.signer.digestOid,
    signatureOid: p.signer.signatureOid,
    signature: hex(p.signer.signature),
    signedAttrs: hex(p.signer.signedAttrs),
    attributes: [...p.signer.attributes].map(([k, v]) => [k, hex(v)]),
    spki: hex(p.signer.spki),
    subject: p.signerCert.subject.typesAndValues.map((t) => t.value.valueBlock.value),
    sidSerial: Buffer.from((p.signerInfo.sid as pkijs.IssuerAndSerialNumber).serialNumber.valueBlock.valueHexView).toString("hex"),
  };
}

describe("parseSignedData", () => {
  const other = identity("CN=Chain Member,O=Open Enroll");
  const scepAttr = new pkijs.Attribute({ type: "2.16.840.1.113733.1.9.7", values: [new asn1js.PrintableString({ value: "tx-1" })] });

  it("reads DER messages directly with the same result as the pkijs parse (attached, detached, empty, extra certificates and attributes)", async () => {
    const chain = await other;
    const messages = [
      await signData(Buffer.from("attached content"), id),
      await signData(Buffer.from("detached content"), id, { detached: true }),
      await signData(new Uint8Array(0), id, { attributes: [scepAttr] }),
      await signData(new Uint8Array(2000).fill(7), { ...id, chainDer: [chain.certDer] }, { contentType: OID.envelopedData }),
    ];
    for (const der of messages) expect(plain(parseSignedData(der))).toEqual(plain(parseSignedDataFull(der)));
  });

  it("takes BER (indefinite lengths) through the pkijs parse, and verifies it", async () => {
    const content = Buffer.from("ber content");
    const der = await signData(content, id);
    // Re-encode the outer ContentInfo with an indefinite length: 30 80 ... 00 00.
    const root = asn1js.fromBER(der).result as asn1js.Sequence;
    root.lenBlock.isIndefiniteForm = true;
    const ber = new Uint8Array(root.toBER(false));
    expect(ber[1]).toBe(0x80);
    expect(plain(parseSignedData(ber))).toEqual(plain(parseSignedDataFull(der)));
    expect(Buffer.from((await verifySignedData(ber)).content)).toEqual(content);
  });

  it("finds no signer certificate when the message carries only another one", async () => {
    const chain = await other;
    const der = await signData(Buffer.from("x"), { ...id, chainDer: [chain.certDer] });
    // Drop the signer's own certificate by signing with omitCertificates and checking the refusal wording.
    const bare = await signData(Buffer.from("x"), id, { omitCertificates: true });
    expect(() => parseSignedData(bare)).toThrow(/certificate is not included/);
    expect(parseSignedData(der).signerCertDer).toEqual(id.certDer);
  });
});

/** signData as it was written with pkijs + WebCrypto: the reference for the DER it assembles now. */
async function pkijsSignData(
  content: Uint8Array,
  signer: { certDer: Uint8Array; chainDer: Uint8Array[]; privateKey: CryptoKey },
  opts: { detached?: boolean; attributes?: pkijs.Attribute[]; contentType?: string; omitCertificates?: boolean } = {},
) {
  const signerCert = pkijs.Certificate.fromBER(ab(signer.certDer));
  const chain = signer.chainDer.filter((d) => !bytesEqual(d, signer.certDer)).map((d) => pkijs.Certificate.fromBER(ab(d)));
  const eContentType = opts.contentType ?? OID.data;
  const digest = crypto.createHash("sha256").update(content).digest();
  const attributes = [
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: eContentType })] }),
    new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: ab(new Uint8Array(digest)) })] }),
    ...(opts.attributes ?? []),
  ]
    .map((a) => ({ a, der: Buffer.from(a.toSchema().toBER(false)) }))
    .sort((x, y) => Buffer.compare(x.der, y.der))
    .map((x) => x.a);
  const encap = new pkijs.EncapsulatedContentInfo({ eContentType });
  if (!opts.detached) encap.eContent = new asn1js.OctetString({ valueHex: ab(content) });
  if (!opts.detached && content.byteLength === 0) {
    encap.toSchema = () =>
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: eContentType }),
          new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.OctetString({ valueHex: new ArrayBuffer(0) })] }),
        ],
      });
  }
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: encap,
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: signerCert.issuer, serialNumber: signerCert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
      }),
    ],
    certificates: opts.omitCertificates ? undefined : [signerCert, ...chain],
  });
  await signedData.sign(signer.privateKey, 0, "SHA-256");
  // pkijs writes the identifiers the other way round from RFC 5754 §2 / RFC 4055 §5 (digest with
  // NULL, signature without); they are outside the signed bytes, so set them as the RFCs say.
  const sha256 = new pkijs.AlgorithmIdentifier({ algorithmId: "2.16.840.1.101.3.4.2.1" });
  signedData.digestAlgorithms = [sha256];
  signedData.signerInfos[0].digestAlgorithm = sha256;
  if (signedData.signerInfos[0].signatureAlgorithm.algorithmId === "1.2.840.113549.1.1.11") {
    signedData.signerInfos[0].signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: "1.2.840.113549.1.1.11", algorithmParams: new asn1js.Null() });
  }
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

describe("signData output", () => {
  afterEach(() => vi.useRealTimers());

  it("is byte for byte what the pkijs implementation wrote (RSA: deterministic signature)", async () => {
    const chain = await identity("CN=Chain Member,O=Open Enroll");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-03-04T05:06:07.890Z"));
    const scep = [
      new pkijs.Attribute({ type: "2.16.840.1.113733.1.9.2", values: [new asn1js.PrintableString({ value: "3" })] }),
      new pkijs.Attribute({ type: "2.16.840.1.113733.1.9.5", values: [new asn1js.OctetString({ valueHex: ab(new Uint8Array(16).fill(9)) })] }),
    ];
    const cases: [Uint8Array, Parameters<typeof signData>[2]][] = [
      [Buffer.from("<plist>profile</plist>"), {}],
      [new Uint8Array(70_000).fill(0x41), {}],
      [Buffer.from("detached"), { detached: true }],
      [new Uint8Array(0), { attributes: scep }],
      [Buffer.from("envelope"), { attributes: scep, contentType: OID.envelopedData }],
      [Buffer.from("bare"), { omitCertificates: true }],
    ];
    for (const [content, opts] of cases) {
      for (const signer of [id, { ...id, chainDer: [chain.certDer, id.certDer] }]) {
        const ours = await signData(content, signer, opts);
        const reference = await pkijsSignData(content, signer, opts);
        expect(Buffer.from(ours).toString("hex")).toBe(Buffer.from(reference).toString("hex"));
      }
    }
  });

  it("writes the SignerInfo's identifiers as the RFCs say: SHA-256 digest without parameters, sha256WithRSAEncryption with NULL", async () => {
    const der = await signData(Buffer.from("x"), id);
    const parsed = asn1js.fromBER(ab(der)).result as asn1js.Sequence;
    const sd = ((parsed.valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    const digestAlgorithms = sd[1] as asn1js.Set;
    const signerInfo = ((sd[sd.length - 1] as asn1js.Set).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    const hex = (v: asn1js.AsnType) => Buffer.from(v.toBER(false)).toString("hex");
    expect(hex(digestAlgorithms)).toBe("310d300b0609608648016503040201");
    expect(hex(signerInfo[2])).toBe("300b0609608648016503040201"); // digestAlgorithm (RFC 5754 §2)
    expect(hex(signerInfo[4])).toBe("300d06092a864886f70d01010b0500"); // signatureAlgorithm (RFC 4055 §5)
  });

  it("signs with ECDSA keys too (DER signature, ecdsa-with-SHA256), and the result verifies", async () => {
    const { privateKey: pem } = crypto.generateKeyPairSync("ec", {
      namedCurve: "prime256v1",
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const publicPem = crypto.createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
    const info = publicKeyInfoFromPem(publicPem);
    const privateKey = await importSigningKey(pem);
    const cert = await buildCertificate(
      {
        subject: nameFromString("CN=EC"),
        issuer: nameFromString("CN=EC"),
        publicKeyInfo: info,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        keyUsageBits: [KU.digitalSignature],
      },
      privateKey,
    );
    const body = Buffer.from("ec body");
    const der = await signData(body, { certDer: certificateDer(cert), chainDer: [], privateKey }, { detached: true });
    expect(parseSignedData(der).signer.signatureOid).toBe("1.2.840.10045.4.3.2");
    expect(Buffer.from((await verifySignedData(der, body)).content)).toEqual(body);
  });
});

describe("verifySignedDataDigest", () => {
  /** A detached SignedData made by OpenSSL (not by signData), with the given digest and attributes. */
  function opensslSign(content: Buffer, md: string, noattr = false): Uint8Array {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cms-digest-"));
    try {
      const file = (n: string) => path.join(dir, n);
      fs.writeFileSync(file("body"), content);
      fs.writeFileSync(file("cert.pem"), `-----BEGIN CERTIFICATE-----\n${Buffer.from(id.certDer).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----\n`);
      fs.writeFileSync(file("key.pem"), id.privatePem);
      execFileSync("openssl", [
        "cms",
        "-sign",
        "-binary",
        "-md",
        md,
        ...(noattr ? ["-noattr"] : []),
        "-in",
        file("body"),
        "-signer",
        file("cert.pem"),
        "-inkey",
        file("key.pem"),
        "-outform",
        "DER",
        "-out",
        file("sig.der"),
      ]);
      return new Uint8Array(fs.readFileSync(file("sig.der")));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const body = Buffer.from("x".repeat(10_000));
  const digest = (hash: string, b: Buffer = body) => ({ hash, value: new Uint8Array(crypto.createHash(hash).update(b).digest()) });

  it("verifies OpenSSL's detached signature from the content's digest alone, with the hash the signer names", async () => {
    for (const md of ["sha256", "sha384"]) {
      const sig = opensslSign(body, md);
      expect(signerDigestHash(sig)).toBe(md);
      expect(Buffer.from(verifySignedDataDigest(sig, digest(md)).signerCertDer)).toEqual(Buffer.from(id.certDer));
    }
  });

  it("refuses a digest of other content, of another algorithm, and a signature without signed attributes", () => {
    const sig = opensslSign(body, "sha256");
    expect(() => verifySignedDataDigest(sig, digest("sha256", Buffer.from("other")))).toThrow(/message digest does not match/);
    expect(() => verifySignedDataDigest(sig, digest("sha512"))).toThrow(/computed with sha512, the signer uses sha256/);
    expect(() => verifySignedDataDigest(opensslSign(body, "sha256", true), digest("sha256"))).toThrow(/needs the content itself/);
    expect(signerDigestHash(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});
