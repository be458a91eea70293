// CMS SignedData (RFC 5652): signing with our keys through pkijs, and verifying
// signatures from devices and SCEP clients. Verification checks the signature math
// against the signer certificate carried in the message; trust in that certificate is
// the caller's decision. Untrusted input never escapes as anything but CmsError.
import crypto from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { ab, bytesEqual, DerError, octets, parseDer } from "./der";
import { nodePublicKey } from "./keys";
import { certificateDer } from "./x509";

export interface Signer {
  certDer: Uint8Array;
  chainDer: Uint8Array[];
  privateKey: CryptoKey;
}

export class CmsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CmsError";
  }
}

export const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  envelopedData: "1.2.840.113549.1.7.3",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
} as const;

const HASH_BY_OID: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.4": "sha224",
};
// Signature algorithms that name their own hash (used when the digest algorithm is absent or odd).
const HASH_BY_SIG_OID: Record<string, string> = {
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.1": "sha1",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};
const SUPPORTED_SIG_OIDS = new Set(["1.2.840.113549.1.1.1", "1.2.840.10045.2.1", ...Object.keys(HASH_BY_SIG_OID)]);

export function hashOidName(oid: string): string | null {
  return HASH_BY_OID[oid] ?? null;
}

/** DER-sorts a SET OF (X.690 11.6): some verifiers (Go's pkcs7) re-encode signed attributes sorted. */
function sortedAttributes(attrs: pkijs.Attribute[]): pkijs.Attribute[] {
  return attrs
    .map((a) => ({ a, der: Buffer.from(a.toSchema().toBER(false)) }))
    .sort((x, y) => Buffer.compare(x.der, y.der))
    .map((x) => x.a);
}

export interface SignOptions {
  detached?: boolean;
  /** Extra signed attributes (SCEP's messageType, transactionID...). */
  attributes?: pkijs.Attribute[];
  /** eContentType; id-data by default. */
  contentType?: string;
  /** Leave the certificates field out (never for profiles; SCEP always includes the signer). */
  omitCertificates?: boolean;
}

// Signers (the CA, the profile signer) sign many times with the same certificate bytes.
const parsedCerts = new WeakMap<Uint8Array, pkijs.Certificate>();
function parsedCertificate(der: Uint8Array): pkijs.Certificate {
  let cert = parsedCerts.get(der);
  if (!cert) {
    cert = pkijs.Certificate.fromBER(ab(der));
    parsedCerts.set(der, cert);
  }
  return cert;
}

/** DER ContentInfo(SignedData) over content, SHA-256 with the signer's key. */
export async function signData(content: Uint8Array, signer: Signer, opts: SignOptions = {}): Promise<Uint8Array> {
  const signerCert = parsedCertificate(signer.certDer);
  const chain = signer.chainDer.filter((d) => !bytesEqual(d, signer.certDer)).map(parsedCertificate);
  const eContentType = opts.contentType ?? OID.data;
  const digest = crypto.createHash("sha256").update(content).digest();
  const attributes = [
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: eContentType })] }),
    new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: ab(new Uint8Array(digest)) })] }),
    ...(opts.attributes ?? []),
  ];
  const encap = new pkijs.EncapsulatedContentInfo({ eContentType });
  // Assigned after construction: the constructor would chunk it into a constructed (BER) OCTET STRING.
  if (!opts.detached) encap.eContent = new asn1js.OctetString({ valueHex: ab(content) });
  if (!opts.detached && content.byteLength === 0) {
    // pkijs drops an empty eContent as "default"; keep it, so the message is not detached.
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
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: sortedAttributes(attributes) }),
      }),
    ],
    certificates: opts.omitCertificates ? undefined : [signerCert, ...chain],
  });
  await signedData.sign(signer.privateKey, 0, "SHA-256");
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

export interface ParsedSignedData {
  signedData: pkijs.SignedData;
  signerInfo: pkijs.SignerInfo;
  signerCert: pkijs.Certificate;
  eContentType: string;
  /** Encapsulated content, or null when detached. */
  eContent: Uint8Array | null;
}

function parseContentInfo(der: Uint8Array, expectedType: string, what: string): asn1js.AsnType {
  let ci: pkijs.ContentInfo;
  try {
    ci = new pkijs.ContentInfo({ schema: parseDer(der, what) });
  } catch (err) {
    throw new CmsError(err instanceof DerError ? err.message : `${what}: not a CMS ContentInfo`);
  }
  if (ci.contentType !== expectedType) throw new CmsError(`${what}: content type ${ci.contentType}, expected ${expectedType}`);
  return ci.content;
}

