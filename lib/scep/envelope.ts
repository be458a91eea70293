// The pkcsPKIEnvelope of SCEP (RFC 8894 3.2.2): CMS EnvelopedData with RSA key transport.
// Clients encrypt to the RA (never the CA) with DES-EDE3-CBC or AES-CBC; the CertRep goes back to the
// requester's certificate with the cipher the requester chose.
//
// RSA PKCS#1 v1.5 decryption is done here rather than by OpenSSL (Node refuses it since
// CVE-2023-46809): raw RSA, then unpadding with implicit rejection, so a bad padding yields
// a pseudo-random key and fails later exactly like a wrong key would (no padding oracle).
import crypto from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { algorithmIdentifierDer, bytesEqual, DerError, derTlv, octets, oidDer, parseDer, stringBytes } from "../pki/der";
import { certificateFields, childrenOf, contentOf, DerReadError, expectTag, oidOf, readTlv, TAG, whole } from "../pki/derReader";
import { OID } from "../pki/cms";

/**
 * The one answer for every way a content key can be wrong (bad padding, wrong key, content that
 * decrypts to garbage), so none of them can be told apart (no padding oracle).
 */
export const CANNOT_DECRYPT = "the envelope cannot be decrypted with this server's key";

export class EnvelopeError extends Error {
  constructor(
    message: string,
    /** badAlg when the algorithm is unsupported, badMessageCheck otherwise. */
    readonly failInfo: "badAlg" | "badMessageCheck" = "badMessageCheck",
  ) {
    super(message);
    this.name = "EnvelopeError";
  }
}

interface CipherSpec {
  node: string;
  keyLength: number;
  ivLength: number;
  name: string;
  /** Single DES runs as DES-EDE3 with K|K|K (identical output): OpenSSL 3 keeps DES-CBC in its legacy provider. */
  singleDes?: boolean;
}

export const CONTENT_CIPHERS: Record<string, CipherSpec> = {
  // Old clients (micromdm scepclient among them) still send DES-CBC whatever GetCACaps says.
  "1.3.14.3.2.7": { node: "des-ede3-cbc", keyLength: 8, ivLength: 8, name: "DES-CBC", singleDes: true },
  "1.2.840.113549.3.7": { node: "des-ede3-cbc", keyLength: 24, ivLength: 8, name: "DES-EDE3-CBC" },
  "2.16.840.1.101.3.4.1.2": { node: "aes-128-cbc", keyLength: 16, ivLength: 16, name: "AES-128-CBC" },
  "2.16.840.1.101.3.4.1.22": { node: "aes-192-cbc", keyLength: 24, ivLength: 16, name: "AES-192-CBC" },
  "2.16.840.1.101.3.4.1.42": { node: "aes-256-cbc", keyLength: 32, ivLength: 16, name: "AES-256-CBC" },
};
export const AES_256_CBC = "2.16.840.1.101.3.4.1.42";
export const AES_128_CBC = "2.16.840.1.101.3.4.1.2";
export const DES_EDE3_CBC = "1.2.840.113549.3.7";

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const RSAES_OAEP = "1.2.840.113549.1.1.7";

export interface DecryptedEnvelope {
  content: Uint8Array;
  /** The content-encryption algorithm the sender used (we answer with the same). */
  cipherOid: string;
}

function cipherKey(spec: CipherSpec, key: Uint8Array): Uint8Array {
  return spec.singleDes ? new Uint8Array(Buffer.concat([key, key, key])) : key;
}

/** Constant-flow PKCS#1 v1.5 type 2 unpadding; returns null when invalid. */
function unpadPkcs1Type2(em: Uint8Array): Uint8Array | null {
  let good = (em[0] === 0 ? 1 : 0) & (em[1] === 2 ? 1 : 0);
  let zeroIndex = 0;
  let found = 0;
  for (let i = 2; i < em.length; i++) {
    const isZero = em[i] === 0 ? 1 : 0;
    const take = isZero & (found ^ 1);
    zeroIndex = take ? i : zeroIndex;
    found |= isZero;
  }
  // At least 8 padding bytes (RFC 8017 7.2.2).
  good &= found & (zeroIndex >= 10 ? 1 : 0);
  return good ? em.subarray(zeroIndex + 1) : null;
}

