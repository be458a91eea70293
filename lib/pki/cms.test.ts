// CMS SignedData: what signData writes and what verifySignedData accepts or refuses.
import { describe, expect, it } from "vitest";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { CmsError, OID, parseSignedData, parseSignedDataFull, signData, verifySignedData, type ParsedSignedData } from "./cms";
import { ab } from "./der";
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
