// The pkcsPKIEnvelope against OpenSSL's CMS implementation, both directions, every cipher
// we accept; and RSA PKCS#1 v1.5 implicit rejection (bad padding fails like a wrong key).
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ab, fromPem } from "@/lib/pki/der";
import { certificateDer } from "@/lib/pki/x509";
import { AES_128_CBC, AES_256_CBC, DES_EDE3_CBC, decryptEnvelope, encryptEnvelope, EnvelopeError } from "@/lib/scep/envelope";
import { tempDir } from "./tools";

let dir: string;
let cert: pkijs.Certificate;
let key: crypto.KeyObject;
const content = Buffer.from(`a PKCS#10 request, or anything else: ${"x".repeat(300)}`);

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

beforeAll(() => {
  dir = tempDir("envelope-");
  openssl(["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-subj", "/CN=Envelope CA", "-days", "2"]);
  cert = pkijs.Certificate.fromBER(ab(fromPem(fs.readFileSync(path.join(dir, "cert.pem"), "utf8"), ["CERTIFICATE"])));
  key = crypto.createPrivateKey(fs.readFileSync(path.join(dir, "key.pem")));
  fs.writeFileSync(path.join(dir, "content.bin"), content);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("decryptEnvelope reads what OpenSSL encrypts", () => {
  const cases: Array<[string, string[]]> = [
    ["DES-CBC (legacy clients)", ["-des", "-provider", "legacy", "-provider", "default"]],
    ["DES-EDE3-CBC", ["-des3"]],
    ["AES-128-CBC", ["-aes128"]],
    ["AES-256-CBC", ["-aes256"]],
    ["AES-256-CBC with RSA-OAEP key transport", ["-aes256", "-recip", "CERT", "-keyopt", "rsa_padding_mode:oaep"]],
  ];
  for (const [name, flags] of cases) {
    it(name, () => {
      let der: Buffer;
      try {
        const certPath = path.join(dir, "cert.pem");
        const args = flags.includes("-recip") ? flags.map((f) => (f === "CERT" ? certPath : f)) : [...flags, certPath];
        der = openssl(["cms", "-encrypt", "-binary", "-in", path.join(dir, "content.bin"), "-outform", "DER", ...args]);
      } catch (err) {
        // Only DES needs OpenSSL's legacy provider; say so instead of passing silently.
        throw new Error(`openssl could not produce the ${name} envelope: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
      }
      const out = decryptEnvelope(new Uint8Array(der), [{ cert, key }]);
      expect(Buffer.from(out.content).equals(content)).toBe(true);
    });
  }
});

describe("decryptEnvelope reads DER directly and BER through pkijs", () => {
  it("an indefinite-length (BER) re-encoding of an envelope opens to the same content", () => {
    const der = encryptEnvelope(content, cert, AES_128_CBC);
    const root = asn1js.fromBER(der).result as asn1js.Sequence;
    root.lenBlock.isIndefiniteForm = true;
    const ber = new Uint8Array(root.toBER(false));
    expect(ber[1]).toBe(0x80);
    expect(Buffer.from(decryptEnvelope(ber, [{ cert, key }]).content).equals(content)).toBe(true);
  });

  it("with two recipients, the one naming this CA is used whatever its position", () => {
    const other = path.join(dir, "other.pem");
    openssl(["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "other-key.pem"), "-out", other, "-subj", "/CN=Someone Else", "-days", "2"]);
    const der = openssl(["cms", "-encrypt", "-binary", "-in", path.join(dir, "content.bin"), "-outform", "DER", "-aes256", other, path.join(dir, "cert.pem")]);
    expect(Buffer.from(decryptEnvelope(new Uint8Array(der), [{ cert, key }]).content).equals(content)).toBe(true);
    // Addressed only to others: refused.
    const elsewhere = openssl(["cms", "-encrypt", "-binary", "-in", path.join(dir, "content.bin"), "-outform", "DER", "-aes256", other, other]);
    expect(() => decryptEnvelope(new Uint8Array(elsewhere), [{ cert, key }])).toThrow(/not addressed to this server/);
  });
});

describe("encryptEnvelope writes what OpenSSL decrypts", () => {
  it("names the key transport rsaEncryption with its NULL parameter (RFC 8017 A.1)", () => {
    const env = new pkijs.EnvelopedData({ schema: pkijs.ContentInfo.fromBER(ab(encryptEnvelope(content, cert, AES_256_CBC))).content });
    const ktri = env.recipientInfos[0].value as pkijs.KeyTransRecipientInfo;
    expect(Buffer.from(ktri.keyEncryptionAlgorithm.toSchema().toBER(false)).toString("hex")).toBe("300d06092a864886f70d0101010500");
  });

  for (const oid of [AES_256_CBC, AES_128_CBC, DES_EDE3_CBC]) {
    it(oid, () => {
      const der = encryptEnvelope(content, cert, oid);
      const plain = openssl(["cms", "-decrypt", "-inform", "DER", "-inkey", path.join(dir, "key.pem"), "-recip", path.join(dir, "cert.pem")], Buffer.from(der));
      expect(plain.equals(content)).toBe(true);
      // Round trip through our own reader names the cipher we used.
      expect(decryptEnvelope(der, [{ cert, key }]).cipherOid).toBe(oid);
    });
  }
});

/** encryptEnvelope as it was written with pkijs objects: the reference for the DER it assembles now. */
function pkijsEncryptEnvelope(content: Uint8Array, recipientCert: pkijs.Certificate, cipherOid: string, key: Buffer, iv: Buffer, encryptedKey: Buffer): Uint8Array {
  const node = cipherOid === AES_256_CBC ? "aes-256-cbc" : cipherOid === AES_128_CBC ? "aes-128-cbc" : "des-ede3-cbc";
  const cipher = crypto.createCipheriv(node, key, iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  const env = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [
      new pkijs.RecipientInfo({
        variant: 1,
        value: new pkijs.KeyTransRecipientInfo({
          version: 0,
          rid: new pkijs.IssuerAndSerialNumber({ issuer: recipientCert.issuer, serialNumber: recipientCert.serialNumber }),
          keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: "1.2.840.113549.1.1.1", algorithmParams: new asn1js.Null() }),
          encryptedKey: new asn1js.OctetString({ valueHex: ab(new Uint8Array(encryptedKey)) }),
        }),
      }),
    ],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: "1.2.840.113549.1.7.1",
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: cipherOid, algorithmParams: new asn1js.OctetString({ valueHex: ab(new Uint8Array(iv)) }) }),
      encryptedContent: new asn1js.OctetString({ valueHex: ab(new Uint8Array(encrypted)) }),
      disableSplit: true,
    } as ConstructorParameters<typeof pkijs.EncryptedContentInfo>[0]),
  });
  return new Uint8Array(new pkijs.ContentInfo({ contentType: "1.2.840.113549.1.7.3", content: env.toSchema() }).toSchema().toBER(false));
}

describe("encryptEnvelope output", () => {
  it("is byte for byte what the pkijs implementation wrote, from a parsed certificate or its DER", () => {
    const fixedKey = Buffer.alloc(256, 0x5a);
    const randomBytes = vi.spyOn(crypto, "randomBytes").mockImplementation(((n: number) => Buffer.alloc(n, 0x11)) as typeof crypto.randomBytes);
    const publicEncrypt = vi.spyOn(crypto, "publicEncrypt").mockImplementation(() => fixedKey);
    try {
      for (const oid of [AES_256_CBC, AES_128_CBC, DES_EDE3_CBC]) {
        const spec = oid === AES_256_CBC ? [32, 16] : oid === AES_128_CBC ? [16, 16] : [24, 8];
        const reference = pkijsEncryptEnvelope(content, cert, oid, Buffer.alloc(spec[0], 0x11), Buffer.alloc(spec[1], 0x11), fixedKey);
        expect(Buffer.from(encryptEnvelope(content, cert, oid)).toString("hex")).toBe(Buffer.from(reference).toString("hex"));
        expect(Buffer.from(encryptEnvelope(content, certificateDer(cert), oid)).toString("hex")).toBe(Buffer.from(reference).toString("hex"));
      }
    } finally {
      randomBytes.mockRestore();
      publicEncrypt.mockRestore();
    }
  });
});

describe("implicit rejection", () => {
  function withEncryptedKey(der: Uint8Array, encryptedKey: Uint8Array): Uint8Array {
    const ci = pkijs.ContentInfo.fromBER(ab(der));
    const env = new pkijs.EnvelopedData({ schema: ci.content });
    (env.recipientInfos[0].value as pkijs.KeyTransRecipientInfo).encryptedKey = new asn1js.OctetString({ valueHex: ab(encryptedKey) });
    return new Uint8Array(new pkijs.ContentInfo({ contentType: ci.contentType, content: env.toSchema() }).toSchema().toBER(false));
  }

  it("a key block with bad PKCS#1 padding fails exactly like a wrong key", () => {
    const good = encryptEnvelope(content, cert, AES_256_CBC);
    const publicKey = crypto.createPublicKey(key);
    // Valid RSA ciphertext whose plaintext is not PKCS#1 v1.5 type 2.
    const block = Buffer.alloc(256, 0x41);
    block[0] = 0;
    const badPadding = new Uint8Array(crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_NO_PADDING }, block));
    // Well-padded, but a key of the wrong length for AES-256.
    const wrongLength = new Uint8Array(crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, crypto.randomBytes(16)));
    // Well-padded, right length, wrong key.
    const wrongKey = new Uint8Array(crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, crypto.randomBytes(32)));
    const messages = [badPadding, wrongLength, wrongKey, new Uint8Array(256), new Uint8Array(10)].map((k) => {
      try {
        const out = decryptEnvelope(withEncryptedKey(good, k), [{ cert, key }]);
        // A random key may still unpad by chance (1 in 256); then the content is garbage.
        return Buffer.from(out.content).equals(content) ? "decrypted!" : "garbage";
      } catch (err) {
        expect(err).toBeInstanceOf(EnvelopeError);
        return (err as Error).message;
      }
    });
    expect(messages.filter((m) => m === "decrypted!")).toEqual([]);
    const errors = new Set(messages.filter((m) => m !== "garbage"));
    expect(errors.size).toBe(1);
    expect([...errors][0]).toBe("the envelope cannot be decrypted with this server's key");
  });

  it("garbage never escapes as anything but EnvelopeError", () => {
    const good = encryptEnvelope(content, cert, DES_EDE3_CBC);
    for (let i = 0; i < 200; i++) {
      const m = good.slice();
      m[crypto.randomInt(m.length)] = crypto.randomInt(256);
      try {
        decryptEnvelope(m, [{ cert, key }]);
      } catch (err) {
        expect(err).toBeInstanceOf(EnvelopeError);
      }
    }
    expect(() => decryptEnvelope(new Uint8Array([0x30, 0x03, 0x02, 0x01]), [{ cert, key }])).toThrow(EnvelopeError);
  });
});