const rejectionKeys = new WeakMap<crypto.KeyObject, Buffer>();

/** A secret derived from the private key, for implicit-rejection keys (cached per key). */
function rejectionKey(key: crypto.KeyObject): Buffer {
  let secret = rejectionKeys.get(key);
  if (!secret) {
    secret = crypto
      .createHash("sha256")
      .update("scep-implicit-rejection")
      .update(key.export({ type: "pkcs8", format: "der" }))
      .digest();
    rejectionKeys.set(key, secret);
  }
  return secret;
}

/** Implicit rejection: a deterministic pseudo-random content key from a secret and the ciphertext. */
function implicitRejectionKey(key: crypto.KeyObject, encryptedKey: Uint8Array, length: number): Uint8Array {
  const synthetic = crypto.createHmac("sha256", rejectionKey(key)).update(encryptedKey).digest();
  return new Uint8Array(Buffer.concat([synthetic, crypto.createHash("sha256").update(synthetic).digest()]).subarray(0, length));
}

/**
 * RSAES-PKCS1-v1_5 unwrap that never says whether the padding was valid: on bad padding (or
 * a wrong length) it returns the implicit-rejection key, so the failure surfaces only when
 * the content does not decrypt, exactly as with a wrong key.
 */
function rsaPkcs1Decrypt(key: crypto.KeyObject, encryptedKey: Uint8Array, expectedLength: number): Uint8Array {
  const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  const fallback = implicitRejectionKey(key, encryptedKey, expectedLength);
  if (encryptedKey.length !== modulusBytes) return fallback;
  let em: Uint8Array;
  try {
    em = new Uint8Array(crypto.privateDecrypt({ key, padding: crypto.constants.RSA_NO_PADDING }, encryptedKey));
  } catch {
    return fallback;
  }
  const message = unpadPkcs1Type2(em);
  return message && message.length === expectedLength ? message : fallback;
}

/** The parts of an EnvelopedData that decryption needs, however they were read. */
interface EnvelopeFields {
  cipherOid: string;
  /** The IV, or null when the parameters are not an OCTET STRING. */
  iv: Uint8Array | null;
  /** The encrypted content; "malformed" when it could not be read (reported after the algorithm checks). */
  encrypted: Uint8Array | null | "malformed";
  recipients: {
    /** Index of the key of ours it names (issuer and serial), or -1. */
    ours: number;
    /** Named by issuer and serial (so -1 means: addressed to someone else). */
    byIssuerAndSerial: boolean;
    keaOid: string;
    keaParams: asn1js.AsnType | null;
    encryptedKey: Uint8Array;
  }[];
}

function parseEnvelopedData(der: Uint8Array): pkijs.EnvelopedData {
  let ci: pkijs.ContentInfo;
  try {
    ci = new pkijs.ContentInfo({ schema: parseDer(der, "pkcsPKIEnvelope") });
  } catch (err) {
    throw new EnvelopeError(err instanceof DerError ? err.message : "pkcsPKIEnvelope: not a CMS ContentInfo");
  }
  if (ci.contentType !== OID.envelopedData) throw new EnvelopeError(`pkcsPKIEnvelope: content type ${ci.contentType}, expected EnvelopedData`);
  try {
    return new pkijs.EnvelopedData({ schema: ci.content });
  } catch {
    throw new EnvelopeError("pkcsPKIEnvelope: malformed EnvelopedData");
  }
}

/** The full pkijs parse: BER, unusual shapes, and the wording of errors for bad input. */
function envelopeFieldsPkijs(der: Uint8Array, ourCerts: pkijs.Certificate[]): EnvelopeFields {
  const env = parseEnvelopedData(der);
  const eci = env.encryptedContentInfo;
  let iv: Uint8Array | null = null;
  try {
    iv = octets(eci.contentEncryptionAlgorithm.algorithmParams as asn1js.AsnType | undefined);
  } catch {
    iv = null;
  }
  let encrypted: Uint8Array | null | "malformed" = null;
  if (eci.encryptedContent) {
    try {
      encrypted = stringBytes(eci.encryptedContent);
    } catch {
      encrypted = "malformed";
    }
  }
  const ktris = env.recipientInfos.filter((r) => r.variant === 1).map((r) => r.value as pkijs.KeyTransRecipientInfo);
  return {
    cipherOid: eci.contentEncryptionAlgorithm.algorithmId,
    iv,
    encrypted,
    recipients: ktris.map((k) => ({
      ours: ourCerts.findIndex((c) => k.rid instanceof pkijs.IssuerAndSerialNumber && k.rid.issuer.isEqual(c.issuer) && k.rid.serialNumber.isEqual(c.serialNumber)),
      byIssuerAndSerial: k.rid instanceof pkijs.IssuerAndSerialNumber,
      keaOid: k.keyEncryptionAlgorithm.algorithmId,
      keaParams: (k.keyEncryptionAlgorithm.algorithmParams as asn1js.AsnType | undefined) ?? null,
      encryptedKey: new Uint8Array(k.encryptedKey.valueBlock.valueHexView),
    })),
  };
}

