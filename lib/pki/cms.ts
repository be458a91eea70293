// CMS SignedData (RFC 5652): signing with our keys, and verifying signatures from devices
// and SCEP clients. DER is written and read directly and the RSA/ECDSA math runs in
// node:crypto (pkijs objects and WebCrypto cost milliseconds per message); pkijs parses
// what the DER reader does not take (BER, odd shapes). Verification checks the signature math
// against the signer certificate carried in the message; trust in that certificate is
// the caller's decision. Untrusted input never escapes as anything but CmsError.
import crypto from "node:crypto";
import type * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { ab, algorithmIdentifierDer, bytesEqual, DerError, derTlv, octets, oidDer, parseDer } from "./der";
import { algorithmOid, certificateFields, childrenOf, contentOf, DerReadError, expectTag, oidOf, readTlv, TAG, whole, type Tlv } from "./derReader";
import { nodeSigningKey, sha256SignatureOid, spkiDer } from "./keys";
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

const SHA256_OID = "2.16.840.1.101.3.4.2.1";
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

export interface SignOptions {
  detached?: boolean;
  /** Extra signed attributes (SCEP's messageType, transactionID...). */
  attributes?: pkijs.Attribute[];
  /** eContentType; id-data by default. */
  contentType?: string;
  /** Leave the certificates field out (never for profiles; SCEP always includes the signer). */
  omitCertificates?: boolean;
}

// Signers (the CA, the profile signer) sign many times with the same key and certificate:
// keep the node:crypto key object and the certificate's issuer and serial.
const signatureAlgorithms = new WeakMap<CryptoKey, Uint8Array>();
function signingKey(privateKey: CryptoKey): { key: crypto.KeyObject; signatureAlgorithm: Uint8Array } {
  let signatureAlgorithm = signatureAlgorithms.get(privateKey);
  if (!signatureAlgorithm) {
    let oid: string;
    try {
      oid = sha256SignatureOid(privateKey);
    } catch (err) {
      throw new CmsError((err as Error).message);
    }
    signatureAlgorithm = algorithmIdentifierDer(oid);
    signatureAlgorithms.set(privateKey, signatureAlgorithm);
  }
  return { key: nodeSigningKey(privateKey), signatureAlgorithm };
}

const signerIds = new WeakMap<Uint8Array, Uint8Array>();
/** IssuerAndSerialNumber DER of a certificate, from its own bytes. */
function issuerAndSerial(certDer: Uint8Array): Uint8Array {
  let sid = signerIds.get(certDer);
  if (!sid) {
    let f: ReturnType<typeof certificateFields>;
    try {
      f = certificateFields(certDer, readTlv(certDer, 0));
    } catch {
      throw new CmsError("the signer certificate is not DER");
    }
    sid = derTlv(TAG.SEQUENCE, f.issuer, derTlv(TAG.INTEGER, f.serial));
    signerIds.set(certDer, sid);
  }
  return sid;
}

function attributeDer(oid: string, value: Uint8Array): Uint8Array {
  return derTlv(TAG.SEQUENCE, oidDer(oid), derTlv(TAG.SET, value));
}

