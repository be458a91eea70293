// CMS SignedData: what signData writes and what verifySignedData accepts or refuses.
import { describe, expect, it } from "vitest";
import { CmsError, parseSignedData, signData, verifySignedData } from "./cms";
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