const certIds = new WeakMap<pkijs.Certificate, { issuer: Uint8Array; serial: Uint8Array }>();
function certId(cert: pkijs.Certificate): { issuer: Uint8Array; serial: Uint8Array } {
  let id = certIds.get(cert);
  if (!id) {
    id = { issuer: new Uint8Array(cert.issuer.toSchema().toBER(false)), serial: new Uint8Array(cert.serialNumber.valueBlock.valueHexView) };
    certIds.set(cert, id);
  }
  return id;
}

/**
 * The DER fast path (pkijs schema matching costs milliseconds per request). Throws
 * DerReadError for anything else, including a recipient list it cannot settle by bytes.
 */
function envelopeFieldsFast(der: Uint8Array, ourCerts: pkijs.Certificate[]): EnvelopeFields {
  const ci = expectTag(readTlv(der, 0), TAG.SEQUENCE);
  if (ci.end !== der.length) throw new DerReadError("trailing bytes");
  const [type, wrapper, ...rest] = childrenOf(der, ci);
  if (rest.length || oidOf(der, type) !== OID.envelopedData) throw new DerReadError("not EnvelopedData");
  const inner = childrenOf(der, expectTag(wrapper, TAG.CTX0));
  if (inner.length !== 1) throw new DerReadError("EnvelopedData wrapper");
  const f = childrenOf(der, expectTag(inner[0], TAG.SEQUENCE));
  expectTag(f[0], TAG.INTEGER);
  let i = 1;
  if (f[i]?.tag === TAG.CTX0) i++; // originatorInfo
  const recipientInfos = childrenOf(der, expectTag(f[i++], TAG.SET));
  const eci = childrenOf(der, expectTag(f[i++], TAG.SEQUENCE));
  if (f[i]?.tag === TAG.CTX1) i++; // unprotectedAttrs
  if (i !== f.length || eci.length < 2 || eci.length > 3) throw new DerReadError("EnvelopedData fields");
  oidOf(der, eci[0]);
  const alg = childrenOf(der, expectTag(eci[1], TAG.SEQUENCE));
  const cipherOid = oidOf(der, alg[0]);
  if (alg.length > 2 || (alg[1] && alg[1].tag !== TAG.OCTET_STRING)) throw new DerReadError("IV shape");
  const iv = alg[1] ? new Uint8Array(contentOf(der, alg[1])) : null;
  let encrypted: Uint8Array | null = null;
  if (eci[2]) {
    const ec = eci[2];
    if (ec.tag === 0x80) encrypted = new Uint8Array(contentOf(der, ec));
    else if (ec.tag === TAG.CTX0) encrypted = new Uint8Array(Buffer.concat(childrenOf(der, ec).map((c) => contentOf(der, expectTag(c, TAG.OCTET_STRING)))));
    else throw new DerReadError("encryptedContent shape");
  }
  const ids = ourCerts.map(certId);
  const recipients: EnvelopeFields["recipients"] = [];
  for (const ri of recipientInfos) {
    if (ri.tag !== TAG.SEQUENCE) continue; // kari, kekri, pwri, ori: not key transport
    const k = childrenOf(der, ri);
    if (k.length !== 4) throw new DerReadError("KeyTransRecipientInfo fields");
    expectTag(k[0], TAG.INTEGER);
    let ours = -1;
    const byIssuerAndSerial = k[1].tag === TAG.SEQUENCE;
    if (byIssuerAndSerial) {
      const [issuer, serial] = childrenOf(der, k[1]);
      const issuerDer = whole(der, expectTag(issuer, TAG.SEQUENCE));
      const serialBytes = contentOf(der, expectTag(serial, TAG.INTEGER));
      ours = ids.findIndex((id) => bytesEqual(issuerDer, id.issuer) && bytesEqual(serialBytes, id.serial));
    } else if (k[1].tag !== 0x80) {
      throw new DerReadError("rid shape");
    }
    const kea = childrenOf(der, expectTag(k[2], TAG.SEQUENCE));
    const keaOid = oidOf(der, kea[0]);
    if (kea.length > 2) throw new DerReadError("key encryption algorithm shape");
    const keaParams = kea[1] ? parseDer(new Uint8Array(whole(der, kea[1])), "key encryption parameters") : null;
    recipients.push({ ours, byIssuerAndSerial, keaOid, keaParams, encryptedKey: new Uint8Array(contentOf(der, expectTag(k[3], TAG.OCTET_STRING))) });
  }
  // pkijs compares names attribute by attribute: let it decide when bytes alone do not.
  if (recipients.some((r) => r.byIssuerAndSerial && r.ours < 0) && !recipients.some((r) => r.ours >= 0)) throw new DerReadError("recipient not found by bytes");
  return { cipherOid, iv, encrypted, recipients };
}