function findSignerCert(sd: pkijs.SignedData, si: pkijs.SignerInfo): pkijs.Certificate {
  const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
    const sid = si.sid;
    const hit = certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
    if (hit) return hit;
  } else if (si.sid) {
    // [0] SubjectKeyIdentifier
    const sid = si.sid as asn1js.Primitive;
    const view = (sid.valueBlock as { valueHexView?: Uint8Array }).valueHexView;
    const wanted = view ? new Uint8Array(view) : new Uint8Array();
    const hit = certs.find((c) => {
      const ext = c.extensions?.find((e) => e.extnID === "2.5.29.14");
      const ski = ext?.parsedValue as asn1js.OctetString | undefined;
      return ski && bytesEqual(new Uint8Array(ski.valueBlock.valueHexView), wanted);
    });
    if (hit) return hit;
  }
  throw new CmsError("the signer's certificate is not included in the message");
}

/** Parses a ContentInfo(SignedData) without verifying it. */
export function parseSignedData(cmsDer: Uint8Array): ParsedSignedData {
  const content = parseContentInfo(cmsDer, OID.signedData, "SignedData");
  let sd: pkijs.SignedData;
  try {
    sd = new pkijs.SignedData({ schema: content });
  } catch {
    throw new CmsError("SignedData: malformed structure");
  }
  if (sd.signerInfos.length !== 1) throw new CmsError(`SignedData: expected one signer, found ${sd.signerInfos.length}`);
  const si = sd.signerInfos[0];
  let eContent: Uint8Array | null = null;
  if (sd.encapContentInfo.eContent) {
    try {
      eContent = octets(sd.encapContentInfo.eContent);
    } catch {
      throw new CmsError("SignedData: encapsulated content is not an OCTET STRING");
    }
  }
  return { signedData: sd, signerInfo: si, signerCert: findSignerCert(sd, si), eContentType: sd.encapContentInfo.eContentType, eContent };
}

function attributeValue(si: pkijs.SignerInfo, oid: string): asn1js.AsnType | null {
  const attr = si.signedAttrs?.attributes.find((a) => a.type === oid);
  return attr?.values[0] ?? null;
}

/** Checks the SignerInfo's signature over content with the public key of signerCert. */
function verifySigner(parsed: ParsedSignedData, content: Uint8Array): void {
  const si = parsed.signerInfo;
  const sigOid = si.signatureAlgorithm.algorithmId;
  if (!SUPPORTED_SIG_OIDS.has(sigOid)) throw new CmsError(`unsupported signature algorithm ${sigOid}`);
  const hash = HASH_BY_OID[si.digestAlgorithm.algorithmId] ?? HASH_BY_SIG_OID[sigOid];
  if (!hash) throw new CmsError(`unsupported digest algorithm ${si.digestAlgorithm.algorithmId}`);
  let signedBytes: Uint8Array;
  if (si.signedAttrs) {
    const md = attributeValue(si, OID.messageDigest);
    if (!(md instanceof asn1js.OctetString)) throw new CmsError("signed attributes lack messageDigest");
    const actual = crypto.createHash(hash).update(content).digest();
    if (!bytesEqual(new Uint8Array(md.valueBlock.valueHexView), new Uint8Array(actual))) throw new CmsError("message digest does not match the content");
    const ct = attributeValue(si, OID.contentType);
    if (ct && ct instanceof asn1js.ObjectIdentifier && ct.valueBlock.toString() !== parsed.eContentType) {
      throw new CmsError("contentType attribute does not match the encapsulated content type");
    }
    // The signature covers the attributes re-tagged as SET (RFC 5652 5.4), from the bytes as received.
    signedBytes = new Uint8Array(si.signedAttrs.encodedValue);
    if (signedBytes.byteLength === 0) throw new CmsError("signed attributes could not be read");
  } else {
    signedBytes = content;
  }
  let key: crypto.KeyObject;
  try {
    key = nodePublicKey(parsed.signerCert.subjectPublicKeyInfo);
  } catch {
    throw new CmsError("the signer certificate's public key cannot be read");
  }
  let ok = false;
  try {
    ok = crypto.verify(hash, signedBytes, key, new Uint8Array(si.signature.valueBlock.valueHexView));
  } catch {
    ok = false;
  }
  if (!ok) throw new CmsError("signature does not verify");
}

/** Verifies a parsed SignedData against its own signer certificate; returns the signed content. */
export function verifyParsed(parsed: ParsedSignedData, detachedContent?: Uint8Array): Uint8Array {
  const content = parsed.eContent ?? detachedContent ?? null;
  if (!content) throw new CmsError("the message is detached and no content was given");
  if (parsed.eContent && detachedContent && !bytesEqual(parsed.eContent, detachedContent)) {
    throw new CmsError("the message carries content that differs from the given content");
  }
  verifySigner(parsed, content);
  return content;
}

export async function verifySignedData(cmsDer: Uint8Array, detachedContent?: Uint8Array): Promise<{ content: Uint8Array; signerCertDer: Uint8Array }> {
  try {
    const parsed = parseSignedData(cmsDer);
    const content = verifyParsed(parsed, detachedContent);
    return { content, signerCertDer: certificateDer(parsed.signerCert) };
  } catch (err) {
    if (err instanceof CmsError) throw err;
    throw new CmsError(`malformed CMS: ${err instanceof Error ? err.message : String(err)}`);
  }
}