/** UTCTime as asn1js writes it: YYMMDDHHMMSSZ. */
function utcTimeDer(date: Date): Uint8Array {
  const two = (n: number) => String(n).padStart(2, "0");
  const text = `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  return derTlv(0x17, Buffer.from(text, "latin1"));
}

/**
 * DER ContentInfo(SignedData) over content, SHA-256 with the signer's key. Assembled around the
 * raw certificate bytes and signed with node:crypto: the bytes pkijs wrote with the RFCs'
 * AlgorithmIdentifiers (tested), without re-parsing and re-encoding the certificates on every call.
 */
export async function signData(content: Uint8Array, signer: Signer, opts: SignOptions = {}): Promise<Uint8Array> {
  const { key, signatureAlgorithm } = signingKey(signer.privateKey);
  const eContentType = oidDer(opts.contentType ?? OID.data);
  const digest = crypto.createHash("sha256").update(content).digest();
  const attributes = [
    attributeDer(OID.contentType, eContentType),
    attributeDer(OID.signingTime, utcTimeDer(new Date())),
    attributeDer(OID.messageDigest, derTlv(TAG.OCTET_STRING, digest)),
    ...(opts.attributes ?? []).map((a) => new Uint8Array(a.toSchema().toBER(false))),
  ].sort((x, y) => Buffer.compare(x, y)); // DER SET OF order (X.690 11.6)
  // The signature covers the attributes tagged as SET (RFC 5652 5.4); ECDSA comes out DER-encoded.
  const signature = crypto.sign("sha256", derTlv(TAG.SET, ...attributes), key);
  const digestAlgorithm = algorithmIdentifierDer(SHA256_OID);
  const signerInfo = derTlv(
    TAG.SEQUENCE,
    new Uint8Array([0x02, 0x01, 0x01]), // version 1 (issuerAndSerialNumber)
    issuerAndSerial(signer.certDer),
    digestAlgorithm,
    derTlv(TAG.CTX0, ...attributes),
    signatureAlgorithm,
    derTlv(TAG.OCTET_STRING, signature),
  );
  const encap = opts.detached ? derTlv(TAG.SEQUENCE, eContentType) : derTlv(TAG.SEQUENCE, eContentType, derTlv(TAG.CTX0, derTlv(TAG.OCTET_STRING, content)));
  const certs = opts.omitCertificates ? [] : [signer.certDer, ...signer.chainDer.filter((d) => !bytesEqual(d, signer.certDer))];
  const signedData = derTlv(
    TAG.SEQUENCE,
    // version 3 when the content is not id-data (RFC 5652 5.1), as pkijs wrote it.
    new Uint8Array([0x02, 0x01, opts.contentType && opts.contentType !== OID.data ? 0x03 : 0x01]),
    derTlv(TAG.SET, digestAlgorithm),
    encap,
    derTlv(TAG.CTX0, ...certs), // empty when omitted, as pkijs wrote it
    derTlv(TAG.SET, signerInfo),
  );
  return derTlv(TAG.SEQUENCE, oidDer(OID.signedData), derTlv(TAG.CTX0, signedData));
}

/** What verification reads from the one SignerInfo. */
export interface SignerFields {
  digestOid: string;
  signatureOid: string;
  signature: Uint8Array;
  /** The signed attributes re-tagged as SET (the bytes the signature covers), or null. */
  signedAttrs: Uint8Array | null;
  /** The first value (whole DER element) of each signed attribute, by OID. */
  attributes: Map<string, Uint8Array>;
  /** SubjectPublicKeyInfo DER of the signer certificate. */
  spki: Uint8Array;
}

export interface ParsedSignedData {
  eContentType: string;
  /** Encapsulated content, or null when detached. */
  eContent: Uint8Array | null;
  /** The signer certificate as carried in the message. */
  signerCertDer: Uint8Array;
  signer: SignerFields;
  /** pkijs views, built on first use (SCEP reads attributes and the requester's certificate). */
  readonly signerInfo: pkijs.SignerInfo;
  readonly signerCert: pkijs.Certificate;
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

/** The full asn1js/pkijs parse: BER input, odd shapes, and the error wording for bad input. */
function parseSignedDataPkijs(cmsDer: Uint8Array): ParsedSignedData {
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
  const signerCert = findSignerCert(sd, si);
  const attributes = new Map<string, Uint8Array>();
  for (const a of si.signedAttrs?.attributes ?? []) {
    const v = a.values[0] as asn1js.AsnType | undefined;
    if (v && !attributes.has(a.type)) attributes.set(a.type, new Uint8Array(v.toBER(false)));
  }
  let signedAttrs: Uint8Array | null = null;
  if (si.signedAttrs) {
    // The signature covers the attributes re-tagged as SET (RFC 5652 5.4), from the bytes as received.
    signedAttrs = new Uint8Array(si.signedAttrs.encodedValue);
    if (signedAttrs.byteLength === 0) throw new CmsError("signed attributes could not be read");
  }
  let spki: Uint8Array;
  try {
    spki = spkiDer(signerCert.subjectPublicKeyInfo);
  } catch {
    throw new CmsError("the signer certificate's public key cannot be read");
  }
  return {
    eContentType: sd.encapContentInfo.eContentType,
    eContent,
    signerCertDer: certificateDer(signerCert),
    signer: {
      digestOid: si.digestAlgorithm.algorithmId,
      signatureOid: si.signatureAlgorithm.algorithmId,
      signature: new Uint8Array(si.signature.valueBlock.valueHexView),
      signedAttrs,
      attributes,
      spki,
    },
    signerInfo: si,
    signerCert,
  };
}

/**
 * The DER fast path: reads the fields verification needs straight from the bytes. Throws
 * DerReadError for anything it does not handle (BER, odd shapes, no matching certificate):
 * the pkijs parse then takes over.
 */
function parseSignedDataFast(der: Uint8Array): ParsedSignedData {
  const ci = expectTag(readTlv(der, 0), TAG.SEQUENCE);
  if (ci.end !== der.length) throw new DerReadError("trailing bytes");
  const [ciType, ciContent, ...rest] = childrenOf(der, ci);
  if (rest.length || oidOf(der, ciType) !== OID.signedData) throw new DerReadError("not SignedData");
  const sdWrap = childrenOf(der, expectTag(ciContent, TAG.CTX0));
  if (sdWrap.length !== 1) throw new DerReadError("SignedData wrapper");
  const f = childrenOf(der, expectTag(sdWrap[0], TAG.SEQUENCE));
  expectTag(f[0], TAG.INTEGER);
  expectTag(f[1], TAG.SET);
  const encap = childrenOf(der, expectTag(f[2], TAG.SEQUENCE));
  let i = 3;
  const certsField = f[i]?.tag === TAG.CTX0 ? f[i++] : null;
  if (f[i]?.tag === TAG.CTX1) i++; // crls
  const signerInfos = childrenOf(der, expectTag(f[i++], TAG.SET));
  if (i !== f.length || signerInfos.length !== 1) throw new DerReadError("SignedData fields");

  const eContentType = oidOf(der, encap[0]);
  let eContent: Uint8Array | null = null;
  if (encap.length > 2) throw new DerReadError("encapContentInfo fields");
  if (encap.length === 2) {
    const wrapped = childrenOf(der, expectTag(encap[1], TAG.CTX0));
    if (wrapped.length !== 1) throw new DerReadError("eContent wrapper");
    eContent = new Uint8Array(contentOf(der, expectTag(wrapped[0], TAG.OCTET_STRING)));
  }

  const s = childrenOf(der, expectTag(signerInfos[0], TAG.SEQUENCE));
  expectTag(s[0], TAG.INTEGER);
  const sid = s[1];
  if (!sid) throw new DerReadError("SignerInfo fields");
  let j = 2;
  const digestOid = algorithmOid(der, s[j++]);
  const attrsField = s[j]?.tag === TAG.CTX0 ? s[j++] : null;
  const signatureOid = algorithmOid(der, s[j++]);
  const signature = new Uint8Array(contentOf(der, expectTag(s[j++], TAG.OCTET_STRING)));
  if (s[j]?.tag === TAG.CTX1) j++; // unsignedAttrs
  if (j !== s.length) throw new DerReadError("SignerInfo fields");

  const attributes = new Map<string, Uint8Array>();
  let signedAttrs: Uint8Array | null = null;
  if (attrsField) {
    for (const attr of childrenOf(der, attrsField)) {
      const [type, values] = childrenOf(der, expectTag(attr, TAG.SEQUENCE));
      const oid = oidOf(der, type);
      const first = childrenOf(der, expectTag(values, TAG.SET))[0];
      if (first && !attributes.has(oid)) attributes.set(oid, whole(der, first));
    }
    signedAttrs = new Uint8Array(whole(der, attrsField));
    signedAttrs[0] = TAG.SET;
  }

  // The signer certificate: by issuer and serial, or by subjectKeyIdentifier ([0]).
  let wantIssuer: Uint8Array | null = null;
  let wantSerial: Uint8Array | null = null;
  let wantSki: Uint8Array | null = null;
  if (sid.tag === TAG.SEQUENCE) {
    const [issuer, serial] = childrenOf(der, sid);
    wantIssuer = whole(der, expectTag(issuer, TAG.SEQUENCE));
    wantSerial = contentOf(der, expectTag(serial, TAG.INTEGER));
  } else if (sid.tag === 0x80) {
    wantSki = contentOf(der, sid);
  } else {
    throw new DerReadError("SignerInfo sid");
  }
  for (const c of certsField ? childrenOf(der, certsField) : []) {
    if (c.tag !== TAG.SEQUENCE) continue; // attribute certificates and other choices
    const cf = certificateFields(der, c);
    const hit = wantSki ? cf.subjectKeyId !== null && bytesEqual(cf.subjectKeyId, wantSki) : bytesEqual(cf.issuer, wantIssuer!) && bytesEqual(cf.serial, wantSerial!);
    if (!hit) continue;
    const signerCertDer = new Uint8Array(whole(der, c));
    const siDer = new Uint8Array(whole(der, signerInfos[0]));
    let signerInfo: pkijs.SignerInfo | undefined;
    let signerCert: pkijs.Certificate | undefined;
    return {
      eContentType,
      eContent,
      signerCertDer,
      signer: { digestOid, signatureOid, signature, signedAttrs, attributes, spki: new Uint8Array(cf.spki) },
      get signerInfo() {
        signerInfo ??= new pkijs.SignerInfo({ schema: parseDer(siDer, "SignerInfo") });
        return signerInfo;
      },
      get signerCert() {
        signerCert ??= pkijs.Certificate.fromBER(ab(signerCertDer));
        return signerCert;
      },
    };
  }
  throw new DerReadError("signer certificate not found by bytes");
}

/** The pkijs parse alone (tests compare it with the fast path). */
export const parseSignedDataFull = parseSignedDataPkijs;

/** Parses a ContentInfo(SignedData) without verifying it. */
export function parseSignedData(cmsDer: Uint8Array): ParsedSignedData {
  try {
    return parseSignedDataFast(cmsDer);
  } catch (err) {
    if (!(err instanceof DerReadError)) throw err;
  }
  return parseSignedDataPkijs(cmsDer);
}

// Devices sign every request with the same certificate: keep its public key object.
const publicKeys = new Map<string, crypto.KeyObject>();
function publicKeyFor(spki: Uint8Array): crypto.KeyObject {
  const id = Buffer.from(spki).toString("base64");
  let key = publicKeys.get(id);
  if (!key) {
    key = crypto.createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
    if (publicKeys.size >= 512) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(id, key);
  }
  return key;
}

/** The key type of the signer certificate ("rsa", "ec"...), or null when its key cannot be read. */
export function signerKeyType(parsed: ParsedSignedData): string | null {
  try {
    return publicKeyFor(parsed.signer.spki).asymmetricKeyType ?? null;
  } catch {
    return null;
  }
}

/** The content's digest, computed while streaming a body too large to keep (detached signatures only). */
export interface ContentDigest {
  /** Node's hash name (sha256, ...): the signer's digest algorithm, see signerDigestHash. */
  hash: string;
  value: Uint8Array;
}

function signerHash(si: SignerFields): string | null {
  return HASH_BY_OID[si.digestOid] ?? HASH_BY_SIG_OID[si.signatureOid] ?? null;
}

/** The hash a verifier must compute over the detached content of this SignedData, or null when unreadable. */
export function signerDigestHash(cmsDer: Uint8Array): string | null {
  try {
    return signerHash(parseSignedData(cmsDer).signer);
  } catch {
    return null;
  }
}

/** The signer's signature or digest algorithm when this module cannot verify it (SCEP answers badAlg), else null. */
export function unsupportedSignerAlgorithm(parsed: ParsedSignedData): string | null {
  const si = parsed.signer;
  if (!SUPPORTED_SIG_OIDS.has(si.signatureOid)) return `signature algorithm ${si.signatureOid}`;
  // A digest OID we know, or (as some clients write it) a signature OID naming its digest.
  if (!HASH_BY_OID[si.digestOid] && !HASH_BY_SIG_OID[si.digestOid]) return `digest algorithm ${si.digestOid}`;
  return null;
}

/** Checks the SignerInfo's signature over content with the public key of the signer certificate. */
function verifySigner(parsed: ParsedSignedData, content: Uint8Array | ContentDigest): void {
  const si = parsed.signer;
  const sigOid = si.signatureOid;
  if (!SUPPORTED_SIG_OIDS.has(sigOid)) throw new CmsError(`unsupported signature algorithm ${sigOid}`);
  const hash = signerHash(si);
  if (!hash) throw new CmsError(`unsupported digest algorithm ${si.digestOid}`);
  let signedBytes: Uint8Array;
  if (si.signedAttrs) {
    const md = si.attributes.get(OID.messageDigest);
    const mdTlv = md ? safeTlv(md) : null;
    if (!md || !mdTlv || mdTlv.tag !== TAG.OCTET_STRING || mdTlv.end !== md.length) throw new CmsError("signed attributes lack messageDigest");
    if (!(content instanceof Uint8Array) && content.hash !== hash) throw new CmsError(`the content digest was computed with ${content.hash}, the signer uses ${hash}`);
    const actual = content instanceof Uint8Array ? crypto.createHash(hash).update(content).digest() : Buffer.from(content.value);
    const claimed = contentOf(md, mdTlv);
    if (claimed.length !== actual.length || !crypto.timingSafeEqual(claimed, actual)) throw new CmsError("message digest does not match the content");
    const ct = si.attributes.get(OID.contentType);
    const ctTlv = ct ? safeTlv(ct) : null;
    if (ct && ctTlv && ctTlv.tag === TAG.OID && safeOid(ct, ctTlv) !== parsed.eContentType) {
      throw new CmsError("contentType attribute does not match the encapsulated content type");
    }
    signedBytes = si.signedAttrs;
  } else {
    if (!(content instanceof Uint8Array)) throw new CmsError("a signature without signed attributes needs the content itself");
    signedBytes = content;
  }
  let key: crypto.KeyObject;
  try {
    key = publicKeyFor(si.spki);
  } catch {
    throw new CmsError("the signer certificate's public key cannot be read");
  }
  let ok = false;
  try {
    ok = crypto.verify(hash, signedBytes, key, si.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new CmsError("signature does not verify");
}

function safeTlv(bytes: Uint8Array): Tlv | null {
  try {
    return readTlv(bytes, 0);
  } catch {
    return null;
  }
}

function safeOid(bytes: Uint8Array, t: Tlv): string | null {
  try {
    return oidOf(bytes, t);
  } catch {
    return null;
  }
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
    return { content, signerCertDer: parsed.signerCertDer };
  } catch (err) {
    if (err instanceof CmsError) throw err;
    throw new CmsError(`malformed CMS: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** verifySignedData for a detached signature whose content was only hashed (too large to keep). */
export function verifySignedDataDigest(cmsDer: Uint8Array, digest: ContentDigest): { signerCertDer: Uint8Array } {
  try {
    const parsed = parseSignedData(cmsDer);
    if (parsed.eContent) throw new CmsError("the message carries its content; a digest alone cannot be checked against it");
    verifySigner(parsed, digest);
    return { signerCertDer: parsed.signerCertDer };
  } catch (err) {
    if (err instanceof CmsError) throw err;
    throw new CmsError(`malformed CMS: ${err instanceof Error ? err.message : String(err)}`);
  }
}