function envelopeFields(der: Uint8Array, ourCerts: pkijs.Certificate[]): EnvelopeFields {
  try {
    return envelopeFieldsFast(der, ourCerts);
  } catch (err) {
    if (!(err instanceof DerReadError) && !(err instanceof DerError)) throw err;
  }
  return envelopeFieldsPkijs(der, ourCerts);
}

/** A certificate of ours and its private key, that an envelope may be addressed to. */
export interface EnvelopeRecipient {
  cert: pkijs.Certificate;
  key: crypto.KeyObject;
}

/**
 * Decrypts an EnvelopedData addressed to one of the recipients (for SCEP: the RA keys, never
 * the CA's). A lone recipient identified by key identifier is tried with the first key.
 */
export function decryptEnvelope(der: Uint8Array, recipients: EnvelopeRecipient[]): DecryptedEnvelope {
  if (recipients.length === 0) throw new Error("decryptEnvelope needs at least one recipient key");
  const env = envelopeFields(
    der,
    recipients.map((r) => r.cert),
  );
  const cipherOid = env.cipherOid;
  const spec = CONTENT_CIPHERS[cipherOid];
  if (!spec) throw new EnvelopeError(`unsupported content encryption algorithm ${cipherOid}`, "badAlg");
  const iv = env.iv;
  if (!iv) throw new EnvelopeError("the content encryption IV is missing");
  if (iv.length !== spec.ivLength) throw new EnvelopeError(`the IV has ${iv.length} bytes, ${spec.name} needs ${spec.ivLength}`);
  if (!env.encrypted) throw new EnvelopeError("the envelope carries no encrypted content");
  if (env.encrypted === "malformed") throw new EnvelopeError("the encrypted content is malformed");
  const encrypted = env.encrypted;

  // Prefer the recipient that names our certificate; accept a lone one named by key identifier.
  const ktris = env.recipients;
  if (ktris.length === 0) throw new EnvelopeError("the envelope has no RSA key-transport recipient", "badAlg");
  const ours = ktris.find((k) => k.ours >= 0) ?? (ktris.length === 1 && !ktris[0].byIssuerAndSerial ? ktris[0] : null);
  if (!ours) throw new EnvelopeError("the envelope is not addressed to this server's RA certificate (encrypt to the RA certificate from GetCACert)");
  const caKey = recipients[Math.max(ours.ours, 0)].key;
  const encryptedKey = ours.encryptedKey;
  let cek: Uint8Array;
  const kea = ours.keaOid;
  if (kea === RSA_ENCRYPTION) {
    cek = rsaPkcs1Decrypt(caKey, encryptedKey, spec.keyLength);
  } else if (kea === RSAES_OAEP) {
    let oaepHash = "sha1";
    const params = ours.keaParams ?? undefined;
    if (params instanceof asn1js.Sequence && params.valueBlock.value.length > 0) {
      try {
        const p = new pkijs.RSAESOAEPParams({ schema: params });
        oaepHash =
          ({ "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512" } as Record<string, string>)[
            p.hashAlgorithm.algorithmId
          ] ?? "";
      } catch {
        oaepHash = "";
      }
      if (!oaepHash) throw new EnvelopeError("unsupported RSA-OAEP parameters", "badAlg");
    }
    try {
      cek = new Uint8Array(crypto.privateDecrypt({ key: caKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, encryptedKey));
    } catch {
      // Like PKCS#1 v1.5: a failed unwrap looks exactly like a wrong key (no OAEP decoding oracle).
      cek = implicitRejectionKey(caKey, encryptedKey, spec.keyLength);
    }
  } else {
    throw new EnvelopeError(`unsupported key encryption algorithm ${kea}`, "badAlg");
  }
  if (cek.length !== spec.keyLength) throw new EnvelopeError("the content key has the wrong length");
  try {
    const decipher = crypto.createDecipheriv(spec.node, cipherKey(spec, cek), iv);
    return { content: new Uint8Array(Buffer.concat([decipher.update(encrypted), decipher.final()])), cipherOid };
  } catch {
    throw new EnvelopeError(CANNOT_DECRYPT);
  }
}

/**
 * EnvelopedData (DER ContentInfo) of content for the holder of recipientCert (RSA): DER as
 * received, or a parsed certificate. Assembled directly: the bytes pkijs wrote (tested).
 */
export function encryptEnvelope(content: Uint8Array, recipientCert: pkijs.Certificate | Uint8Array, cipherOid: string = AES_256_CBC): Uint8Array {
  const spec = CONTENT_CIPHERS[cipherOid] ?? CONTENT_CIPHERS[AES_256_CBC];
  const oid = CONTENT_CIPHERS[cipherOid] ? cipherOid : AES_256_CBC;
  const recipient = recipientFields(recipientCert);
  const publicKey = crypto.createPublicKey({ key: Buffer.from(recipient.spki), format: "der", type: "spki" });
  if (publicKey.asymmetricKeyType !== "rsa") throw new EnvelopeError("the requester's key is not RSA; cannot encrypt the response", "badAlg");
  const key = crypto.randomBytes(spec.keyLength);
  const iv = crypto.randomBytes(spec.ivLength);
  const cipher = crypto.createCipheriv(spec.node, cipherKey(spec, key), iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  const encryptedKey = crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, key);
  const ktri = derTlv(
    TAG.SEQUENCE,
    new Uint8Array([0x02, 0x01, 0x00]), // version 0 (issuerAndSerialNumber)
    derTlv(TAG.SEQUENCE, recipient.issuer, derTlv(TAG.INTEGER, recipient.serial)),
    algorithmIdentifierDer(RSA_ENCRYPTION),
    derTlv(TAG.OCTET_STRING, encryptedKey),
  );
  const encryptedContentInfo = derTlv(
    TAG.SEQUENCE,
    oidDer(OID.data),
    derTlv(TAG.SEQUENCE, oidDer(oid), derTlv(TAG.OCTET_STRING, iv)),
    // [0] IMPLICIT primitive OCTET STRING: Go's asn1 (micromdm) rejects constructed strings.
    derTlv(0x80, encrypted),
  );
  const env = derTlv(TAG.SEQUENCE, new Uint8Array([0x02, 0x01, 0x00]), derTlv(TAG.SET, ktri), encryptedContentInfo);
  return derTlv(TAG.SEQUENCE, oidDer(OID.envelopedData), derTlv(TAG.CTX0, env));
}

/** Whether a CertRep can be encrypted to this certificate (checked before anything is issued). */
export function canEncryptTo(certDer: Uint8Array): boolean {
  try {
    recipientFields(certDer);
    return true;
  } catch {
    return false;
  }
}

function recipientFields(cert: pkijs.Certificate | Uint8Array): { issuer: Uint8Array; serial: Uint8Array; spki: Uint8Array } {
  if (cert instanceof Uint8Array) {
    try {
      return certificateFields(cert, readTlv(cert, 0));
    } catch {
      throw new EnvelopeError("the requester's certificate cannot be read", "badAlg");
    }
  }
  return {
    issuer: new Uint8Array(cert.issuer.toSchema().toBER(false)),
    serial: new Uint8Array(cert.serialNumber.valueBlock.valueHexView),
    spki: new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER(false)),
  };
}
